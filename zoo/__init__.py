"""zoo: build a known model by name, fine-tune it on your data, share the result.

>>> import zoo
>>> model = zoo.build("vgg16", num_classes=10)

Heavy parts (timm, tensorboard, the trainer) are imported on first use, so ``import zoo`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import ZooError

__version__ = "0.1.0"

# public name -> module that defines it; imported when first touched
_LAZY = {
    "build": "zoo.factory",
    "list_models": "zoo.registry",
    "model_info": "zoo.registry",
    "register_model": "zoo.registry",
    "ModelCard": "zoo.registry",
    "Registry": "zoo.registry",
    "save": "zoo.bundle",
    "load": "zoo.bundle",
    "TrainSpec": "zoo.specs",
    "Trainer": "zoo.training",
    "Callback": "zoo.training",
    "export": "zoo.exporting",
    "predict": "zoo.prediction",
}

if TYPE_CHECKING:
    from .bundle import load, save
    from .exporting import export
    from .factory import build
    from .prediction import predict
    from .registry import ModelCard, Registry, list_models, model_info, register_model
    from .specs import TrainSpec
    from .training import Callback, Trainer

__all__ = [
    "Callback",
    "ModelCard",
    "Registry",
    "TrainSpec",
    "Trainer",
    "ZooError",
    "__version__",
    "build",
    "export",
    "list_models",
    "load",
    "model_info",
    "predict",
    "register_model",
    "save",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'zoo' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(__all__)
