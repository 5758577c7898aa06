"""Where weights come from: a file, a bundle folder, an http(s) URL, ``hf-hub:org/name[@rev]`` or a card's tag.

Every remote source ends as a local path in the cache; the caller reads and checks it from there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import BundleError, DownloadError, WeightsError
from .bundle_format import sha256_matches
from .download import cache_dir, download, offline

CONFIG = "config.json"


def is_remote(source: str) -> bool:
    return source.startswith(("http://", "https://", "hf-hub:"))


def fetch_bundle(source: str) -> Path:
    """A local folder holding the bundle at ``source`` (URL of a bundle folder or ``hf-hub:org/name[@rev]``)."""
    if source.startswith("hf-hub:"):
        return _fetch_hf_bundle(source)
    return _fetch_http_bundle(source.rstrip("/"))


def fetch_file(url: str, *, sha256: str | None = None) -> Path:
    """A single weights file from ``url``, cached under its name (and hash when known)."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    key = sha256 or hashlib.sha256(url.encode()).hexdigest()[:16]
    return download(url, cache_dir() / "files" / key / name, sha256=sha256)


def _fetch_http_bundle(url: str) -> Path:
    folder = cache_dir() / "bundles" / hashlib.sha256(url.encode()).hexdigest()[:16]
    config_path = folder / CONFIG
    if not offline():
        config_path.unlink(missing_ok=True)  # online, the bundle's config is always read fresh
    download(f"{url}/{CONFIG}", config_path)
    try:
        files = json.loads(config_path.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{url}/{CONFIG} is not a zoo bundle config (no 'files' table)") from exc
    for name, info in files.items():
        target = folder / name
        if target.is_file() and _cached_file_matches(target, info):
            continue  # the cached copy is this bundle's file: no download
        target.unlink(missing_ok=True)
        download(f"{url}/{name}", target, sha256=info.get("sha256"))
    return folder


def _cached_file_matches(path: Path, info: dict) -> bool:
    return path.stat().st_size == info.get("bytes", path.stat().st_size) and sha256_matches(path, info.get("sha256"))


def _fetch_hf_bundle(source: str) -> Path:
    repo, _, revision = source.removeprefix("hf-hub:").partition("@")
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise WeightsError(f"{source} needs huggingface_hub: pip install 'zoo[hub]'") from exc
    try:
        path = snapshot_download(
            repo,
            revision=revision or None,
            cache_dir=cache_dir() / "hf",
            local_files_only=offline(),
            allow_patterns=[CONFIG, "*.safetensors", "README.md"],
        )
    except Exception as exc:  # huggingface_hub raises many error types
        hint = " (ZOO_OFFLINE=1 and it is not in the cache)" if offline() else ""
        raise DownloadError(f"could not fetch {source} from the Hugging Face Hub{hint}: {type(exc).__name__}") from exc
    return Path(path)
