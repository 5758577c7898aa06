"""Every timm model as ``timm/<arch>``; timm is imported only when one of these names is listed or built."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..registry import Entry


def _first(value: Any) -> str | None:
    """timm stores some paths as tuples (distilled heads); the first is the main one."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


class TimmModels:
    """The ``timm/`` namespace of the model registry."""

    @cache  # noqa: B019 - one instance lives for the whole process
    def names(self) -> tuple[str, ...]:
        import timm

        return tuple(timm.list_models())

    @cache  # noqa: B019
    def entry(self, arch: str) -> Entry | None:
        import timm

        if not timm.is_model(arch):
            return None
        cfg = timm.models.get_pretrained_cfg(arch)
        cfg = cfg.to_dict() if cfg is not None else {}

        def builder(num_classes: int = cfg.get("num_classes", 1000), **kwargs: Any):
            return timm.create_model(arch, num_classes=num_classes, **kwargs)

        builder.__name__ = arch
        meta = {
            "family": timm.models.model_entrypoint(arch).__module__.rsplit(".", 1)[-1],
            "input_size": tuple(cfg.get("input_size", (3, 224, 224))),
            "mean": tuple(cfg.get("mean", (0.485, 0.456, 0.406))),
            "std": tuple(cfg.get("std", (0.229, 0.224, 0.225))),
            "num_classes": cfg.get("num_classes", 1000) or 1000,
            "head": _first(cfg.get("classifier")),
            "first_conv": _first(cfg.get("first_conv")),
            "license": cfg.get("license"),
            "paper": _first(cfg.get("paper_ids")),
        }
        return Entry(f"timm/{arch}", builder, provider="timm", meta=meta)
