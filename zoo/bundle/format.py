"""The bundle format on disk (see DESIGN.md, "Bundle"): reading and verifying ``config.json`` and its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import BundleError
from ..weights.download import sha256_file

FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
CARD = "README.md"


def read_config(folder: Path) -> dict[str, Any]:
    """The bundle's ``config.json``, checked for the keys zoo needs."""
    if not folder.is_dir():
        raise BundleError(f"bundle folder '{folder}' does not exist")
    path = folder / CONFIG
    if not path.is_file():
        raise BundleError(f"bundle '{folder}' has no {CONFIG}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"'{path}' is not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("zoo_format") != FORMAT_VERSION:
        raise BundleError(f"'{path}' is not a zoo bundle config (expected \"zoo_format\": {FORMAT_VERSION})")
    model = config.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str):
        raise BundleError(f"'{path}' lacks model.name, the builder to rebuild the model with")
    if not isinstance(config.get("files"), dict) or WEIGHTS not in config["files"]:
        raise BundleError(f"'{path}' lists no '{WEIGHTS}' under \"files\"")
    return config


def verify_files(folder: Path, config: dict[str, Any]) -> None:
    """Check every listed file's size and sha256 before anything reads it."""
    for name, info in config["files"].items():
        path = folder / name
        if not path.is_file():
            raise BundleError(f"bundle '{folder}' is missing '{name}' listed in {CONFIG}")
        size = path.stat().st_size
        if "bytes" in info and size != info["bytes"]:
            raise BundleError(
                f"'{path}' is {size} bytes but {CONFIG} says {info['bytes']}: the file is truncated or replaced"
            )
        if "sha256" in info and sha256_file(path) != info["sha256"]:
            raise BundleError(f"'{path}' failed its sha256 check against {CONFIG}: the file was modified")


def file_record(path: Path) -> dict[str, Any]:
    """The ``files`` entry for one file: sha256 and byte size."""
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def is_bundle(folder: Path) -> bool:
    return folder.is_dir() and (folder / CONFIG).is_file()
