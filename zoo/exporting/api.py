"""``zoo.export``: a model, bundle or registry name becomes an ``.onnx`` or ``.pt2`` file, checked against PyTorch.

The example input has the model's own input size and ``batch`` rows; the batch dimension is dynamic unless asked
otherwise. Every export is run at two other batch sizes and compared with eager PyTorch (largest absolute
difference ≤ ``tolerance``). The file records what it is: input name and shape, preprocessing, class names and the
source bundle's sha256. Exporting a bundle in place adds ``model.onnx`` / ``model.pt2`` to it, listed with its
sha256 in ``config.json``; ``model.safetensors`` is never touched.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..atomic import write_errors
from ..errors import ExportError, InvalidArgumentError
from . import onnx_format, pt2_format

logger = logging.getLogger("zoo")
FORMATS = {"onnx": onnx_format, "pt2": pt2_format}
INPUT_NAME = "input"


@dataclass
class ExportResult:
    """Where the file went, which exporter made it, and the check's largest difference per batch size."""

    path: Path
    format: str
    exporter: str
    max_abs_diff: dict[int, float] = field(default_factory=dict)

    def __str__(self) -> str:
        checked = ", ".join(f"batch {b}: {d:.2e}" for b, d in self.max_abs_diff.items()) or "not checked"
        return f"wrote {self.path} ({self.exporter}); largest difference from PyTorch: {checked}"


def export(
    source: nn.Module | str | os.PathLike,
    path: str | os.PathLike | None = None,
    *,
    format: str = "onnx",
    opset: int | None = None,
    batch: int = 2,
    dynamic_batch: bool = True,
    check: bool = True,
    tolerance: float = 1e-4,
) -> ExportResult:
    """Export ``source`` (a model from ``zoo.build``/``zoo.load``, a bundle, or a registry name) to ``path``.

    Without ``path`` a bundle gets ``model.onnx`` / ``model.pt2`` inside it (listed in its ``config.json``).

    >>> zoo.export("runs/quick/best", format="onnx")
    """
    if format not in FORMATS:
        raise InvalidArgumentError(f"export format '{format}' is not one of {', '.join(FORMATS)}")
    if batch < 1:
        raise InvalidArgumentError(f"batch must be at least 1, got {batch}")
    model, bundle = _model_and_bundle(source)
    target = Path(path) if path is not None else _in_bundle(bundle, format)
    config = getattr(model, "zoo_config", None) or {}
    example = torch.randn(batch, *_input_size(model, config), generator=torch.Generator().manual_seed(0))
    metadata = _metadata(model, config, bundle, example)
    writer = FORMATS[format]
    # written under a temporary name and checked there: only a file that matches PyTorch takes the target's place
    candidate = target.with_name(f".{target.name}.checking{target.suffix}")
    try:
        exporter = writer.write(model, example, candidate, dynamic_batch=dynamic_batch, opset=opset, metadata=metadata)
        result = ExportResult(target, format, exporter)
        if check:
            _check(writer, candidate, model, example.shape[1:], [1, batch + 3] if dynamic_batch else [batch],
                   tolerance, result)  # fmt: skip
        with write_errors(target):
            os.replace(candidate, target)
    finally:
        candidate.unlink(missing_ok=True)
    if path is None and bundle is not None:
        _list_in_bundle(bundle, target)
    logger.info(str(result))
    return result


def _check(
    writer: Any, path: Path, model: nn.Module, shape: Any, sizes: list[int], tolerance: float, result: ExportResult
) -> None:
    """Run the file at each batch size against eager PyTorch; record the largest differences, refuse a mismatch."""
    for size in sizes:
        x = torch.randn(size, *shape, generator=torch.Generator().manual_seed(size))
        with torch.no_grad():
            expected = model(x).float()
        diff = (torch.as_tensor(writer.run(path, x)).float() - expected).abs().max().item()
        result.max_abs_diff[size] = diff
        if not diff <= tolerance:
            raise ExportError(
                f"the exported {result.path.name} differs from PyTorch by {diff:.3g} at batch {size} "
                f"(more than {tolerance:g}); the export is wrong and was not written"
            )


def _model_and_bundle(source: Any) -> tuple[nn.Module, Path | None]:
    if isinstance(source, nn.Module):
        return source.eval(), None
    from ..bundle.loading import load_or_build, resolve_bundle
    from ..registry import MODELS
    from ..weights.sources import is_remote

    model = load_or_build(source)
    text = str(source)
    local_bundle = Path(text).expanduser().exists() and not is_remote(text)
    # a name, URL or hf-hub source has no folder of the user's to add the file to: it needs --out
    return model.eval(), resolve_bundle(text) if local_bundle and text not in MODELS else None


def _in_bundle(bundle: Path | None, format: str) -> Path:
    if bundle is None:
        raise InvalidArgumentError("exporting a model or a registry name needs an output path (--out FILE)")
    return bundle / f"model.{format}"


def _input_size(model: nn.Module, config: dict[str, Any]) -> list[int]:
    size = (config.get("preprocess") or {}).get("input_size")
    if size:
        return list(size)
    from ..registry import model_info

    return list(model_info(model.zoo_build["name"]).input_size)


def _metadata(model: nn.Module, config: dict[str, Any], bundle: Path | None, example: torch.Tensor) -> dict[str, str]:
    """What the exported file says about itself (ONNX ``metadata_props`` / pt2 extra file ``zoo.json``)."""
    files = config.get("files") or {}
    weights = files.get("model.safetensors") or {}
    built = getattr(model, "zoo_build", {}) or {}
    return {
        "zoo.input_name": INPUT_NAME,
        "zoo.input_shape": json.dumps(["batch", *example.shape[1:]]),
        "zoo.preprocess": json.dumps(config.get("preprocess")),
        "zoo.classes": json.dumps(config.get("classes")),
        "zoo.model": json.dumps(built.get("name")),
        "zoo.source_sha256": json.dumps(weights.get("sha256")),
        "zoo.source": json.dumps(str(bundle) if bundle is not None else built.get("name")),
    }


def _list_in_bundle(bundle: Path, target: Path) -> None:
    """Add the exported file to the bundle's ``files`` table (sha256, bytes), rewriting config.json atomically."""
    from ..atomic import write_json
    from ..bundle.format import CONFIG, file_record, read_config

    config = read_config(bundle)
    config["files"][target.name] = file_record(target)
    write_json(bundle / CONFIG, config)
