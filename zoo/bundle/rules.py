"""A bundle is data: its file names stay inside its folder, its kwargs never ask for a download or a file.

Every name read from a bundle's ``config.json`` goes through ``member_path`` before anything is downloaded,
unlinked or read; every ``model.kwargs`` through ``check_kwargs_are_data`` before the builder sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import BundleError

# kwargs of timm's create_model / torchvision's builders that load weights or reach the network
SOURCE_KWARGS = frozenset(
    {
        "pretrained",
        "pretrained_cfg",
        "pretrained_cfg_overlay",
        "pretrained_strict",
        "checkpoint_path",
        "cache_dir",
        "weights",
        "weights_backbone",
        "pretrained_backbone",
        "model_dir",
        "file",
        "url",
        "hf_hub_id",
    }
)
_NAME_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
_LOCATION = re.compile(r"^([a-z][a-z0-9+.-]*:|[/~\\.]|[A-Za-z]:)", re.IGNORECASE)


def check_file_name(name: object, *, where: str) -> str:
    """``name`` if it is a plain relative path (``a.safetensors``, ``onnx/model.onnx``), else ``BundleError``."""
    if not isinstance(name, str) or not name:
        raise BundleError(f"{where} lists a file name {name!r} that is not a plain relative path")
    parts = name.split("/")
    if any(not _NAME_PART.fullmatch(part) or part in (".", "..") for part in parts):
        raise BundleError(
            f"{where} lists the file '{name}', which is not a plain relative path inside the bundle "
            "(no absolute paths, '..', drive letters, backslashes or hidden names)"
        )
    return name


def member_path(folder: Path, name: str, *, where: str, roots: Iterable[Path] = ()) -> Path:
    """``folder / name`` once the name is plain and the path, after symlinks, stays in ``folder`` or ``roots``."""
    check_file_name(name, where=where)
    path = folder / name
    real = Path(os.path.realpath(path))
    allowed = [Path(os.path.realpath(folder)), *(Path(os.path.realpath(r)) for r in roots)]
    if not any(real == root or root in real.parents for root in allowed):
        raise BundleError(f"{where} lists the file '{name}', which resolves outside the bundle folder (to '{real}')")
    return path


def source_kwargs(kwargs: Mapping[str, Any]) -> list[str]:
    """The kwargs that would load weights, read a file or reach the network (by name, or by a location value)."""
    return [key for key, value in kwargs.items() if key in SOURCE_KWARGS or _holds_location(value)]


def check_kwargs_are_data(kwargs: object, *, where: str) -> dict[str, Any]:
    """``kwargs`` when they only shape the architecture; else ``BundleError`` naming the first offending one."""
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict):
        raise BundleError(f"{where}: model.kwargs must be a mapping, got {type(kwargs).__name__}")
    bad = source_kwargs(kwargs)
    if bad:
        raise BundleError(
            f"{where}: model.kwargs.{bad[0]} would load weights or reach a file or the network, "
            "which a bundle may not ask for (its weights are its own files)"
        )
    return dict(kwargs)


def _holds_location(value: Any) -> bool:
    """Whether ``value`` (or anything nested in it) is a URL, hub id or file path."""
    if isinstance(value, str):
        return bool(_LOCATION.match(value.strip())) or "/" in value or "\\" in value
    if isinstance(value, Mapping):
        return any(k in SOURCE_KWARGS or _holds_location(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_location(v) for v in value)
    return False
