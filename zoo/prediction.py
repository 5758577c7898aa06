"""Predicting classes for images with a model and its bundle's preprocessing (the course's chapter 19)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import Tensor, nn

from .data.build import build_transform
from .data.images import read_image
from .data.transforms import preprocess_transform, to_channels
from .specs import TransformSpec


def bundle_transform(config: dict[str, Any]) -> Callable:
    """The preprocessing a bundle records: resize to its input size, then its eval transforms (or normalize)."""
    from torchvision.transforms import v2

    pre = config["preprocess"]
    channels, height, width = pre["input_size"]
    recorded = pre.get("transforms")
    if recorded is None:
        extra = {"crop_pct": pre.get("crop_pct"), "interpolation": pre.get("interpolation")}
        return preprocess_transform(pre["input_size"], pre["mean"], pre["std"], **extra)
    specs = recorded if isinstance(recorded, str) else [TransformSpec(**t) for t in recorded]
    return v2.Compose([to_channels(channels), v2.Resize((height, width), antialias=True), build_transform(specs, None)])


def transform_images(images: Iterable[str | Path | Image.Image], transform: Callable) -> Tensor:
    """A batch tensor from image paths or PIL images."""
    loaded = [read_image(Path(i), "RGB") if isinstance(i, str | Path) else i for i in images]
    return torch.stack([transform(img) for img in loaded])


@torch.no_grad()
def predict_batch(model: nn.Module, batch: Tensor, classes: list[str] | None, *, topk: int = 5) -> list[dict]:
    """``[{"label", "index", "score", "topk": [[label, score], ...]}]`` for each row of ``batch``."""
    model.eval()
    probs = model(batch).float().softmax(1)
    k = min(topk, probs.shape[1])
    scores, indices = probs.topk(k, dim=1)
    names = classes or [str(i) for i in range(probs.shape[1])]
    results = []
    for row_scores, row_indices in zip(scores.tolist(), indices.tolist(), strict=True):
        ranked = [[names[i], round(s, 6)] for i, s in zip(row_indices, row_scores, strict=True)]
        results.append({"label": ranked[0][0], "index": row_indices[0], "score": ranked[0][1], "topk": ranked})
    return results


def predict_images(model: nn.Module, paths: Iterable[str | Path], *, topk: int = 5, batch_size: int = 32) -> list[dict]:
    """Predictions for image files with a loaded bundle (``zoo.load``), each with its ``path``, in batches."""
    paths = [str(p) for p in paths]
    config = model.zoo_config
    device = next(model.parameters(), torch.empty(0)).device  # an ONNX model has no parameters: CPU
    transform = bundle_transform(config)
    results: list[dict] = []
    for start in range(0, len(paths), batch_size):
        chunk = paths[start : start + batch_size]
        batch = transform_images(chunk, transform).to(device)
        rows = predict_batch(model, batch, config.get("classes"), topk=topk)
        results += [{"path": p, **r} for p, r in zip(chunk, rows, strict=True)]
    return results


def expand_images(items: Iterable[str | Path]) -> list[Path]:
    """Image files from paths, folders (searched recursively) and glob patterns, in a stable sorted order."""
    import glob

    from .data.images import IMAGE_EXTENSIONS
    from .errors import DataError

    found: list[Path] = []
    for item in map(str, items):
        path = Path(item).expanduser()
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        elif path.is_file():
            found.append(path)
        elif glob.has_magic(item):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
            if not matches:
                raise DataError(f"no image matches '{item}'")
            found += matches
        else:
            raise DataError(f"image '{item}' does not exist")
    if not found:
        raise DataError("no images found in " + ", ".join(map(str, items)))
    return found


def predict(
    model_or_source: nn.Module | str | Path,
    images: Iterable[str | Path],
    *,
    topk: int = 5,
    device: str = "cpu",
    batch_size: int = 32,
) -> list[dict]:
    """Class predictions for image files, folders or globs with a model (``zoo.build``/``zoo.load``), a bundle, a
    registered name with weights, or an ``.onnx`` file: ``[{"path", "label", "index", "score", "topk"}]``.

    >>> zoo.predict("runs/quick/best", ["cat.png", "pictures/"])
    """
    from .bundle.loading import load_or_build
    from .device import resolve_device

    model = model_or_source if isinstance(model_or_source, nn.Module) else load_or_build(model_or_source)
    if next(model.parameters(), None) is not None:
        model = model.to(resolve_device(device))
    return predict_images(model, expand_images(images), topk=topk, batch_size=batch_size)
