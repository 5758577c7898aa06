"""Checkpoints every epoch: ``best/`` and ``last/`` bundles (``last/`` with the resume state), ``metrics.json``.

Order matters for a run killed at any moment: ``best/`` first, then ``last/`` (one atomic folder swap holding
weights and training state together), then ``metrics.json``. Resume trusts only ``last/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_json
from ..bundle import save
from .callbacks import Callback
from .state import rng_state, write_state

if TYPE_CHECKING:
    from .trainer import Trainer


class Checkpoint(Callback):
    """Writes the run folder's bundles and metrics; runs last among the epoch-end hooks."""

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        if not trainer.is_main_process:
            return
        bundle = trainer.bundle_kwargs()
        if trainer.state["best"] and trainer.state["best"]["epoch"] == metrics["epoch"]:
            save(trainer.unwrapped_model, trainer.out_dir / "best", **bundle)
        info, state = trainer.resume_state()
        save(trainer.unwrapped_model, trainer.out_dir / "last", extra=lambda d: write_state(d, info, state), **bundle)
        write_metrics(trainer.out_dir, trainer.state, trainer.world_size)


def write_metrics(out_dir: Path, state: dict[str, Any], world_size: int) -> None:
    """``metrics.json``: the best epoch, every epoch's metrics once, and the number of processes."""
    write_json(out_dir / "metrics.json", {"best": state["best"], "history": state["history"], "world_size": world_size})


def capture(trainer: Trainer) -> dict[str, Any]:
    """The tensors and nested state needed to continue exactly: optimizer, scheduler, scaler, RNGs."""
    return {
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict() if trainer.scheduler is not None else None,
        "scaler": trainer.scaler.state_dict() if trainer.scaler is not None else None,
        "rng": rng_state(),
    }


def fresh_run_dir(path: Path) -> Path:
    """``path`` if it holds no run yet, else ``path_1``, ``path_2``… (a finished run is never overwritten)."""
    candidate, n = path, 0
    while (candidate / "spec.yaml").exists() or (candidate / "last").exists():
        n += 1
        candidate = path.with_name(f"{path.name}_{n}")
    return candidate
