"""Losses by name: cross_entropy (with label smoothing), mse, l1, nll, bce_with_logits, and every torch.nn loss.

``targets`` in an entry's metadata says what the loss wants: class indices (``index``) or one-hot floats shaped
like the logits (``one_hot``); the trainer converts the dataset's class indices accordingly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from torch import Tensor, nn

from ..errors import SpecError, translated
from ..registry.root import LOSSES

if TYPE_CHECKING:
    from ..specs import LossSpec


LOSSES.register("cross_entropy", nn.CrossEntropyLoss, provider="torch", targets="index")
LOSSES.register("nll", nn.NLLLoss, provider="torch", targets="index")
LOSSES.register("mse", nn.MSELoss, provider="torch", targets="one_hot")
LOSSES.register("l1", nn.L1Loss, provider="torch", targets="one_hot")
LOSSES.register("bce_with_logits", nn.BCEWithLogitsLoss, provider="torch", targets="one_hot")
LOSSES.register("smooth_l1", nn.SmoothL1Loss, provider="torch", targets="one_hot")

_INDEX_TARGETS = {"CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "CTCLoss"}


def _register_torch_losses() -> None:
    for name, cls in vars(nn).items():
        if name.endswith("Loss") and isinstance(cls, type) and issubclass(cls, nn.Module):
            LOSSES.register(name, cls, provider="torch", targets="index" if name in _INDEX_TARGETS else "one_hot")


LOSSES.add_loader(_register_torch_losses)


def build_loss(spec: LossSpec) -> tuple[nn.Module, Callable[[Tensor, Tensor], Tensor]]:
    """The loss module and the target conversion it needs (class indices, or one-hot floats)."""
    entry = LOSSES.get(spec.name)
    with translated(f"loss ({spec.name})", SpecError):
        loss = entry.obj(**spec.options())
    if entry.meta.get("targets") == "one_hot":
        return loss, lambda logits, y: nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    return loss, lambda logits, y: y
