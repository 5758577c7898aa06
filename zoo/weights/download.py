"""Downloads into the zoo cache: atomic, sha256-checked, and refused when ``ZOO_OFFLINE=1``."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from ..atomic import atomic_path, write_json
from ..errors import DownloadError, WeightsError, ZooError


def timeout_s() -> float:
    """Seconds to wait for a server (``ZOO_HTTP_TIMEOUT``, default 30)."""
    return float(os.environ.get("ZOO_HTTP_TIMEOUT", 30))


def cache_dir() -> Path:
    """``$ZOO_CACHE_DIR``, else ``$XDG_CACHE_HOME/zoo``, else ``~/.cache/zoo``."""
    if env := os.environ.get("ZOO_CACHE_DIR"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zoo"


def hf_cache_dir() -> Path:
    """The standard Hugging Face hub cache: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``.

    Read at call time (huggingface_hub reads it once, at import), so a file timm or transformers fetched is reused.
    """
    if env := os.environ.get("HF_HUB_CACHE"):
        return Path(env).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    return Path(home).expanduser() / "hub"


def cache_roots() -> list[Path]:
    """The folders a cached bundle file may resolve into (symlinks of the HF cache point into its blobs)."""
    return [cache_dir(), hf_cache_dir()]


def offline() -> bool:
    """Whether ``ZOO_OFFLINE`` (or ``HF_HUB_OFFLINE``) forbids the network (1/true/yes/on)."""
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in ("ZOO_OFFLINE", "HF_HUB_OFFLINE"))


@contextmanager
def cache_lock(entry: Path) -> Iterator[None]:
    """Hold the file lock of one cache entry, so concurrent processes never see each other's half-written files."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(entry.with_name(entry.name + ".lock")))
        lock.acquire()
    except OSError as exc:
        raise DownloadError(f"cannot use the cache folder '{entry.parent}': {exc.strerror or exc}") from exc
    try:
        yield
    finally:
        lock.release()


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_matches(path: Path, sha256: str | None) -> bool:
    """Whether ``path`` hashes to ``sha256`` (a full digest or a prefix; None: nothing to check).

    The full digest of every file hashed is remembered with its stat signature (see ``_signature``), so a file is
    hashed once until its bytes change: hashing 500 MB takes 0.3 s.
    """
    if sha256 is None:
        return True
    digest = remembered_sha256(path)
    if digest is None:
        digest = sha256_file(path)
        remember_sha256(path, digest)
    return digest.startswith(sha256.lower())


def _signature(path: Path) -> list[int]:
    """What changes whenever a file's bytes do: size, mtime, ctime (not settable by users), inode, device."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _verified_index() -> Path:
    return cache_dir() / "verified.json"


def remembered_sha256(path: Path) -> str | None:
    """The digest recorded for this very file (same stat signature), if any."""
    try:
        record = json.loads(_verified_index().read_text()).get(os.path.realpath(path))
        return record["sha256"] if record["stat"] == _signature(path) else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def remember_sha256(path: Path, sha256: str) -> None:
    """Record the digest of ``path`` (best effort: a read-only cache only costs a re-hash)."""
    index = _verified_index()
    try:
        with cache_lock(index):
            records = json.loads(index.read_text()) if index.is_file() else {}
            if not isinstance(records, dict):
                records = {}
            records[os.path.realpath(path)] = {"sha256": sha256, "stat": _signature(path)}
            write_json(index, records)
    except (OSError, ValueError, ZooError):
        pass


def check_sha256(path: Path, expected: str, *, what: str) -> None:
    """Raise ``WeightsError`` naming ``what`` when the file's sha256 does not start with ``expected``."""
    actual = sha256_file(path)
    if not actual.startswith(expected.lower()):
        raise WeightsError(f"{what} failed its sha256 check (expected {expected}, got {actual[: len(expected)]})")


def download(
    url: str, dest: Path, *, sha256: str | None = None, timeout: float | None = None, refresh: bool = False
) -> Path:
    """Fetch ``url`` to ``dest`` unless a verified copy is cached; check ``sha256`` (a full digest or a prefix).

    A cached file is hashed before it is trusted (a verified file is remembered, see ``sha256_matches``); a copy
    that fails is fetched again, or refused offline. ``refresh`` fetches even when cached (a bundle's config). The
    file appears at ``dest`` only once complete and verified, so the cache never holds half a download.
    """
    if dest.is_file() and not (refresh and not offline()):
        if sha256 is None or sha256_matches(dest, sha256):
            return dest
        if offline():
            raise DownloadError(
                f"the cached '{dest}' from {url} failed its sha256 check and ZOO_OFFLINE=1 forbids fetching it again"
            )
    if offline():
        raise DownloadError(f"ZOO_OFFLINE=1 and '{dest.name}' from {url} is not in the cache ({dest})")
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(url, timeout=timeout or timeout_s()) as response, open(tmp, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
                expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and tmp.stat().st_size != int(expected):
                raise http.client.IncompleteRead(b"", int(expected) - tmp.stat().st_size)
            if sha256:
                check_sha256(tmp, sha256, what=f"download of {url}")
    except WeightsError as exc:
        raise DownloadError(str(exc)) from exc
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            reason = f"too many redirects (HTTP {exc.code}, a redirect loop)"
            raise DownloadError(f"download of {url} failed: {reason}") from None
        raise DownloadError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except http.client.HTTPException as exc:  # e.g. IncompleteRead: the server closed mid-file
        raise DownloadError(f"download of {url} failed: the connection broke off ({type(exc).__name__})") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {timeout or timeout_s():g} s (timed out)"
        raise DownloadError(f"download of {url} failed: {reason}") from exc
    return dest
