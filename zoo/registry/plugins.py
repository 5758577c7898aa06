"""Third-party models: the ``zoo.models`` entry-point group, loaded once on the first registry query."""

from __future__ import annotations

import inspect
import warnings
from importlib.metadata import entry_points


def load_entry_points(group: str) -> list[str]:
    """Load every entry point of ``group``: a module is imported, a callable is called.

    A plugin that fails warns, naming its distribution, and is skipped: one broken package never breaks zoo.
    Returns the names of the plugins that loaded.
    """
    loaded = []
    for ep in entry_points(group=group):
        dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
        try:
            target = ep.load()
            if callable(target) and not inspect.ismodule(target):
                target()
        except Exception as exc:  # noqa: BLE001 - any plugin failure must be contained
            warnings.warn(
                f"zoo plugin '{ep.name}' from distribution '{dist}' failed to load and is skipped: "
                f"{type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        loaded.append(ep.name)
    return loaded
