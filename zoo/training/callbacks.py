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
        """After each batch; ``loss`` is a device tensor (reading it syncs the host)."""

    def on_step_end(self, trainer: Trainer) -> None:
        """After each optimizer step (and its scheduler step), with ``trainer.state`` counting it."""

    def on_log(self, trainer: Trainer, scalars: dict[str, float]) -> None:
        """Every ``trainer.log_every`` steps, with the running train loss/acc read once from the device."""

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None: ...

    def on_fit_end(self, trainer: Trainer) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """Plain JSON data this callback needs to continue a resumed run exactly ({} when it keeps none)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take back what ``state_dict`` returned (``{}`` for a run saved without it)."""


def improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` (``mode`` 'max' or 'min'); any value beats None."""
    return best is None or (value - best if mode == "max" else best - value) > min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs (counters survive resume)."""

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        self.patience, self.min_delta = patience, min_delta
        self.best: float | None = None
        self.bad_epochs = 0

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        value = metrics[trainer.monitor]
        if improved(value, self.best, trainer.monitor_mode, self.min_delta):
            self.best, self.bad_epochs = value, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            trainer.should_stop = True
            trainer.log(f"early stop: {trainer.monitor} has not improved for {self.patience} epochs")

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.bad_epochs = state.get("best"), state.get("bad_epochs", 0)
