"""Datasets and transforms from their specs: one split (``build_dataset``) or all of a run's (``build_datasets``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from torch import Tensor
from torch.utils.data import Dataset

from ..errors import DataError, SpecError, ZooError, translated
from ..registry.root import DATASETS
from ..rng import rng_untouched
from .cache import default_budget
from .prepared import Prepared
from .split import stratified_split
from .transforms import compose, make_transform, preprocess_transform, train_augmentation

if TYPE_CHECKING:
    from ..registry import ModelCard
    from ..specs import DatasetSpec, DataSpec, TransformSpec


def build_transform(transforms: list[TransformSpec] | str | None, default: Callable | None) -> Callable | None:
    """A preset name, a list of transform specs, or ``default`` (the model card's preprocessing) when None."""
    if transforms is None:
        return default
    if isinstance(transforms, str):
        return make_transform(transforms)
    return compose([make_transform(t.name, t.options()) for t in transforms])


def check_transforms(transforms: list[TransformSpec] | str | None) -> None:
    """Build ``transforms`` once; a constructor that rejects its arguments becomes a ``SpecError`` naming it."""
    if transforms is None or isinstance(transforms, str):
        return
    for i, t in enumerate(transforms):
        try:
            make_transform(t.name, t.options())
        except ZooError:
            raise
        except Exception as exc:  # noqa: BLE001 - any constructor error of torchvision is the user's arguments
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SpecError(f"transforms[{i}] ({t.name}) rejects its arguments: {detail}") from None


def build_dataset(
    spec: DatasetSpec, default_transform: Callable | None = None, *, where: str = "data", budget: int | None = None
) -> Prepared:
    """The dataset a spec names, with its transforms (or ``default_transform``) and its decoded cache (``cache:
    auto`` caches when the decoded size fits ``budget`` bytes, by default a quarter of the available memory).

    An error of the dataset's own code (a bad argument type, say) becomes a ``DataError`` naming ``where``.
    """
    with translated(f"{where} ({spec.name})", DataError):
        base = DATASETS.get(spec.name).obj(**spec.options())
    budget = default_budget() if budget is None else budget
    return Prepared(base, build_transform(spec.transforms, default_transform), cache=spec.cache, budget=budget)


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
        raise SpecError(
            f"data.{split} has other classes than data.train ({_shown(mine)} vs {_shown(theirs)}); "
            "both splits must list the same classes in the same order"
        )


def _shown(names: list[str]) -> str:
    """The first five class names, and an ellipsis when there are more."""
    return ", ".join(names[:5]) + (", …" if len(names) > 5 else "")


def resolve_num_classes(requested: int | None, classes: list[str] | None) -> int | None:
    """The head size: ``model.num_classes`` when given (it must match the data's classes), else the class count."""
    if requested is not None and classes and requested != len(classes):
        raise SpecError(
            f"model.num_classes is {requested} but data.train has {len(classes)} classes ({_shown(classes)}); "
            f"set model.num_classes: {len(classes)} or leave it out"
        )
    return requested or (len(classes) if classes else None)


def check_first_sample(dataset: Dataset, channels: int, model: str) -> None:
    """The first training sample fits the model's input channels; a mismatch names the transform to add."""
    with rng_untouched():  # reading a sample draws random augmentations
        x = dataset[0][0]
    if isinstance(x, Tensor) and x.dim() == 3 and x.shape[0] != channels:
        fix = "{name: RGB}" if channels == 3 else "{name: Grayscale, num_output_channels: 1}"
        raise DataError(
            f"data.train images have {x.shape[0]} channel(s) but model '{model}' takes {channels}; "
            f"add {fix} to data.train.transforms or set model.in_chans: {x.shape[0]}"
        )
