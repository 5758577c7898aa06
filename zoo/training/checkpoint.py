"""Checkpoints every epoch: ``best/`` and ``last/`` bundles (``last/`` with the resume state), ``metrics.json``.

Order matters for a run killed at any moment: ``best/`` first, then ``last/`` (one atomic folder swap holding
weights and training state together), then ``metrics.json``. Resume trusts only ``last/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_errors, write_json
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


RUN_MARKER = ".zoo-run"


def claim_run_dir(path: Path) -> Path:
    """Claim ``path`` for a new run, else ``path_1``, ``path_2``… (a run folder is never shared or overwritten).

    The claim is an exclusive create of ``RUN_MARKER`` inside the folder, so two runs started together with the
    same ``out_dir`` get two folders. Folders of older runs (``spec.yaml`` or ``last/``) are skipped too.
    """
    n = 0
    while True:
        candidate = path if n == 0 else path.with_name(f"{path.name}_{n}")
        with write_errors(candidate):
            candidate.mkdir(parents=True, exist_ok=True)
            if not ((candidate / "spec.yaml").exists() or (candidate / "last").exists()):
                try:
                    os.close(os.open(candidate / RUN_MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                    return candidate
                except FileExistsError:
                    pass
        n += 1
