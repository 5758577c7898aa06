"""Turning the spec's parts into objects: datasets and loaders, loss, optimizer, scheduler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from ..data import build_dataset, preprocess_transform
from ..data.cache import default_budget
from ..data.split import stratified_split
from ..data.transforms import train_augmentation
from ..errors import DataError, SpecError, translated
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
    budget = int(data.cache_budget) if data.cache_budget is not None else default_budget()
    built = {}
    for name, spec in splits.items():
        if spec:  # the splits share one cache budget, train first
            built[name] = build_dataset(spec, train_default if name == "train" else default, where=f"data.{name}",
                                        budget=budget)  # fmt: skip
            budget -= built[name].cache_bytes
    for name, dataset in built.items():
        _same_classes(name, dataset, built["train"])
    if data.val_split is not None:
        built["train"], built["val"] = stratified_split(built["train"], data.val_split, seed)
        if len(built["val"]) == 0:
            raise SpecError(f"data.val_split {data.val_split} leaves no validation sample; use a larger fraction")
    return built


def _same_classes(split: str, dataset: Dataset, train: Dataset) -> None:
    """A split's classes are train's (same names, same order): a class index must mean one class everywhere."""
    mine, theirs = getattr(dataset, "classes", None), getattr(train, "classes", None)
    if mine and theirs and list(mine) != list(theirs):

        def shown(names: list[str]) -> str:
            return ", ".join(names[:5]) + (", …" if len(names) > 5 else "")

        raise SpecError(
            f"data.{split} has other classes than data.train ({shown(mine)} vs {shown(theirs)}); "
            "both splits must list the same classes in the same order"
        )


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
