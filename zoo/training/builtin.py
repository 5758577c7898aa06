"""The callbacks every run gets, chosen from its spec: fine-tuning, early stopping, TensorBoard, progress bars and
the run folder's checkpoints (last, so they see what the others did at an epoch's end)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .callbacks import Callback, EarlyStopping
from .finetune import Finetune
from .run_folder import Checkpoint

if TYPE_CHECKING:
    from .trainer import Trainer


def builtin_callbacks(trainer: Trainer) -> list[Callback]:
    """The built-in callbacks for ``trainer``'s spec (rank 0 alone logs and shows progress)."""
    t = trainer.spec.trainer
    found: list[Callback] = []
    if trainer.frozen:
        found.append(Finetune(trainer.frozen, t.train_bn, t.unfreeze_at_epoch))
    if t.early_stop:
        found.append(EarlyStopping(t.early_stop.patience, t.early_stop.min_delta))
    if trainer.is_main_process:
        if t.tensorboard:
            from .logging_tb import TensorBoard

            found.append(TensorBoard(t.histograms_every))
        if t.progress or (t.progress is None and sys.stderr.isatty()):
            from .progress import ProgressBars

            found.append(ProgressBars())
    found.append(Checkpoint(t.checkpoint_every, t.checkpoint_every_minutes))
    return found
