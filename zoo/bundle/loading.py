"""``zoo.load``: a bundle (folder, file, URL or hf-hub) becomes a model, rebuilt from its config on meta."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from ..errors import BundleError, UnknownNameError
from ..factory import build_model
from ..registry import MODELS
from ..weights.sources import fetch_bundle, is_remote
from .format import read_bundle
from .saving import recover_interrupted


def resolve_bundle(source: str | os.PathLike) -> Path:
    """The local folder of a bundle given as a folder, its ``.safetensors`` file, a URL or ``hf-hub:``."""
    text = str(source)
    if is_remote(text):
        return fetch_bundle(text)
    path = Path(text).expanduser()
    if path.suffix == ".safetensors":
        return path.parent
    recover_interrupted(path)
    return path


def load(source: str | os.PathLike, *, device: str | torch.device = "cpu", strict: bool = True) -> nn.Module:
    """Load a bundle: check every file's size and sha256, rebuild the model on the meta device, assign weights.

    The bundle's config (classes, preprocessing, metrics) is attached as ``model.zoo_config``.

    >>> model = zoo.load("runs/quick/best")
    """
    folder = resolve_bundle(source)
    config, state = read_bundle(folder)
    name, kwargs = config["model"]["name"], dict(config["model"].get("kwargs") or {})
    if name not in MODELS:
        provider = config["model"].get("provider")
        hint = f"; install the package that provides it ({provider})" if provider and provider != "zoo" else ""
        raise UnknownNameError(f"bundle '{folder}' needs model '{name}', which is not registered{hint}")
    num_classes, in_chans = kwargs.pop("num_classes", None), kwargs.pop("in_chans", None)
    model = build_model(name, num_classes=num_classes, in_chans=in_chans, weights=state, kwargs=kwargs, strict=strict)
    report = model.zoo_load_report
    if strict and (report.skipped or report.missing):
        raise BundleError(f"bundle '{folder}' weights do not fit '{name}': {', '.join(report.skipped[:4])}")
    report.source = str(folder)
    model.zoo_build["weights_from"] = config["model"].get("weights_from")  # what the saved model started from
    model.zoo_config = config
    return model.to(device).eval()


def load_or_build(source: str | os.PathLike) -> nn.Module:
    """A bundle (folder, file, URL, hf-hub) or, when ``source`` is a registered name and no such path exists, the
    model built by name (``timm/resnet50.a1_in1k`` with its weights, classes and preprocessing), ready for eval.
    An ``.onnx`` file exported by zoo runs through onnxruntime behind the same interface."""
    text = str(source)
    if text.endswith(".onnx") and Path(text).is_file():
        from ..exporting.onnx_format import OnnxModel

        return OnnxModel(Path(text))
    if not is_remote(text) and not Path(text).expanduser().exists() and text in MODELS:
        return build_model(text, kwargs={}).eval()
    return load(source)
