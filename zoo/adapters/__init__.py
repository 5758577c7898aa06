"""Other libraries' models under a prefix (``timm/``, ``torchvision/``): translators only (the head API every
model gets lives in ``zoo.models.head``)."""

from ..registry import MODELS
from .timm_models import TimmModels
from .torchvision_models import TorchvisionModels

MODELS.add_namespace("timm/", TimmModels())
MODELS.add_namespace("torchvision/", TorchvisionModels())
