"""``zoo.save``: a model becomes a bundle folder, written beside the target and renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from safetensors.torch import save_model
from torch import nn

from ..atomic import current_umask, write_errors, write_json, write_text
from ..errors import BundleError
from ..registry import MODELS, model_info
from .card import render_card
from .format import CARD, CONFIG, FORMAT_VERSION, WEIGHTS, file_record
from .rules import source_kwargs
from .timm_config import timm_keys


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module under ``torch.compile`` and DDP/DataParallel wrappers."""
    while True:
        inner = getattr(model, "_orig_mod", None) or (
            model.module if isinstance(getattr(model, "module", None), nn.Module) else None
        )
        if inner is None:
            return model
        model = inner


def save(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    classes: list[str] | None = None,
    metrics: dict[str, Any] | None = None,
    spec: dict[str, Any] | None = None,
    card: dict[str, Any] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Save ``model`` (built by ``zoo.build``) as a bundle folder at ``path``; returns the path.

    ``card`` may set description, tags, datasets, license, and override input_size/mean/std/transforms. The whole
    folder is written next to ``path`` and renamed into place, so an existing bundle is replaced only by a complete
    one. ``extra(folder)`` may add files first (the trainer's resume state), inside that same swap.

    >>> zoo.save(model, "my-model/", classes=["ant", "bee"], metrics={"val_acc": 0.93})
    """
    model = unwrap(model)
    built = getattr(model, "zoo_build", None)
    if built is None:
        raise BundleError("zoo.save needs a model made by zoo.build (it records how to rebuild it)")
    card = dict(card or {})
    config = _config(model, built, classes, metrics, spec, card)
    config.update(timm_keys(model, config))  # so timm.create_model("local-dir:BUNDLE", pretrained=True) reads it
    target = Path(path)
    with write_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".saving", dir=target.parent))
    try:
        with write_errors(target):
            staging.chmod(0o777 & ~current_umask())
            save_model(model, str(staging / WEIGHTS), metadata={"format": "pt"})
            (staging / WEIGHTS).chmod(0o666 & ~current_umask())  # safetensors makes it 0600: share it like the rest
        config["files"] = {WEIGHTS: file_record(staging / WEIGHTS)}
        write_json(staging / CONFIG, config)
        write_text(staging / CARD, render_card(config, card))
        if extra is not None:
            with write_errors(target):
                extra(staging)
        with write_errors(target):
            _replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _replace_folder(staging: Path, target: Path) -> None:
    """Move the complete ``staging`` folder to ``target``; an old bundle there is set aside, then removed.

    Staging folders left by a save that was killed are removed first.
    """
    recover_interrupted(target)
    for stale in target.parent.glob(f".{target.name}.*.saving"):
        if stale != staging:
            shutil.rmtree(stale, ignore_errors=True)
    old = target.with_name(f".{target.name}.old")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def recover_interrupted(target: Path) -> None:
    """Undo a swap cut between its two renames: put the set-aside bundle back where it was."""
    old = target.with_name(f".{target.name}.old")
    if not target.exists() and old.is_dir():
        os.replace(old, target)


def _config(
    model: nn.Module,
    built: dict[str, Any],
    classes: list[str] | None,
    metrics: dict[str, Any] | None,
    spec: dict[str, Any] | None,
    card: dict[str, Any],
) -> dict[str, Any]:
    info = model_info(built["name"])
    built_with = getattr(model, "zoo_config", None) or {}  # a pretrained model's classes and preprocessing
    pre = built_with.get("preprocess") or {}
    in_chans = built["kwargs"].get("in_chans", info.input_size[0])
    size = pre.get("input_size") or info.input_size
    preprocess = {
        "input_size": list(card.get("input_size", (in_chans, *size[1:]))),
        "mean": list(card.get("mean", pre.get("mean") or info.mean)),
        "std": list(card.get("std", pre.get("std") or info.std)),
        "transforms": card.get("transforms", pre.get("transforms")),
    }
    preprocess.update({k: pre[k] for k in ("crop_pct", "interpolation") if pre.get(k) is not None})
    located = source_kwargs(built["kwargs"])
    if located:
        raise BundleError(
            f"model kwarg '{located[0]}' names a file, URL or weights source, which a bundle cannot record "
            "(a bundle is data: its weights are its own files)"
        )
    num_classes = built["kwargs"].get("num_classes", info.num_classes)
    known = built_with.get("classes")
    if classes is None and known and len(known) == num_classes:
        classes = known
    if classes is not None and len(classes) != num_classes:
        raise BundleError(f"{len(classes)} class names given for a model with {num_classes} outputs")
    return {
        "zoo_format": FORMAT_VERSION,
        "model": {
            "name": built["name"],
            "kwargs": built["kwargs"],
            "provider": MODELS.get(built["name"]).provider,
            "weights_from": built.get("weights_from"),
        },
        "classes": list(classes) if classes is not None else None,
        "preprocess": preprocess,
        "files": {},
        "metrics": dict(metrics or {}),
        "spec": spec,
        "license": card.get("license") or info.license,
        "versions": _versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _versions() -> dict[str, str]:
    found = {}
    for dist in ("zoo", "torch", "torchvision", "timm", "safetensors"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            continue
    return found
