"""Training: the Trainer, its callbacks, pickle-free train state."""

from .callbacks import Callback, EarlyStopping
from .trainer import Trainer

__all__ = ["Callback", "EarlyStopping", "Trainer"]
