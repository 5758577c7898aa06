"""Pretrained weights named by a card's tag: where the bytes come from, how they are checked, what they mean.

A tag's info (see the timm and torchvision adapters) is plain data: ``hf_hub_id`` [+ ``hf_hub_filename``] or
``url`` [+ ``sha256_prefix``], preprocessing, and a ``labels`` key. Hugging Face files come from the standard HF
cache through huggingface_hub (a file timm or transformers fetched is reused) and are checked against the hash their
blob is named by; URL files come from torch's hub cache when a verified copy is there, else into ``ZOO_CACHE_DIR``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from torch import Tensor

from ..errors import DownloadError, WeightsError, ZooError
from .download import hf_cache_dir, offline, sha256_matches
from .hf_cache import hf_first_file
from .sources import fetch_file
from .weight_files import read_state_dict

_HASH_IN_NAME = re.compile(r"-([a-f0-9]{6,})\.")  # torch hub's convention: name-<sha256 prefix>.pth
_HF_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def read_pretrained(info: dict[str, Any], *, what: str) -> dict[str, Tensor]:
    """The state_dict of one tag, fetched (or found in a cache), verified and read without running code."""
    if info.get("custom_load"):
        raise WeightsError(f"{what} is stored in a format only timm's own loader reads (custom_load); not supported")
    if info.get("hf_hub_id"):
        path = _hf_weights(info, what)
    elif info.get("url"):
        path = _url_weights(info["url"], info.get("sha256_prefix") or _hash_in_name(info["url"]), what)
    else:
        raise WeightsError(f"{what} names no file to load its weights from")
    return read_state_dict(path)


def _hf_weights(info: dict[str, Any], what: str) -> Path:
    repo, _, revision = info["hf_hub_id"].partition("@")
    names = [info["hf_hub_filename"]] if info.get("hf_hub_filename") else list(_HF_WEIGHT_FILES)
    try:
        return hf_first_file(repo, names, revision=revision or None, what=what)
    except DownloadError as exc:
        if not offline():
            raise
        folder = hf_cache_dir() / f"models--{repo.replace('/', '--')}"
        raise DownloadError(
            f"ZOO_OFFLINE=1 and the weights of {what} (Hugging Face repo {repo}) are not in the cache; "
            f"they would go to {folder}"
        ) from exc


def _hash_in_name(url: str) -> str | None:
    found = _HASH_IN_NAME.search(url.rsplit("/", 1)[-1])
    return found.group(1) if found else None


def _url_weights(url: str, sha256_prefix: str | None, what: str) -> Path:
    """A verified copy in torch's hub cache, else the zoo cache (downloading when online)."""
    import torch.hub

    hub_copy = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    if hub_copy.is_file() and sha256_prefix and sha256_matches(hub_copy, sha256_prefix):
        return hub_copy
    try:
        return fetch_file(url, sha256=sha256_prefix)
    except ZooError as exc:
        raise DownloadError(f"weights of {what}: {exc}") from exc


def class_names(labels: str | None) -> list[str] | None:
    """The class names a ``labels`` key names: ``torchvision:<Enum>.<member>`` or an ImageNet subset of timm's."""
    if not labels:
        return None
    if labels.startswith("torchvision:"):
        import torchvision

        enum_name, _, member = labels.removeprefix("torchvision:").partition(".")
        return list(getattr(torchvision.models, enum_name)[member].meta["categories"])
    from timm.data import ImageNetInfo

    return [d.split(",")[0].strip() for d in ImageNetInfo(labels).label_descriptions(detailed=False)]


def prepare_tag_state(state: dict[str, Tensor], info: dict[str, Any], model: Any) -> dict[str, Tensor]:
    """The tag's checkpoint in the model's key layout: what timm's or torchvision's own loaders do to it first."""
    drop = tuple(info.get("drop_prefixes") or ())
    state = {k: v for k, v in state.items() if not (drop and k.startswith(drop))}
    if info.get("rename"):
        pattern, repl = re.compile(info["rename"][0]), info["rename"][1]
        state = {pattern.sub(repl, k): v for k, v in state.items()}
    if info.get("filter"):
        state = _timm_filter(info["filter"], state, model)
    offset = info.get("label_offset") or 0
    head = getattr(model, "zoo_head_path", None)
    if offset and head:  # e.g. 1001 ImageNet classes with background first: drop the extra rows
        expected = model.state_dict()
        for key in [k for k in state if k.startswith(head + ".") and k in expected]:
            if state[key].shape[0] == expected[key].shape[0] + offset:
                state[key] = state[key][offset:]
    return state


def _timm_filter(where: str, state: dict[str, Tensor], model: Any) -> dict[str, Tensor]:
    """timm's ``checkpoint_filter_fn`` of the model's module, when it has one (only timm's own modules)."""
    import importlib

    module_name, _, function = where.partition(":")
    if not module_name.startswith("timm.models."):
        raise WeightsError(f"checkpoint filter '{where}' is not one of timm's")
    fn = getattr(importlib.import_module(module_name), function, None)
    if fn is None:
        return state
    try:
        return fn(state, model)
    except TypeError:
        return fn(state)


def built_config(card: Any, tag: dict[str, Any] | None, source: str, *, head_kept: bool) -> dict[str, Any]:
    """``model.zoo_config`` of a built model, in a bundle config's shape: classes (pretrained, head unchanged),
    the eval preprocessing of its card or tag, and where its weights came from."""
    info = tag or {}
    return {
        "classes": class_names(info.get("labels")) if tag is not None and head_kept else None,
        "preprocess": {
            "input_size": list(info.get("input_size") or card.input_size),
            "mean": list(info.get("mean") or card.mean),
            "std": list(info.get("std") or card.std),
            "crop_pct": info.get("crop_pct", card.crop_pct),
            "interpolation": info.get("interpolation", card.interpolation),
            "transforms": None,
        },
        "weights": source or None,
    }
