"""Published image archives (zip, tar): downloaded once, hash-checked at every use, extracted safely and atomically.

Most image archives publish no hash, so the first download's size and sha256 are recorded (trust on first use) in
``ZOO_CACHE_DIR/archives.json`` and every later use is checked against them; a spec can pin ``sha256`` to check the
very first download too. Extraction refuses any member that would land outside the target folder (absolute paths,
``..``, links), unpacks into a temporary folder beside it and renames it into place, so a folder is either complete
or absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from ..atomic import write_json
from ..errors import DataError, DownloadError
from ..weights.download import cache_dir, cache_lock, download, offline, sha256_file

DONE = ".zoo-extracted"  # written last inside an extracted folder: names the archive's sha256


def fetch_archive(url: str, target: Path, *, sha256: str | None = None, what: str = "data") -> Path:
    """``target`` holding the extracted archive at ``url``: fetched, checked and extracted when not already there."""
    target = Path(target).expanduser()
    with cache_lock(cache_dir() / "archives" / hashlib.sha256(url.encode()).hexdigest()[:16]):
        archive = _verified_archive(url, sha256, what)
        digest = sha256 or _known(url)["sha256"]
        marker = target / DONE
        if marker.is_file() and marker.read_text().strip() == digest:
            return target
        if target.exists() and any(target.iterdir()):
            raise DataError(f"{what}: '{target}' already holds other files; extract {url} into an empty folder")
        _extract(archive, target, url, digest)
    return target


def _records() -> dict:
    try:
        records = json.loads((cache_dir() / "archives.json").read_text())
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def _known(url: str) -> dict:
    return _records().get(url) or {}


def _verified_archive(url: str, pinned: str | None, what: str) -> Path:
    """The downloaded archive, checked against ``pinned`` or the record of its first download."""
    name = PurePosixPath(url.split("?", 1)[0]).name or "archive"
    dest = cache_dir() / "archives" / hashlib.sha256(url.encode()).hexdigest()[:16] / name
    known = _known(url)
    expected = pinned or known.get("sha256")
    if offline() and not dest.is_file():
        raise DownloadError(
            f"{what}: ZOO_OFFLINE=1 and {url} is not in the cache; download it by hand to '{dest}' "
            "(or unset ZOO_OFFLINE)"
        )
    try:
        download(url, dest, sha256=expected)  # a cached copy is checked against ``expected`` too
    except DownloadError as exc:
        raise DownloadError(f"{what}: {exc}") from exc
    if expected is None:  # trust on first use: remember what this archive is
        records = {k: v for k, v in _records().items() if k != url}
        records[url] = {"sha256": sha256_file(dest), "bytes": dest.stat().st_size}
        write_json(cache_dir() / "archives.json", records)
    return dest


def _extract(archive: Path, target: Path, url: str, digest: str) -> None:
    """Unpack into a staging folder beside ``target``, mark it done, and rename it into place in one step."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".extracting", dir=target.parent))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.infolist():
                    _check_member(member.filename, url)
                zf.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    _check_member(member.name, url)
                    if member.issym() or member.islnk() or member.isdev():
                        raise DataError(f"archive {url} holds a link or device '{member.name}'; refused")
                tf.extractall(staging, filter="data")
        else:
            raise DataError(f"{url} is neither a zip nor a tar archive")
        (staging / DONE).write_text(digest + "\n")  # inside the rename: a folder is complete or absent
        if target.exists():
            target.rmdir()  # empty (checked by the caller)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_member(name: str, url: str) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise DataError(f"archive {url} holds '{name}', which would land outside the folder it is extracted to")
