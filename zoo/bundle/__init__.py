"""Bundles: a model as a shareable folder (``model.safetensors`` + ``config.json`` + ``README.md``)."""

from .load import load, resolve_bundle
from .save import save, unwrap

__all__ = ["load", "resolve_bundle", "save", "unwrap"]
