"""Hooks around the training loop. Subclass ``Callback`` and pass instances to ``Trainer(spec, callbacks=[...])``.

Every hook gets the trainer; ``on_epoch_end`` also gets the epoch's metrics. The built-in logging, progress,
checkpointing and early stopping are callbacks too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trainer import Trainer


class Callback:
    """Override the hooks you need; each is a no-op by default."""

    def on_fit_start(self, trainer: Trainer) -> None: ...

    def on_epoch_start(self, trainer: Trainer) -> None: ...

    def on_batch_end(self, trainer: Trainer, loss: Any) -> None:
        """After each optimizer-step batch; ``loss`` is a device tensor (reading it syncs the host)."""

    def on_log(self, trainer: Trainer, scalars: dict[str, float]) -> None:
        """Every ``trainer.log_every`` steps, with the running train loss/acc read once from the device."""

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None: ...

    def on_fit_end(self, trainer: Trainer) -> None: ...


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs (counters survive resume)."""

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        self.patience, self.min_delta = patience, min_delta

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        state = trainer.state
        value = metrics[trainer.monitor]
        best = state.get("early_best")
        sign = 1 if trainer.monitor_mode == "max" else -1
        if best is None or sign * (value - best) > self.min_delta:
            state["early_best"], state["bad_epochs"] = value, 0
        else:
            state["bad_epochs"] = state.get("bad_epochs", 0) + 1
            if state["bad_epochs"] >= self.patience:
                trainer.should_stop = True
                trainer.log(f"early stop: {trainer.monitor} has not improved for {self.patience} epochs")
