"""Turning the spec's parts into objects: datasets and loaders, loss, optimizer, scheduler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, default_collate

from ..data import build_dataset, preprocess_transform
from ..data.seeded import EpochSampler, SeededSamples, uses_torch_rng_only
from ..data.split import stratified_split
from ..data.transforms import train_augmentation
from ..errors import DataError, SpecError, first_line, translated
from ..parts import LOSSES, OPTIMIZERS, SCHEDULERS
from ..registry import ModelCard
from ..registry.signature import call_with
from ..specs import DataSpec, LossSpec, OptimizerSpec, SchedulerSpec


def build_datasets(data: DataSpec, card: ModelCard, *, seed: int = 0, pretrained: bool = False) -> dict[str, Dataset]:
    """``{"train": ..., "val": ..., "test": ...}`` for the splits the spec names; default transforms = the card's.

    From pretrained weights the defaults are the weights' eval preprocessing (resize, crop_pct, interpolation,
    mean/std), and for train the standard augmentation (RandomResizedCrop, flip) at the same size. With
    ``data.val_split`` the validation set is a seeded, stratified part of train (same transforms as train).
    """
    default = preprocess_transform(
        card.input_size, card.mean, card.std, crop_pct=card.crop_pct if pretrained else None,
        interpolation=card.interpolation,
    )  # fmt: skip
    train_default = (
        train_augmentation(card.input_size, card.mean, card.std, interpolation=card.interpolation)
        if pretrained
        else default
    )
    splits = {"train": data.train, "val": data.val, "test": data.test}
    built = {
        name: build_dataset(spec, train_default if name == "train" else default, where=f"data.{name}")
        for name, spec in splits.items()
        if spec
    }
    if data.val_split is not None:
        built["train"], built["val"] = stratified_split(built["train"], data.val_split, seed)
        if len(built["val"]) == 0:
            raise SpecError(f"data.val_split {data.val_split} leaves no validation sample; use a larger fraction")
    return built


def resolve_num_classes(requested: int | None, classes: list[str] | None) -> int | None:
    """The head size: ``model.num_classes`` when given (it must match the data's classes), else the class count."""
    if requested is not None and classes and requested != len(classes):
        shown = ", ".join(classes[:5]) + (", …" if len(classes) > 5 else "")
        raise SpecError(
            f"model.num_classes is {requested} but data.train has {len(classes)} classes ({shown}); "
            f"set model.num_classes: {len(classes)} or leave it out"
        )
    return requested or (len(classes) if classes else None)


def check_first_sample(dataset: Dataset, channels: int, model: str) -> None:
    """The first training sample fits the model's input channels; a mismatch names the transform to add."""
    from .state import rng_untouched

    with rng_untouched():  # reading a sample draws random augmentations
        x = dataset[0][0]
    if isinstance(x, Tensor) and x.dim() == 3 and x.shape[0] != channels:
        fix = "{name: RGB}" if channels == 3 else "{name: Grayscale, num_output_channels: 1}"
        raise DataError(
            f"data.train images have {x.shape[0]} channel(s) but model '{model}' takes {channels}; "
            f"add {fix} to data.train.transforms or set model.in_chans: {x.shape[0]}"
        )


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


def make_loader(
    dataset: Dataset, data: DataSpec, *, train: bool, seed: int, rank: int, world_size: int, pin_memory: bool
) -> DataLoader:
    """A DataLoader whose batches depend only on (seed, epoch): the sampler is reseeded with ``set_epoch`` and
    each sample's augmentation is seeded by (seed, epoch, index) (see ``zoo.data.seeded``), whatever the workers.

    One code path for one process and for DDP: DistributedSampler with ``num_replicas=1`` is a seeded shuffle.
    The loader's own generator (worker base seeds) is private, so loading never draws from the global one.
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
        num_workers=data.num_workers,
        pin_memory=pin_memory,
        drop_last=train and data.drop_last,
        persistent_workers=data.num_workers > 0,
        collate_fn=collate,
        generator=torch.Generator().manual_seed(seed),
    )


def build_loss(spec: LossSpec) -> tuple[nn.Module, Callable[[Tensor, Tensor], Tensor]]:
    """The loss module and the target conversion it needs (class indices, or one-hot floats)."""
    entry = LOSSES.get(spec.name)
    with translated(f"loss ({spec.name})", SpecError):
        loss = entry.obj(**spec.options())
    if entry.meta.get("targets") == "one_hot":
        return loss, lambda logits, y: nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    return loss, lambda logits, y: y


def build_optimizer(spec: OptimizerSpec, params: Any) -> torch.optim.Optimizer:
    with translated(f"optimizer ({spec.name})", SpecError):
        return OPTIMIZERS.get(spec.name).obj(params, **spec.options())


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
