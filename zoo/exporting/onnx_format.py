"""ONNX files: ``torch.onnx.export(dynamo=True)`` (onnxscript), the TorchScript exporter only as a named fallback;
``metadata_props`` say what the file is; onnxruntime runs them (the check, and ``zoo predict model.onnx``)."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..atomic import atomic_path
from ..errors import ExportError, first_line

logger = logging.getLogger("zoo")
INPUT, OUTPUT = "input", "logits"


def write(
    model: nn.Module, example: torch.Tensor, target: Path, *, dynamic_batch: bool, opset: int | None,
    metadata: dict[str, str],
) -> str:  # fmt: skip
    """Write ``target``; returns which exporter made it."""
    import onnx

    name = getattr(model, "zoo_build", {}).get("name", type(model).__name__)
    with atomic_path(target) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            shapes = ({0: torch.export.Dim("batch", min=1, max=65536)},) if dynamic_batch else None
            program = torch.onnx.export(
                model, (example,), dynamo=True, dynamic_shapes=shapes, input_names=[INPUT], output_names=[OUTPUT],
                opset_version=opset, verbose=False,
            )  # fmt: skip
            program.save(str(tmp))
            exporter = "torch.onnx.export(dynamo=True)"
        except Exception as exc:  # noqa: BLE001 - any failure of the dynamo path falls back, and says why
            logger.info(f"the dynamo exporter could not export {name} ({first_line(exc)}); using TorchScript's")
            axes = {INPUT: {0: "batch"}, OUTPUT: {0: "batch"}} if dynamic_batch else None
            try:
                torch.onnx.export(
                    model, (example,), str(tmp), dynamo=False, input_names=[INPUT], output_names=[OUTPUT],
                    dynamic_axes=axes, opset_version=opset or 17,
                )  # fmt: skip
            except Exception as fallback:
                raise ExportError(f"{name} could not be exported to ONNX: {first_line(fallback)}") from fallback
            exporter = "torch.onnx.export (TorchScript fallback)"
        proto = onnx.load(str(tmp))
        for key, value in metadata.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, str(tmp))
    return exporter


def session(path: Path) -> Any:
    """An onnxruntime CPU session for ``path``."""
    import onnxruntime

    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def run(path: Path, x: torch.Tensor) -> np.ndarray:
    """The file's output for ``x`` (onnxruntime on CPU)."""
    sess = session(path)
    return sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]


def read_metadata(path: Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, without loading its weights."""
    return dict(session(path).get_modelmeta().custom_metadata_map)


class OnnxModel(nn.Module):
    """An ONNX file behind the ``nn.Module`` call (onnxruntime on CPU), with ``zoo_config`` from its metadata, so
    ``zoo predict model.onnx`` shares the bundle path: same preprocessing, same class names, no model code."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.session = session(path)
        meta = dict(self.session.get_modelmeta().custom_metadata_map)
        self.zoo_config = {k: json.loads(meta.get(f"zoo.{k}", "null")) for k in ("classes", "preprocess")}
        if not self.zoo_config["preprocess"]:
            raise ExportError(f"'{path}' was not exported by zoo: it records no preprocessing (zoo.preprocess)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        name = self.session.get_inputs()[0].name
        return torch.from_numpy(self.session.run(None, {name: x.detach().cpu().numpy()})[0])
