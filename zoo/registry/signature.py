"""Checking keyword arguments against a builder's signature, with "did you mean" messages."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import InvalidArgumentError, closest


def accepted_arguments(fn: Callable) -> set[str] | None:
    """The keyword names ``fn`` takes; None when it takes ``**kwargs`` (anything goes)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def check_arguments(
    what: str, fn: Callable, given: Iterable[str], *, skip: Iterable[str] = (), extra: Iterable[str] = ()
) -> None:
    """Raise ``InvalidArgumentError`` when ``fn`` cannot take one of ``given``.

    ``skip`` are names the caller passes itself (not the user's to give); ``extra`` are names the caller
    handles that ``fn`` does not see. The message names the bad argument and the accepted ones.
    """
    accepted = accepted_arguments(fn)
    if accepted is None:
        return
    allowed = (accepted | set(extra)) - set(skip)
    for name in given:
        if name not in allowed:
            near = closest(name, allowed, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            choices = ", ".join(sorted(allowed)) or "no arguments"
            raise InvalidArgumentError(f"{what} got unknown argument '{name}'{hint}; it accepts {choices}")


def call_with(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with only the keyword arguments it accepts (the rest are context it does not need)."""
    accepted = accepted_arguments(fn)
    if accepted is not None:
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    return fn(*args, **kwargs)
