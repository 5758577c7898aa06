"""Every timm model as ``timm/<arch>`` and every pretrained tag as ``timm/<arch>.<tag>``; timm is imported only
when one of these names is listed or built. Tags are described as data (see ``weights/pretrained.py``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..registry import Entry


def _first(value: Any) -> str | None:
    """timm stores some paths as tuples (distilled heads); the first is the main one."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def tag_info(name: str) -> dict[str, Any]:
    """What zoo records of one timm pretrained tag (``resnet50.a1_in1k``): source, preprocessing, labels."""
    import timm
    from timm.data import infer_imagenet_subset

    cfg = timm.models.get_pretrained_cfg(name).to_dict()
    hf = cfg.get("hf_hub_id")
    input_size = list(cfg.get("input_size", (3, 224, 224)))
    return {
        "source": f"hf-hub:{hf}" if hf else cfg.get("url"),
        "hf_hub_id": hf,
        "hf_hub_filename": cfg.get("hf_hub_filename"),
        "url": cfg.get("url") or None,
        "custom_load": bool(cfg.get("custom_load")),
        "license": cfg.get("license"),
        "input_size": input_size,
        "crop_pct": cfg.get("crop_pct"),
        "interpolation": cfg.get("interpolation"),
        "mean": list(cfg.get("mean", (0.485, 0.456, 0.406))),
        "std": list(cfg.get("std", (0.229, 0.224, 0.225))),
        "num_classes": cfg.get("num_classes"),
        "label_offset": cfg.get("label_offset") or 0,
        "labels": infer_imagenet_subset(cfg),
        "paper": _first(cfg.get("paper_ids")),
    }


class TimmModels:
    """The ``timm/`` namespace of the model registry."""

    @cache  # noqa: B019 - one instance lives for the whole process
    def names(self) -> tuple[str, ...]:
        import timm

        return tuple(timm.list_models())

    @cache  # noqa: B019
    def pretrained_names(self) -> tuple[str, ...]:
        """``arch.tag`` for every pretrained tag timm knows (no weights are touched)."""
        import timm

        return tuple(timm.list_pretrained())

    @cache  # noqa: B019
    def entry(self, arch: str) -> Entry | None:
        import timm

        if "." in arch or not timm.is_model(arch):
            return None  # arch.tag names resolve through the arch's card (Registry.find)
        cfg = timm.models.get_pretrained_cfg(arch)
        cfg = cfg.to_dict() if cfg is not None else {}

        def builder(num_classes: int = cfg.get("num_classes", 1000), **kwargs: Any):
            return timm.create_model(arch, num_classes=num_classes, **kwargs)

        builder.__name__ = arch
        module = timm.models.model_entrypoint(arch).__module__
        tags = [n.split(".", 1)[1] for n in timm.list_pretrained(f"{arch}.*")]
        meta = {
            "family": module.rsplit(".", 1)[-1],
            "input_size": tuple(cfg.get("input_size", (3, 224, 224))),
            "mean": tuple(cfg.get("mean", (0.485, 0.456, 0.406))),
            "std": tuple(cfg.get("std", (0.229, 0.224, 0.225))),
            "num_classes": cfg.get("num_classes", 1000) or 1000,
            "head": _first(cfg.get("classifier")),
            "first_conv": _first(cfg.get("first_conv")),
            "license": cfg.get("license"),
            "paper": _first(cfg.get("paper_ids")),
            "weights": {tag: {**tag_info(f"{arch}.{tag}"), "filter": f"{module}:checkpoint_filter_fn"} for tag in tags},
            "default_tag": cfg.get("tag") if cfg.get("tag") in tags else (tags[0] if tags else None),
        }
        return Entry(f"timm/{arch}", builder, provider="timm", meta=meta)
