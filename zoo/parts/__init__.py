"""Training parts by name — optimizers, learning-rate schedulers, losses — and their builders from specs (the
registries themselves are declared in ``zoo.registry.root``)."""

from .losses import build_loss
from .optimizers import build_optimizer
from .schedulers import build_scheduler, fast_forward

__all__ = ["build_loss", "build_optimizer", "build_scheduler", "fast_forward"]
