"""Learning-rate schedulers by name. Each builder takes the optimizer plus what the trainer knows
(``epochs``, ``steps_per_epoch``) and the spec's options; ``interval`` says whether it steps per epoch or batch."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import torch
from torch.optim import Optimizer, lr_scheduler

from ..errors import SpecError, translated
from ..registry.root import SCHEDULERS
from ..registry.signature import call_with

if TYPE_CHECKING:
    from ..specs import SchedulerSpec


@SCHEDULERS.register("cosine", provider="torch", interval="epoch")
def cosine(optimizer: Optimizer, epochs: int, min_lr: float = 0.0) -> lr_scheduler.LRScheduler:
    """Cosine decay from the optimizer's lr to ``min_lr`` over the run."""
    return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1), eta_min=min_lr)


@SCHEDULERS.register("step", provider="torch", interval="epoch")
def step(optimizer: Optimizer, step_size: int = 10, gamma: float = 0.1) -> lr_scheduler.LRScheduler:
    """Multiply the lr by ``gamma`` every ``step_size`` epochs."""
    return lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)


@SCHEDULERS.register("multistep", provider="torch", interval="epoch")
def multistep(optimizer: Optimizer, milestones: list[int], gamma: float = 0.1) -> lr_scheduler.LRScheduler:
    """Multiply the lr by ``gamma`` at each epoch in ``milestones``."""
    return lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=gamma)


@SCHEDULERS.register("onecycle", provider="torch", interval="step")
def onecycle(
    optimizer: Optimizer, epochs: int, steps_per_epoch: int, max_lr: float | None = None, pct_start: float = 0.3
) -> lr_scheduler.LRScheduler:
    """One-cycle policy (per batch); ``max_lr`` defaults to the optimizer's lr."""
    peak = max_lr if max_lr is not None else [g["lr"] for g in optimizer.param_groups]
    return lr_scheduler.OneCycleLR(
        optimizer, max_lr=peak, epochs=epochs, steps_per_epoch=steps_per_epoch, pct_start=pct_start
    )


@SCHEDULERS.register("warmup_cosine", aliases=("linear_warmup_cosine",), provider="torch", interval="step")
def warmup_cosine(
    optimizer: Optimizer,
    epochs: int,
    steps_per_epoch: int,
    warmup_epochs: float = 1.0,
    start_factor: float = 0.01,
    min_lr: float = 0.0,
) -> lr_scheduler.LRScheduler:
    """Linear warmup over ``warmup_epochs`` then cosine decay to ``min_lr`` (per batch)."""
    total = max(epochs * steps_per_epoch, 1)
    warm = min(max(int(warmup_epochs * steps_per_epoch), 1), total - 1) if total > 1 else 0
    if warm == 0:
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total, eta_min=min_lr)
    return lr_scheduler.SequentialLR(
        optimizer,
        [
            lr_scheduler.LinearLR(optimizer, start_factor=start_factor, total_iters=warm),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warm, eta_min=min_lr),
        ],
        milestones=[warm],
    )


@SCHEDULERS.register("plateau", provider="torch", interval="epoch", needs_metric=True)
def plateau(
    optimizer: Optimizer, mode: str = "max", factor: float = 0.1, patience: int = 5, min_lr: float = 0.0
) -> lr_scheduler.ReduceLROnPlateau:
    """Reduce the lr when the monitored metric stops improving (``mode``: max for accuracy, min for loss)."""
    return lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=factor, patience=patience, min_lr=min_lr)


def build_scheduler(
    spec: SchedulerSpec | None, optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int
) -> tuple[Any, str]:
    """The scheduler and its interval (``epoch`` or ``step``); ``(None, "epoch")`` without one."""
    if spec is None:
        return None, "epoch"
    entry = SCHEDULERS.get(spec.name)
    with translated(f"scheduler ({spec.name})", SpecError):
        scheduler = call_with(entry.obj, optimizer, epochs=epochs, steps_per_epoch=steps_per_epoch, **spec.options())
    return scheduler, entry.meta.get("interval", "epoch")


def fast_forward(scheduler: Any, steps: int) -> None:
    """Step a fresh ``scheduler`` ``steps`` times, training nothing (a resumed run whose length changed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "step() before optimizer.step()": nothing is trained here
        for _ in range(steps):
            scheduler.step()
