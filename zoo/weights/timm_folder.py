"""timm / Hugging Face model folders (``config.json`` with ``architecture`` + ``model.safetensors``), as written by
``timm.models.save_for_hf`` and uploaded by ``push_to_hf_hub``: read as a zoo bundle config, as data only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..bundle.rules import check_kwargs_are_data
from ..errors import BundleError

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def is_timm_config(config: Any) -> bool:
    """A timm model config (not a zoo bundle's, which may carry timm's keys too)."""
    return isinstance(config, dict) and "zoo_format" not in config and isinstance(config.get("architecture"), str)


def timm_weights_name(folder: Path) -> str:
    """The weights file of a timm folder: ``model.safetensors``, else ``pytorch_model.bin`` (read weights_only)."""
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return name
    raise BundleError(f"'{folder}' is a timm model folder but holds neither {' nor '.join(WEIGHT_FILES)}")


def zoo_config_of(config: dict[str, Any], where: str) -> dict[str, Any]:
    """A zoo bundle config for a timm config: ``label_names`` become the classes, ``pretrained_cfg`` the
    preprocessing, ``model_args`` the builder's kwargs (checked as data, like any bundle's)."""
    pretrained = config.get("pretrained_cfg") if isinstance(config.get("pretrained_cfg"), dict) else {}
    kwargs = check_kwargs_are_data(config.get("model_args") or {}, where=where)
    num_classes = config.get("num_classes", pretrained.get("num_classes"))
    if isinstance(num_classes, int) and num_classes > 0:
        kwargs["num_classes"] = num_classes
    return {
        "zoo_format": 1,
        "model": {"name": f"timm/{config['architecture']}", "kwargs": kwargs, "provider": "timm", "weights_from": None},
        "classes": _classes(config, pretrained),
        "preprocess": {
            "input_size": list(pretrained.get("input_size") or (3, 224, 224)),
            "mean": list(pretrained.get("mean") or (0.485, 0.456, 0.406)),
            "std": list(pretrained.get("std") or (0.229, 0.224, 0.225)),
            "crop_pct": pretrained.get("crop_pct"),
            "interpolation": pretrained.get("interpolation"),
            "transforms": None,
        },
        "files": {},
        "metrics": {},
        "spec": None,
    }


def _classes(config: dict[str, Any], pretrained: dict[str, Any]) -> list[str] | None:
    labels = config.get("label_names", pretrained.get("label_names"))
    if isinstance(labels, dict):
        labels = [labels[k] for k in sorted(labels, key=lambda k: int(k))]
    if not isinstance(labels, list | tuple) or not labels:
        return None
    descriptions = config.get("label_descriptions", pretrained.get("label_descriptions")) or {}
    return [str(descriptions.get(n, n)).split(",")[0].strip() for n in labels]
