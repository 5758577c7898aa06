"""DataLoaders for the Trainer: keyed, seeded sampling (see ``zoo.data.seeded``) and loader settings chosen for
the machine and the data (``num_workers: auto``), logged once."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, default_collate

from ..data.seeded import EpochSampler, SeededSamples, uses_torch_rng_only
from ..errors import DataError, first_line
from ..rng import rng_untouched
from ..specs import DataSpec
from .device_data import DeviceLoader
from .fast import apply_fast

if TYPE_CHECKING:
    from .trainer import Trainer

CHEAP_READ_S = 250e-6  # below this per sample (read + transforms), the main process keeps up with training
MAX_WORKERS = 8
PREFETCH = 4  # batches per worker in flight: enough to hide a slow sample, little memory for small images


def collate(batch: list[Any]) -> Any:
    """``default_collate``, with images of different sizes named as such (and the transform that fixes it)."""
    try:
        return default_collate(batch)
    except RuntimeError as exc:
        shapes = sorted({tuple(x.shape) for x, *_ in batch if isinstance(x, Tensor)})
        if len(shapes) > 1:
            raise DataError(
                f"images of different sizes in one batch ({' and '.join('x'.join(map(str, s)) for s in shapes[:2])}); "
                "add a Resize and a CenterCrop (e.g. {name: Resize, size: [224, 224]}) to the split's transforms"
            ) from exc
        raise DataError(f"a batch could not be assembled: {first_line(exc)}") from exc


def free_cores(world_size: int = 1) -> int:
    """CPU cores this process may use, shared among the processes of this machine under torchrun."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    local = int(os.environ.get("LOCAL_WORLD_SIZE", min(world_size, cores)))
    return max(cores // max(local, 1), 1)


def choose_num_workers(
    dataset: Dataset, requested: int | str, device: torch.device, world_size: int = 1
) -> tuple[int, str]:
    """``(num_workers, why)``: the requested number, or for ``auto``: 0 when reading one sample (from the cache,
    transforms included) is cheap or when training on the CPU already keeps every core busy; else one worker per
    core the training process leaves free (at most 8).

    Which is chosen never changes the results: a sample's augmentation depends on (seed, epoch, index) only.
    """
    if requested != "auto":
        return int(requested), "as set"
    n = min(len(dataset), 16)  # type: ignore[arg-type]
    with rng_untouched():
        for i in range(n):  # the first pass decodes (and fills the cache); the second is what every epoch costs
            dataset[i]
        start = time.perf_counter()
        for i in range(n):
            dataset[i]
        per_sample = (time.perf_counter() - start) / max(n, 1)
    took = f"reading a sample takes {per_sample * 1e6:.0f} µs"
    if per_sample < CHEAP_READ_S:
        return 0, f"auto: {took}, the main process keeps up"
    cores = free_cores(world_size)
    busy = torch.get_num_threads() if device.type == "cpu" else 1  # the training process's own threads
    spare = min(cores - busy, MAX_WORKERS)
    if spare < 1:
        return 0, f"auto: {took}, but training on the {device.type} keeps all {cores} core(s) busy"
    return spare, f"auto: {took}, one worker per core left free by training"


def make_loader(
    dataset: Dataset,
    data: DataSpec,
    *,
    train: bool,
    seed: int,
    rank: int,
    world_size: int,
    pin_memory: bool,
    num_workers: int,
) -> DataLoader:
    """A DataLoader whose batches depend only on (seed, epoch): the sampler is reseeded with ``set_epoch`` and
    each sample's augmentation is seeded by (seed, epoch, index) (see ``zoo.data.seeded``), whatever the workers.

    One code path for one process and for DDP: DistributedSampler with ``num_replicas=1`` is a seeded shuffle.
    The loader's own generator (worker base seeds) is private, so loading never draws from the global one.
    Workers persist across epochs.
    """
    sampler = EpochSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=train and data.shuffle, seed=seed,
        drop_last=train and data.drop_last,
    )  # fmt: skip
    transform = getattr(dataset, "transform", None)
    return DataLoader(
        SeededSamples(dataset, seed, torch_only=uses_torch_rng_only(transform)),
        batch_size=data.batch_size_for(train),
        sampler=sampler,
        num_workers=num_workers,
        pin_memory=pin_memory,
        drop_last=train and data.drop_last,
        persistent_workers=num_workers > 0,
        prefetch_factor=PREFETCH if num_workers > 0 else None,
        collate_fn=collate,
        generator=torch.Generator().manual_seed(seed),
    )


def loader_settings(trainer: Trainer) -> tuple[int, bool]:
    """``(num_workers, pin_memory)`` for the run, after ``trainer.fast``; what was cached, what ``fast`` applied and
    the loader settings are each said once in the log."""
    spec = trainer.spec
    for split, dataset in trainer.datasets.items():
        if getattr(dataset, "cache_note", "") and not (split == "val" and spec.data.val_split):
            trainer.log(f"data.{split}: {dataset.cache_note}")
    if spec.trainer.fast:
        applied, skipped = apply_fast(spec.trainer, trainer.device, trainer.datasets["train"])
        missing = f"; not applied: {'; '.join(skipped)}" if skipped else ""
        trainer.log(f"fast: {', '.join(applied) or 'nothing'}{missing}")
    pin = spec.data.pin_memory if spec.data.pin_memory is not None else trainer.device.type == "cuda"
    if spec.trainer.data_on_device:
        return 0, pin
    workers, why = choose_num_workers(
        trainer.datasets["train"], spec.data.num_workers, trainer.device, trainer.world_size
    )
    persistent = f", persistent, prefetch {PREFETCH} batches each" if workers else ""
    trainer.log(f"loader: num_workers {workers} ({why}){persistent}, pin_memory {pin}")
    return workers, pin


def loader_for(trainer: Trainer, split: str, dataset: Dataset) -> Any:
    """The loader of one split: a ``DeviceLoader`` with ``data_on_device``, else ``make_loader``'s DataLoader."""
    spec, train = trainer.spec, split == "train"
    options = {"seed": spec.trainer.seed, "rank": trainer.rank, "world_size": trainer.world_size}
    if spec.trainer.data_on_device:
        return DeviceLoader(
            dataset, batch_size=spec.data.batch_size_for(train), device=trainer.device,
            shuffle=train and spec.data.shuffle, drop_last=train and spec.data.drop_last, **options,
        )  # fmt: skip
    return make_loader(
        dataset, spec.data, train=train, pin_memory=trainer.pin_memory, num_workers=trainer.num_workers, **options
    )
