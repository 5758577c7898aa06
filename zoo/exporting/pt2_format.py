"""``.pt2`` files: ``torch.export.export`` + ``torch.export.save`` with a ``zoo.json`` extra file, and no pickle in the
archive (torch would pickle the example inputs; zoo drops them and checks the archive)."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import torch
from torch import nn

from ..atomic import atomic_path
from ..errors import ExportError, first_line


def write(
    model: nn.Module, example: torch.Tensor, target: Path, *, dynamic_batch: bool, opset: int | None,
    metadata: dict[str, str],
) -> str:  # fmt: skip
    """Write ``target``; returns which exporter made it (``opset`` is ONNX's and ignored here)."""
    name = getattr(model, "zoo_build", {}).get("name", type(model).__name__)
    shapes = ({0: torch.export.Dim("batch", min=1, max=65536)},) if dynamic_batch else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            program = torch.export.export(model, (example,), dynamic_shapes=shapes)
        except Exception as exc:
            raise ExportError(f"{name} could not be exported with torch.export: {first_line(exc)}") from exc
    program.example_inputs = None  # torch.export.save would store them as a pickle
    with atomic_path(target) as tmp:
        torch.export.save(program, str(tmp), extra_files={"zoo.json": json.dumps(metadata)})
        _refuse_pickles(tmp, name)
    return "torch.export"


def _refuse_pickles(path: Path, name: str) -> None:
    """No member of the archive may be a pickle (or a torch.save zip, which holds one)."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            with archive.open(member) as f:
                head = f.read(4)
            if (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")) or head == b"PK\x03\x04":
                raise ExportError(f"torch.export stored a pickle ({member.filename}) for {name}; not written")


def run(path: Path, x: torch.Tensor) -> torch.Tensor:
    """The file's output for ``x`` (``torch.export.load``)."""
    with torch.no_grad():
        return torch.export.load(str(path)).module()(x)


def read_metadata(path: Path) -> dict[str, str]:
    """The ``zoo.json`` extra file of a ``.pt2`` archive."""
    extra = {"zoo.json": ""}
    torch.export.load(str(path), extra_files=extra)
    return json.loads(extra["zoo.json"] or "{}")
