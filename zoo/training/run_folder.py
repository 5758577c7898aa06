"""The run folder: claimed atomically; ``best/`` and ``last/`` bundles written every epoch (``last/`` with the
resume state, and inside epochs when asked) and ``metrics.json``; and ``restore``, the one reader of ``last/``.

Order matters for a run killed at any moment: ``best/`` first, then ``last/`` (one atomic folder swap holding
weights and training state together), then ``metrics.json``. Resume trusts only ``last/``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_errors, write_json
from ..bundle import save
from ..bundle.format import read_bundle
from ..errors import SpecError, translated
from . import distributed
from .callbacks import Callback
from .state import read_state, write_state

if TYPE_CHECKING:
    from .trainer import Trainer


class Checkpoint(Callback):
    """Writes the run folder's bundles and metrics at each epoch end (runs last among the epoch-end hooks), and
    ``last/`` alone inside an epoch every ``checkpoint_every`` steps or ``checkpoint_every_minutes``."""

    def __init__(self, every_steps: int | None = None, every_minutes: float | None = None) -> None:
        self.every_steps, self.every_minutes = every_steps, every_minutes
        self._written_at = time.monotonic()

    def on_step_end(self, trainer: Trainer) -> None:
        if trainer.state["batch"] >= trainer.steps_per_epoch:
            return  # the epoch end writes last/ in a moment
        due = bool(self.every_steps) and trainer.state["step"] % self.every_steps == 0
        if self.every_minutes and not due:  # every process must agree: rank 0's clock decides
            late = time.monotonic() - self._written_at >= 60 * self.every_minutes
            due = bool(distributed.broadcast_int(int(late)))
        if due:
            self._write_last(trainer)

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        bundle = bundle_kwargs(trainer) if trainer.is_main_process else {}
        if bundle and trainer.state["best"] and trainer.state["best"]["epoch"] == metrics["epoch"]:
            save(trainer.unwrapped_model, trainer.out_dir / "best", **bundle)
        self._write_last(trainer, bundle)
        if trainer.is_main_process:
            write_metrics(trainer.out_dir, trainer.state, trainer.world_size)

    def _write_last(self, trainer: Trainer, bundle: dict[str, Any] | None = None) -> None:
        """``last/``: the weights and ``trainer.state_dict()`` in one atomic folder swap (every process takes part
        in gathering the state; rank 0 writes, with ``bundle``, the ``zoo.save`` keywords, when already known)."""
        info, state = trainer.state_dict()
        if trainer.is_main_process:
            extra = lambda folder: write_state(folder, info, state)  # noqa: E731
            save(trainer.unwrapped_model, trainer.out_dir / "last", extra=extra, **(bundle or bundle_kwargs(trainer)))
        self._written_at = time.monotonic()


def bundle_kwargs(trainer: Trainer) -> dict[str, Any]:
    """What ``zoo.save`` records for this run: classes, latest metrics, spec, the val preprocessing (with the mean and
    std its transforms actually normalise with)."""
    from ..data.transforms import normalize_stats

    latest = {k: v for k, v in trainer.history[-1].items() if k != "seconds"} if trainer.history else {}
    eval_spec = trainer.spec.data.val or trainer.spec.data.train
    transforms = eval_spec.transforms
    card: dict[str, Any] = {"input_size": trainer.input_size}
    if transforms is not None:
        card["transforms"] = transforms if isinstance(transforms, str) else [t.model_dump() for t in transforms]
        stats = normalize_stats(transforms)
        if stats is not None:
            card["mean"], card["std"] = stats
    return {"classes": trainer.classes, "metrics": latest, "spec": trainer.spec.to_dict(), "card": card}


def write_metrics(out_dir: Path, state: dict[str, Any], world_size: int) -> None:
    """``metrics.json``: the best epoch, every epoch's metrics once, and the number of processes."""
    write_json(out_dir / "metrics.json", {"best": state["best"], "history": state["history"], "world_size": world_size})


RUN_MARKER = ".zoo-run"


def run_dir_named(path: Path, number: int) -> Path:
    """``path`` for 0, else ``path_<number>``."""
    return path if number == 0 else path.with_name(f"{path.name}_{number}")


def claim_run_dir(path: Path) -> int:
    """Claim ``path`` for a new run, else ``path_1``, ``path_2``…; returns the number claimed (0: ``path``).

    A run folder is never shared or overwritten: the claim is an exclusive create of ``RUN_MARKER`` inside the
    folder, so two runs started together with the same ``out_dir`` get two folders. Folders of older runs
    (``spec.yaml`` or ``last/``) are skipped too.
    """
    n = 0
    while True:
        candidate = run_dir_named(path, n)
        with write_errors(candidate):
            candidate.mkdir(parents=True, exist_ok=True)
            if not ((candidate / "spec.yaml").exists() or (candidate / "last").exists()):
                try:
                    os.close(os.open(candidate / RUN_MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                    return n
                except FileExistsError:
                    pass
        n += 1


def restore(trainer: Trainer, folder: Path) -> None:
    """Continue ``trainer`` exactly where ``folder`` (a run's ``last/``) left off: the weights, then
    ``trainer.load_state_dict`` (optimizer, scheduler, scaler, RNGs, counters, sampler position, metric sums).
    A spec whose model differs from the run's is refused, naming the difference."""
    info, state = read_state(folder)
    config, weights = read_bundle(folder)
    changes = _model_changes(config["model"], trainer.unwrapped_model.zoo_build)
    if changes:
        raise SpecError(f"cannot resume '{trainer.out_dir}': the spec's model differs from the run's ({changes})")
    with translated(f"cannot resume '{trainer.out_dir}': its weights do not fit the model", SpecError):
        trainer.unwrapped_model.load_state_dict(weights)
    trainer.load_state_dict(info, state)
    if trainer.is_main_process:
        write_metrics(trainer.out_dir, trainer.state, trainer.world_size)  # drop epochs the killed run had not saved
    where = f"epoch {info['epoch'] + 1}, batch {info['batch']}" if info.get("batch") else f"epoch {info['epoch']}"
    trainer.log(f"resuming {trainer.out_dir} after {where} (step {info['step']})")


def _model_changes(saved: dict[str, Any], built: dict[str, Any]) -> str:
    """What differs between the run's recorded model and the one the spec builds now ("" when nothing does)."""
    if saved["name"] != built["name"]:
        return f"model.name was '{saved['name']}', now '{built['name']}'"
    before, now = saved.get("kwargs") or {}, json.loads(json.dumps(built["kwargs"], default=str))
    keys = sorted(k for k in {*before, *now} if before.get(k) != now.get(k))
    return "; ".join(f"model.{k} was {before.get(k)!r}, now {now.get(k)!r}" for k in keys)
