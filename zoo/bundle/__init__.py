"""Bundles: a model as a shareable folder (``model.safetensors`` + ``config.json`` + ``README.md``).

``format`` (reading and checking a bundle) and ``rules`` (what a bundle may name) are what the weights room reads
bundles with; ``save``/``load`` are imported on first use, so reading a bundle never imports the writer.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"load": ".loading", "resolve_bundle": ".loading", "save": ".saving", "unwrap": ".saving"}

__all__ = ["load", "resolve_bundle", "save", "unwrap"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'zoo.bundle' has no attribute '{name}'")
