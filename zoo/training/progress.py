"""Progress bars (tqdm): one for epochs, one for batches, loss and throughput in the postfix.

While bars are on screen, zoo's log lines go through tqdm's writer (``logging_redirect_tqdm``), so an epoch summary
never lands in the middle of a bar line and no stale bar is left behind.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from .callbacks import Callback

if TYPE_CHECKING:
    from .trainer import Trainer


class ProgressBars(Callback):
    """Updated at most once per log interval for numbers (no extra host syncs)."""

    def on_fit_start(self, trainer: Trainer) -> None:
        self._redirect = logging_redirect_tqdm()  # the root logger's console handler, which zoo's logger uses
        self._redirect.__enter__()
        self.epochs = tqdm(total=trainer.epochs, initial=trainer.state["epoch"], desc="epochs", unit="ep")
        self.batches = None

    def on_epoch_start(self, trainer: Trainer) -> None:
        self.batches = tqdm(
            total=trainer.steps_per_epoch, initial=trainer.state["batch"], desc=f"epoch {trainer.epoch + 1}",
            unit="step", leave=False,
        )  # fmt: skip
        self._start, self._seen = time.perf_counter(), 0

    def on_batch_end(self, trainer: Trainer, loss: object) -> None:
        self.batches.update(1)
        self._seen += trainer.batch_size

    def on_log(self, trainer: Trainer, scalars: dict[str, float]) -> None:
        rate = self._seen / max(time.perf_counter() - self._start, 1e-9)
        self.batches.set_postfix(loss=f"{scalars['train_loss']:.4f}", img_s=f"{rate:.0f}")

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        self.batches.close()
        shown = {k: f"{v:.4f}" for k, v in metrics.items() if k in ("train_loss", "val_loss", "val_acc")}
        self.epochs.set_postfix(shown)
        self.epochs.update(1)

    def on_fit_end(self, trainer: Trainer) -> None:
        self.epochs.close()
        self._redirect.__exit__(None, None, None)
