"""Other libraries' models under a prefix (``timm/``, ``torchvision/``), and the uniform head API."""

from ..registry import MODELS
from .head import attach_head_api, find_first_conv, find_head, new_head
from .timm_models import TimmModels
from .torchvision_models import TorchvisionModels

MODELS.add_namespace("timm/", TimmModels())
MODELS.add_namespace("torchvision/", TorchvisionModels())

__all__ = ["attach_head_api", "find_first_conv", "find_head", "new_head"]
