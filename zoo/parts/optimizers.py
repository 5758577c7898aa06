"""Optimizers by name: the short names of the course (sgd, adam, …) and every ``torch.optim`` class."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import torch

from ..errors import SpecError, translated
from ..registry.root import OPTIMIZERS

if TYPE_CHECKING:
    from ..specs import OptimizerSpec


for _short, _cls in {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
}.items():
    OPTIMIZERS.register(_short, _cls, provider="torch")


def _register_torch_optimizers() -> None:
    for name, cls in vars(torch.optim).items():
        if inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer) and cls is not torch.optim.Optimizer:
            OPTIMIZERS.register(name, cls, provider="torch")


OPTIMIZERS.add_loader(_register_torch_optimizers)


def build_optimizer(spec: OptimizerSpec, params: Any) -> torch.optim.Optimizer:
    with translated(f"optimizer ({spec.name})", SpecError):
        return OPTIMIZERS.get(spec.name).obj(params, **spec.options())
