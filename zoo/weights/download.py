"""Downloads into the zoo cache: atomic, sha256-checked, and refused when ``ZOO_OFFLINE=1``."""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from ..atomic import atomic_path
from ..errors import DownloadError, WeightsError


def timeout_s() -> float:
    """Seconds to wait for a server (``ZOO_HTTP_TIMEOUT``, default 30)."""
    return float(os.environ.get("ZOO_HTTP_TIMEOUT", 30))


def cache_dir() -> Path:
    """``$ZOO_CACHE_DIR``, else ``$XDG_CACHE_HOME/zoo``, else ``~/.cache/zoo``."""
    if env := os.environ.get("ZOO_CACHE_DIR"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zoo"


def offline() -> bool:
    """Whether ``ZOO_OFFLINE`` forbids the network (1/true/yes)."""
    return os.environ.get("ZOO_OFFLINE", "").lower() in ("1", "true", "yes")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path: Path, expected: str, *, what: str) -> None:
    """Raise ``WeightsError`` naming ``what`` when the file's sha256 does not start with ``expected``."""
    actual = sha256_file(path)
    if not actual.startswith(expected.lower()):
        raise WeightsError(f"{what} failed its sha256 check (expected {expected}, got {actual[: len(expected)]})")


def download(url: str, dest: Path, *, sha256: str | None = None, timeout: float | None = None) -> Path:
    """Fetch ``url`` to ``dest`` unless it is already cached; verify ``sha256`` (a full digest or a prefix).

    The file appears at ``dest`` only once complete and verified, so the cache never holds half a download.
    """
    if dest.is_file():
        return dest
    if offline():
        raise DownloadError(f"ZOO_OFFLINE=1 and '{dest.name}' from {url} is not in the cache ({dest})")
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(url, timeout=timeout or timeout_s()) as response, open(tmp, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
            if sha256:
                check_sha256(tmp, sha256, what=f"download of {url}")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {timeout or timeout_s():g} s (timed out)"
        raise DownloadError(f"download of {url} failed: {reason}") from exc
    return dest
