"""The errors zoo raises: one base class, one subclass per kind of user-facing failure.

Every message is a single sentence naming the cause (the field, file or name) and, where there is one, the nearest
valid choice. The CLI prints ``error: <message>`` and exits 2 for bad input (``ZooInputError``), 1 otherwise.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class ZooError(Exception):
    """Base class of every error zoo raises on purpose."""

    exit_code = 1


class ZooInputError(ZooError):
    """The user asked for something that cannot be (bad name, argument, spec or file)."""

    exit_code = 2


class UnknownNameError(ZooInputError, KeyError):
    """A name that no registry knows."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(ZooInputError):
    """A name registered twice without ``override=True``."""


class InvalidArgumentError(ZooInputError, TypeError, ValueError):
    """A keyword argument a builder does not accept, or a value of the wrong type or range."""


class WeightsError(ZooInputError):
    """A weights file that is missing, unreadable or does not fit the model."""


class BundleError(ZooInputError):
    """A bundle folder, config.json or weights file that is missing, malformed or tampered with."""


class DownloadError(ZooError):
    """A download that failed (HTTP error, timeout) or was refused because ``ZOO_OFFLINE=1``."""


class WriteError(ZooError):
    """A file or folder zoo could not write: disk full, read-only filesystem, a file where a folder should be."""


class ExportError(ZooError):
    """An export that failed, or whose file does not compute what the PyTorch model computes."""


class SpecError(ZooInputError):
    """A training spec that does not validate."""


class DataError(ZooInputError):
    """A dataset that cannot be read (missing folder, bad label, corrupt image)."""


class DeviceError(ZooInputError):
    """A device that does not exist or is not available on this machine."""


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The up-to-``n`` choices closest to ``name`` (difflib), best first."""
    choices = list(choices)
    found = difflib.get_close_matches(name, choices, n=n, cutoff=0.5)
    if not found:
        lowered = name.lower()
        found = [c for c in choices if lowered in c.lower()][:n]
    return found


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean a, b?"`` or ``""`` when nothing is close."""
    found = closest(name, choices)
    return f"; did you mean {', '.join(found)}?" if found else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def first_line(exc: BaseException) -> str:
    """One line of an exception's text: its last meaningful line when a worker traceback is wrapped in it."""
    text = _ANSI.sub("", str(exc))  # other libraries colour their messages; a zoo line never carries escapes
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if any(line.startswith("Original Traceback") for line in lines):  # DataLoader workers re-raise with it
        last = lines[-1]
        return last.split(": ", 1)[1] if ": " in last and last.split(": ", 1)[0].endswith("Error") else last
    return lines[0]


@contextmanager
def translated(where: str, error: type[ZooError]) -> Iterator[None]:
    """Let ``ZooError``s through; any other exception of a library call becomes ``error`` naming ``where``."""
    try:
        yield
    except ZooError:
        raise
    except Exception as exc:
        raise error(f"{where}: {type(exc).__name__}: {first_line(exc)}") from exc
