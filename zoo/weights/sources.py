"""Where weights come from: a file, a bundle folder, an http(s) URL, ``hf-hub:org/name[@rev]`` or a card's tag.

Every remote source ends as a local path in the cache; the caller reads and checks it from there.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote

from ..errors import BundleError, DownloadError, WeightsError
from .bundle_format import CONFIG, check_config
from .bundle_rules import check_file_name, member_path
from .download import cache_dir, cache_lock, download, hf_cache_dir, offline

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
    """The cached copy of the bundle at ``url``: config first, checked whole, then only the files it lists."""
    folder = cache_dir() / "bundles" / hashlib.sha256(url.encode()).hexdigest()[:16]
    with cache_lock(folder):
        config_path = download(f"{url}/{CONFIG}", folder / CONFIG, refresh=True)  # online, always read fresh
        config = _checked_config(config_path, f"{url}/{CONFIG}")
        for name, info in config["files"].items():
            target = member_path(folder, name, where=f"{url}/{CONFIG}", roots=[cache_dir()])
            download(f"{url}/{quote(name)}", target, sha256=info["sha256"])
    return folder


def _checked_config(path: Path, where: str) -> dict:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{where} is not valid JSON ({exc})") from exc
    return check_config(config, where)


def _fetch_hf_bundle(source: str) -> Path:
    """The snapshot folder of ``hf-hub:org/name[@rev]`` in the standard HF cache, holding only the listed files."""
    repo, _, revision = source.removeprefix("hf-hub:").partition("@")
    config_path = hf_file(repo, CONFIG, revision=revision or None, what=source)
    config = _checked_config(config_path, f"{source}/{CONFIG}")
    commit = config_path.parent.name  # the snapshot folder is named after the resolved commit
    for name in config["files"]:
        check_file_name(name, where=f"{source}/{CONFIG}")
        hf_file(repo, name, revision=commit, what=source)
    return config_path.parent


def hf_file(repo: str, filename: str, *, revision: str | None, what: str) -> Path:
    """One file of a Hugging Face repo through huggingface_hub, into the standard HF cache (offline: cache only)."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:
        raise WeightsError(f"{what} needs huggingface_hub: pip install 'zoo[hub]'") from exc
    try:
        path = hf_hub_download(
            repo, filename, revision=revision, cache_dir=hf_cache_dir(), local_files_only=offline()
        )
    except Exception as exc:  # huggingface_hub raises many error types; translate them all
        hint = " (ZOO_OFFLINE=1 and it is not in the cache)" if offline() else ""
        raise DownloadError(
            f"could not fetch {what} ({filename}) from the Hugging Face Hub{hint}: {type(exc).__name__}"
        ) from exc
    return Path(path)
