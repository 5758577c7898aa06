"""Transforms by name: every ``torchvision.transforms.v2`` class, the course's ``ToTensor``, and presets."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torchvision.transforms import v2

from ..registry.cards import CIFAR10_MEAN, CIFAR10_STD
from ..registry.root import TRANSFORMS


def _register_v2() -> None:
    for name, cls in vars(v2).items():
        if inspect.isclass(cls) and issubclass(cls, v2.Transform) and name not in TRANSFORMS._entries:
            TRANSFORMS.register(name, cls, provider="torchvision")


@TRANSFORMS.register("ToTensor", provider="zoo")
def to_tensor() -> v2.Transform:
    """The course's ``ToTensor``: PIL/ndarray image to a float tensor in [0, 1] (v2's recommended spelling)."""
    return v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])


@TRANSFORMS.register("cifar10_train", provider="zoo", preset=True)
def cifar10_train(
    mean: Sequence[float] = CIFAR10_MEAN, std: Sequence[float] = CIFAR10_STD, size: int = 32
) -> v2.Transform:
    """RandomCrop(size, padding=4) + RandomHorizontalFlip + ToTensor + Normalize: the classic CIFAR recipe."""
    return v2.Compose([v2.RandomCrop(size, padding=4), v2.RandomHorizontalFlip(), to_tensor(), v2.Normalize(mean, std)])


@TRANSFORMS.register("cifar10_eval", provider="zoo", preset=True)
def cifar10_eval(mean: Sequence[float] = CIFAR10_MEAN, std: Sequence[float] = CIFAR10_STD) -> v2.Transform:
    """ToTensor + Normalize with CIFAR-10 statistics."""
    return v2.Compose([to_tensor(), v2.Normalize(mean, std)])


TRANSFORMS.add_loader(_register_v2)


DETERMINISTIC = {
    "Compose",
    "ToImage",
    "ToDtype",
    "ToPureTensor",
    "PILToTensor",
    "ConvertImageDtype",
    "Normalize",
    "Resize",
    "CenterCrop",
    "Pad",
    "Grayscale",
    "RGB",
    "Identity",
}  # fmt: skip  torchvision v2 steps that give the same output for the same input, every time


def steps(transform: Any) -> Iterator[Any]:
    """``transform`` and every step nested in it (``Compose``, ``RandomApply``, … hold theirs in ``transforms``)."""
    if transform is None:
        return
    yield transform
    for step in getattr(transform, "transforms", ()) or ():
        yield from steps(step)


def is_torchvision(step: Any) -> bool:
    return type(step).__module__.startswith("torchvision.")


def is_deterministic(transform: Any) -> bool:
    """True when ``transform`` (a v2 pipeline) has no random step, so its output can be computed once and kept.

    Only torchvision steps known to be deterministic count; anything else is taken as random.
    """
    return all(is_torchvision(step) and type(step).__name__ in DETERMINISTIC for step in steps(transform))


def make_transform(name: str, options: dict[str, Any] | None = None) -> v2.Transform:
    """One transform from its registered name and options (``dtype: float32`` becomes ``torch.float32``)."""
    options = {k: _coerce(k, v) for k, v in (options or {}).items()}
    return TRANSFORMS.get(name).obj(**options)


def compose(steps: Sequence[v2.Transform]) -> v2.Transform:
    return v2.Compose(list(steps))


def to_channels(channels: int) -> v2.Transform:
    """The first step of every preprocessing: a 1-channel model gets grayscale input, any other RGB."""
    return v2.Grayscale(1) if channels == 1 else v2.RGB()


def preprocess_transform(
    input_size: Sequence[int],
    mean: Sequence[float],
    std: Sequence[float],
    *,
    crop_pct: float | None = None,
    interpolation: str | None = None,
) -> v2.Transform:
    """A model card's preprocessing: resize to its input size, to float tensor, normalize with its mean/std.

    With ``crop_pct`` (pretrained weights' eval recipe, as timm and torchvision do it) the shorter side is resized
    to ``size / crop_pct`` and the centre ``size`` cropped. Single-channel models get grayscale input, others RGB
    (so MNIST feeds a 3-channel model as is).
    """
    channels, height, width = input_size
    mode = _interpolation(interpolation)
    steps: list[v2.Transform] = [to_channels(channels)]
    if crop_pct:
        scale = int(height / crop_pct) if height == width else [int(height / crop_pct), int(width / crop_pct)]
        steps += [v2.Resize(scale, interpolation=mode, antialias=True), v2.CenterCrop((height, width))]
    else:
        steps += [v2.Resize((height, width), interpolation=mode, antialias=True)]
    steps += [to_tensor(), v2.Normalize(list(mean), list(std))]
    return v2.Compose(steps)


def train_augmentation(
    input_size: Sequence[int], mean: Sequence[float], std: Sequence[float], *, interpolation: str | None = None
) -> v2.Transform:
    """The standard fine-tuning augmentation: RandomResizedCrop + horizontal flip, then tensor and normalize."""
    channels, height, width = input_size
    return v2.Compose(
        [
            to_channels(channels),
            v2.RandomResizedCrop((height, width), interpolation=_interpolation(interpolation), antialias=True),
            v2.RandomHorizontalFlip(),
            to_tensor(),
            v2.Normalize(list(mean), list(std)),
        ]
    )


def _interpolation(name: str | None) -> v2.InterpolationMode:
    """timm's and torchvision's names ('bicubic', 'bilinear', …) as an InterpolationMode (default bilinear)."""
    try:
        return v2.InterpolationMode(name or "bilinear")
    except ValueError:
        return v2.InterpolationMode.BILINEAR


def _coerce(key: str, value: Any) -> Any:
    if key == "dtype" and isinstance(value, str):
        return getattr(torch, value.removeprefix("torch."))
    return value


def normalize_stats(transforms: Any) -> tuple[list[float], list[float]] | None:
    """The ``(mean, std)`` a spec's transforms normalise with (a ``Normalize`` step or a preset's), if any."""
    if isinstance(transforms, str):
        params = inspect.signature(TRANSFORMS.get(transforms).obj).parameters
        if "mean" in params and "std" in params:
            return list(params["mean"].default), list(params["std"].default)
        return None
    for step in reversed(transforms or []):
        options = step.options()
        if step.name == "Normalize" and "mean" in options and "std" in options:
            return list(options["mean"]), list(options["std"])
        if step.name in ("cifar10_eval", "cifar10_train"):
            return normalize_stats(step.name)
    return None
