"""The bundle format on disk (see DESIGN.md, "Bundle"): reading and verifying ``config.json`` and its files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from torch import Tensor

from ..atomic import write_json
from ..errors import BundleError
from .checkpoint import read_state_dict
from .download import cache_dir, sha256_file

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
        if not sha256_matches(path, info.get("sha256")):
            raise BundleError(f"'{path}' failed its sha256 check against {CONFIG}: the file was modified")


def sha256_matches(path: Path, sha256: str | None) -> bool:
    """Whether ``path`` hashes to ``sha256`` (None: nothing to check); a match is remembered (see below)."""
    if sha256 is None or verified_before(path, sha256):
        return True
    if sha256_file(path) != sha256:
        return False
    remember_verified(path, sha256)
    return True


def _signature(path: Path) -> list[int]:
    """What changes whenever a file's bytes do: size, mtime, ctime (not settable by users), inode, device."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _verified_index() -> Path:
    return cache_dir() / "verified.json"


def verified_before(path: Path, sha256: str) -> bool:
    """Whether this very file (same stat signature) already matched ``sha256``: hashing 500 MB takes 0.3 s."""
    try:
        record = json.loads(_verified_index().read_text()).get(os.path.realpath(path))
    except (OSError, ValueError):
        return False
    return record == {"sha256": sha256, "stat": _signature(path)}


def remember_verified(path: Path, sha256: str) -> None:
    """Record that ``path`` matched ``sha256`` (best effort: a read-only cache only costs a re-hash)."""
    index = _verified_index()
    try:
        records = json.loads(index.read_text()) if index.is_file() else {}
        records[os.path.realpath(path)] = {"sha256": sha256, "stat": _signature(path)}
        write_json(index, records)
    except (OSError, ValueError):
        pass


def file_record(path: Path) -> dict[str, Any]:
    """The ``files`` entry for one file: sha256 and byte size."""
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def read_bundle(folder: Path) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """``(config, weights)`` of a bundle folder, read only after its config and file hashes check out."""
    config = read_config(folder)
    verify_files(folder, config)
    return config, read_state_dict(folder / WEIGHTS)


def read_bundle_weights(folder: Path) -> dict[str, Tensor]:
    """The verified weights of a bundle folder."""
    return read_bundle(folder)[1]
