"""The bundle format on disk (see DESIGN.md, "Bundle"): reading and verifying ``config.json`` and its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torch import Tensor

from ..errors import BundleError
from ..weights.download import cache_roots, sha256_file, sha256_matches
from ..weights.hf_cache import check_hf_blob
from ..weights.timm_folder import is_timm_config, timm_weights_name, zoo_config_of
from ..weights.weight_files import read_state_dict
from .rules import check_file_name, check_kwargs_are_data, member_path

FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
CARD = "README.md"


def read_config(folder: Path) -> dict[str, Any]:
    """The bundle's ``config.json``, checked for the keys zoo needs and for the rules of ``bundle.rules``."""
    return check_config(read_json_config(folder), str(folder / CONFIG))


def read_json_config(folder: Path) -> Any:
    """The parsed ``config.json`` of a folder, unchecked (a zoo bundle's or a timm model folder's)."""
    if not folder.is_dir():
        raise BundleError(f"bundle folder '{folder}' does not exist")
    path = folder / CONFIG
    if not path.is_file():
        raise BundleError(f"bundle '{folder}' has no {CONFIG}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"'{path}' is not valid JSON ({exc})") from exc


def check_config(config: Any, where: str) -> dict[str, Any]:
    """``config`` once it is a zoo bundle config whose file names and kwargs are plain data."""
    if not isinstance(config, dict) or config.get("zoo_format") != FORMAT_VERSION:
        raise BundleError(
            f"'{where}' is neither a zoo bundle config (\"zoo_format\": {FORMAT_VERSION}) nor a timm model config "
            '("architecture")'
        )
    model = config.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str):
        raise BundleError(f"'{where}' lacks model.name, the builder to rebuild the model with")
    model["kwargs"] = check_kwargs_are_data(model.get("kwargs"), where=f"'{where}'")
    files = config.get("files")
    if not isinstance(files, dict) or WEIGHTS not in files:
        raise BundleError(f"'{where}' lists no '{WEIGHTS}' under \"files\"")
    for name, info in files.items():
        check_file_name(name, where=f"'{where}'")
        if not (isinstance(info, dict) and _is_sha256(info.get("sha256")) and _is_size(info.get("bytes"))):
            raise BundleError(f"'{where}' gives no valid sha256 and byte size for the file '{name}'")
    return config


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_files(folder: Path, config: dict[str, Any]) -> None:
    """Check every listed file's place, size and sha256 before anything reads it."""
    for name, info in config["files"].items():
        path = member_path(folder, name, where=f"'{folder / CONFIG}'", roots=cache_roots())
        if not path.is_file():
            raise BundleError(f"bundle '{folder}' is missing '{name}' listed in {CONFIG}")
        size = path.stat().st_size
        if size != info["bytes"]:
            raise BundleError(
                f"'{path}' is {size} bytes but {CONFIG} says {info['bytes']}: the file is truncated or replaced"
            )
        if not sha256_matches(path, info["sha256"]):
            raise BundleError(f"'{path}' failed its sha256 check against {CONFIG}: the file was modified")


def file_record(path: Path) -> dict[str, Any]:
    """The ``files`` entry for one file: sha256 and byte size."""
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def read_bundle(folder: Path) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """``(config, weights)`` of a bundle folder, read only after its config and file hashes check out.

    A timm / Hugging Face model folder (``save_for_hf``) reads as a bundle too: its config becomes a zoo config;
    it lists no hashes, but a file in the HF cache is checked against the hash its blob is named by.
    """
    raw = read_json_config(folder)
    if is_timm_config(raw):
        where = str(folder / CONFIG)
        name = timm_weights_name(folder)
        path = member_path(folder, name, where=f"'{where}'", roots=cache_roots())
        check_hf_blob(path, str(folder))
        return zoo_config_of(raw, f"'{where}'"), read_state_dict(path)
    config = check_config(raw, str(folder / CONFIG))
    verify_files(folder, config)
    return config, read_state_dict(folder / WEIGHTS)


def read_bundle_weights(folder: Path) -> dict[str, Tensor]:
    """The verified weights of a bundle folder."""
    return read_bundle(folder)[1]
