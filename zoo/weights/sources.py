"""Where weights come from: a file, a bundle folder, an http(s) URL, ``hf-hub:org/name[@rev]`` or a card's tag.

Every remote source ends as a local path in the cache; the caller reads and checks it from there.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote

from ..bundle.format import CONFIG, check_config
from ..bundle.rules import check_file_name, member_path
from ..errors import BundleError, DownloadError
from .download import cache_dir, cache_lock, download
from .hf_cache import hf_file, hf_first_file
from .timm_folder import WEIGHT_FILES, is_timm_config

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def is_remote(source: str) -> bool:
    return source.startswith(("http://", "https://", "hf-hub:"))


def fetch_bundle(source: str) -> Path:
    """A local folder holding the bundle at ``source`` (URL of a bundle folder or ``hf-hub:org/name[@rev]``)."""
    if source.startswith("hf-hub:"):
        return _fetch_hf_bundle(source)
    return _fetch_http_bundle(source.rstrip("/"))


def fetch_file(url: str, *, sha256: str | None = None) -> Path:
    """A single weights file from ``url``, cached under its name (and hash when known)."""
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not _PLAIN_NAME.fullmatch(name) or name in (".", ".."):
        name = "weights"  # a URL's last segment becomes a cache file name only when it is a plain one
    key = sha256 or hashlib.sha256(url.encode()).hexdigest()[:16]
    dest = cache_dir() / "files" / key / name
    with cache_lock(dest):
        return download(url, dest, sha256=sha256)


def _fetch_http_bundle(url: str) -> Path:
    """The cached copy of the bundle at ``url``: config first, checked whole, then only the files it lists.

    A timm model folder served over HTTP lists no hashes: its weights file is fetched again whenever online.
    """
    folder = cache_dir() / "bundles" / hashlib.sha256(url.encode()).hexdigest()[:16]
    with cache_lock(folder):
        config_path = download(f"{url}/{CONFIG}", folder / CONFIG, refresh=True)  # online, always read fresh
        raw = _json(config_path, f"{url}/{CONFIG}")
        if is_timm_config(raw):
            _first_found([f"{url}/{n}" for n in WEIGHT_FILES], [folder / n for n in WEIGHT_FILES])
            return folder
        config = check_config(raw, f"{url}/{CONFIG}")
        for name, info in config["files"].items():
            target = member_path(folder, name, where=f"{url}/{CONFIG}", roots=[cache_dir()])
            download(f"{url}/{quote(name)}", target, sha256=info["sha256"])
    return folder


def _first_found(urls: list[str], targets: list[Path]) -> None:
    """Download the first of ``urls`` the server has (a timm folder's safetensors, else its .bin)."""
    for url, target in zip(urls[:-1], targets[:-1], strict=True):
        try:
            download(url, target, refresh=True)
            return
        except DownloadError:
            continue
    download(urls[-1], targets[-1], refresh=True)


def _json(path: Path, where: str) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{where} is not valid JSON ({exc})") from exc


def _fetch_hf_bundle(source: str) -> Path:
    """The snapshot folder of ``hf-hub:org/name[@rev]`` in the standard HF cache, holding only the listed files
    (or, for a timm repo, its weights file)."""
    repo, _, revision = source.removeprefix("hf-hub:").partition("@")
    config_path = hf_file(repo, CONFIG, revision=revision or None, what=source)
    raw = _json(config_path, f"{source}/{CONFIG}")
    commit = config_path.parent.name  # the snapshot folder is named after the resolved commit
    if is_timm_config(raw):
        hf_first_file(repo, list(WEIGHT_FILES), revision=commit, what=source)
        return config_path.parent
    config = check_config(raw, f"{source}/{CONFIG}")
    for name in config["files"]:
        check_file_name(name, where=f"{source}/{CONFIG}")
        hf_file(repo, name, revision=commit, what=source)
    return config_path.parent
