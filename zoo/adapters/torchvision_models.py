"""Every torchvision classification model as ``torchvision/<arch>``, its card read from its weights enum."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..registry import Entry
from .head import find_first_conv, find_head


class TorchvisionModels:
    """The ``torchvision/`` namespace of the model registry (classification models only)."""

    @cache  # noqa: B019 - one instance lives for the whole process
    def names(self) -> tuple[str, ...]:
        import torchvision

        return tuple(torchvision.models.list_models(module=torchvision.models))

    @cache  # noqa: B019
    def entry(self, arch: str) -> Entry | None:
        if arch not in self.names():
            return None
        import torch
        import torchvision

        def builder(num_classes: int = 1000, **kwargs: Any):
            return torchvision.models.get_model(arch, num_classes=num_classes, **kwargs)

        builder.__name__ = arch
        with torch.device("meta"):
            probe = builder(num_classes=1000)
        meta: dict[str, Any] = {
            "family": type(probe).__name__.lower(),
            "num_classes": 1000,
            "head": find_head(probe, 1000),
            "first_conv": find_first_conv(probe),
            "license": "bsd-3-clause",
        }
        weights = list(torchvision.models.get_model_weights(arch))
        if weights:
            preset = weights[0].transforms()
            size = getattr(preset, "crop_size", [224])
            meta.update(input_size=(3, size[0], size[-1]), mean=tuple(preset.mean), std=tuple(preset.std))
            meta["paper"] = weights[0].meta.get("recipe")
        return Entry(f"torchvision/{arch}", builder, provider="torchvision", meta=meta)
