"""Datasets and transforms from their specs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .prepared import Prepared
from .registry import DATASETS
from .transforms import compose, make_transform

if TYPE_CHECKING:
    from ..specs import DatasetSpec, TransformSpec


def build_transform(transforms: list[TransformSpec] | str | None, default: Callable | None) -> Callable | None:
    """A preset name, a list of transform specs, or ``default`` (the model card's preprocessing) when None."""
    if transforms is None:
        return default
    if isinstance(transforms, str):
        return make_transform(transforms)
    return compose([make_transform(t.name, t.options()) for t in transforms])


def build_dataset(spec: DatasetSpec, default_transform: Callable | None = None) -> Prepared:
    """The dataset a spec names, with its transforms (or ``default_transform``) and optional cache."""
    base = DATASETS.get(spec.name).obj(**spec.options())
    return Prepared(base, build_transform(spec.transforms, default_transform), cache=spec.cache)
