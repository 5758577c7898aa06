"""Atomic writes: every file zoo writes goes to a temp file beside its target, then ``os.replace``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import WriteError


@contextmanager
def write_errors(path: str | os.PathLike) -> Iterator[None]:
    """An ``OSError`` of writing ``path`` (disk full, read-only, a file in the way) as a one-line ``WriteError``."""
    try:
        yield
    except OSError as exc:
        cause = exc.strerror or str(exc) or type(exc).__name__
        raise WriteError(f"cannot write '{path}': {cause}") from exc


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success it replaces ``target`` in one rename, else it is removed.

    The temp name ends in ``.tmp`` plus the target's suffix, for writers that insist on one (``.pt2``).
    """
    target = Path(target)
    with write_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
        os.close(fd)
    try:
        yield Path(tmp)
        with write_errors(target):
            os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp (and some writers) make 0600: use ordinary ones
            _fsync(tmp)
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp, write_errors(target):
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON to ``target`` atomically."""
    write_text(target, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_with(target: str | os.PathLike, writer: Callable[[str], None]) -> None:
    """Let ``writer(tmp_path)`` write the file (e.g. safetensors' ``save_file``), then move it into place."""
    with atomic_path(target) as tmp, write_errors(target):
        writer(str(tmp))


def _fsync(path: str) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
