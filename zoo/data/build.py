"""Datasets and transforms from their specs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import DataError, SpecError, ZooError, translated
from .cache import default_budget
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
