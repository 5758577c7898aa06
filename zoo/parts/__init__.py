"""Registries of training parts: optimizers, learning-rate schedulers, losses."""

from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .schedulers import SCHEDULERS

__all__ = ["LOSSES", "OPTIMIZERS", "SCHEDULERS"]
