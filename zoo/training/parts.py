"""Turning the spec's parts into objects: datasets and loaders, loss, optimizer, scheduler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ..data import build_dataset, preprocess_transform
from ..parts import LOSSES, OPTIMIZERS, SCHEDULERS
from ..registry import ModelCard
from ..registry.signature import call_with
from ..specs import DataSpec, LossSpec, OptimizerSpec, SchedulerSpec


def build_datasets(data: DataSpec, card: ModelCard) -> dict[str, Dataset]:
    """``{"train": ..., "val": ..., "test": ...}`` for the splits the spec names; default transforms = the card's."""
    default = preprocess_transform(card.input_size, card.mean, card.std)
    splits = {"train": data.train, "val": data.val, "test": data.test}
    return {name: build_dataset(spec, default) for name, spec in splits.items() if spec is not None}


def make_loader(
    dataset: Dataset, data: DataSpec, *, train: bool, seed: int, rank: int, world_size: int, pin_memory: bool
) -> DataLoader:
    """A DataLoader whose order depends only on (seed, epoch): the sampler is reseeded with ``set_epoch``.

    One code path for one process and for DDP: DistributedSampler with ``num_replicas=1`` is a seeded shuffle.
    """
    sampler = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=train and data.shuffle, seed=seed,
        drop_last=train and data.drop_last,
    )  # fmt: skip
    return DataLoader(
        dataset,
        batch_size=data.batch_size_for(train),
        sampler=sampler,
        num_workers=data.num_workers,
        pin_memory=pin_memory,
        drop_last=train and data.drop_last,
        persistent_workers=data.num_workers > 0,
    )


def build_loss(spec: LossSpec) -> tuple[nn.Module, Callable[[Tensor, Tensor], Tensor]]:
    """The loss module and the target conversion it needs (class indices, or one-hot floats)."""
    entry = LOSSES.get(spec.name)
    loss = entry.obj(**spec.options())
    if entry.meta.get("targets") == "one_hot":
        return loss, lambda logits, y: nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    return loss, lambda logits, y: y


def build_optimizer(spec: OptimizerSpec, params: Any) -> torch.optim.Optimizer:
    return OPTIMIZERS.get(spec.name).obj(params, **spec.options())


def build_scheduler(
    spec: SchedulerSpec | None, optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int
) -> tuple[Any, str]:
    """The scheduler and its interval (``epoch`` or ``step``); ``(None, "epoch")`` without one."""
    if spec is None:
        return None, "epoch"
    entry = SCHEDULERS.get(spec.name)
    scheduler = call_with(entry.obj, optimizer, epochs=epochs, steps_per_epoch=steps_per_epoch, **spec.options())
    return scheduler, entry.meta.get("interval", "epoch")
