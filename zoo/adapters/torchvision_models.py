"""Every torchvision classification model as ``torchvision/<arch>``, its card and weight tags read from its weights
enum (``get_model_weights``): URL with the hash prefix of its file name, preprocessing, metrics, categories."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..models.head import find_first_conv, find_head
from ..registry import Entry
from ..registry.meta import build_on_meta

# How torchvision's own builders treat these checkpoints when they load them (see each builder's source).
_CHECKPOINT_FIXES: dict[str, dict[str, Any]] = {
    # the checkpoints expect inputs re-normalised inside the model, and hold auxiliary heads that zoo drops
    "googlenet": {"build_kwargs": {"transform_input": True}, "drop_prefixes": ["aux1.", "aux2."]},
    "inception_v3": {"build_kwargs": {"transform_input": True}, "drop_prefixes": ["AuxLogits."]},
}
# DenseNet checkpoints name layers 'norm.1' where the modules are 'norm1' (torchvision renames them on load).
_DENSENET_RENAME = [r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$",
                    r"\1\2"]  # fmt: skip


def weights_info(member: Any, arch: str) -> dict[str, Any]:
    """What zoo records of one torchvision weights enum member: URL, hash, preprocessing, metrics, labels."""
    from torch.hub import HASH_REGEX

    preset = member.transforms()
    crop = list(getattr(preset, "crop_size", [224]))
    resize = list(getattr(preset, "resize_size", crop))
    metrics = next(iter(member.meta.get("_metrics", {}).values()), {})
    found = HASH_REGEX.search(member.url.rsplit("/", 1)[-1])
    fixes = _CHECKPOINT_FIXES.get(arch, {})
    return {
        "source": member.url,
        "url": member.url,
        "sha256_prefix": found.group(1) if found else None,
        "license": "bsd-3-clause",
        "input_size": [3, crop[0], crop[-1]],
        "crop_pct": round(crop[0] / resize[0], 4),
        "interpolation": preset.interpolation.value,
        "mean": list(preset.mean),
        "std": list(preset.std),
        "num_classes": len(member.meta.get("categories") or []) or None,
        "num_params": member.meta.get("num_params"),
        "file_size_mb": member.meta.get("_file_size"),
        "top1": metrics.get("acc@1"),
        "top5": metrics.get("acc@5"),
        "labels": f"torchvision:{type(member).__name__}.{member.name}" if member.meta.get("categories") else None,
        "recipe": member.meta.get("recipe"),
        **fixes,
        **({"rename": _DENSENET_RENAME} if arch.startswith("densenet") else {}),
    }


class TorchvisionModels:
    """The ``torchvision/`` namespace of the model registry (classification models only)."""

    @cache  # noqa: B019 - one instance lives for the whole process
    def names(self) -> tuple[str, ...]:
        import torchvision

        return tuple(torchvision.models.list_models(module=torchvision.models))

    @cache  # noqa: B019
    def pretrained_names(self) -> tuple[str, ...]:
        """``arch.TAG`` for every weights enum member of every classifier."""
        import torchvision

        return tuple(f"{a}.{m.name}" for a in self.names() for m in torchvision.models.get_model_weights(a))

    @cache  # noqa: B019
    def entry(self, arch: str) -> Entry | None:
        if arch not in self.names():
            return None
        import torchvision

        def builder(num_classes: int = 1000, **kwargs: Any):
            return torchvision.models.get_model(arch, num_classes=num_classes, **kwargs)

        builder.__name__ = arch
        probe = build_on_meta(builder, num_classes=1000)
        meta: dict[str, Any] = {
            "family": type(probe).__name__.lower(),
            "num_classes": 1000,
            "head": find_head(probe, 1000),
            "first_conv": find_first_conv(probe),
            "license": "bsd-3-clause",
        }
        enum = torchvision.models.get_model_weights(arch)
        if list(enum):
            default = enum.DEFAULT
            info = weights_info(default, arch)
            meta.update(input_size=tuple(info["input_size"]), mean=tuple(info["mean"]), std=tuple(info["std"]))
            meta["paper"] = default.meta.get("recipe")
            meta["weights"] = {m.name: weights_info(m, arch) for m in enum}
            meta["default_tag"] = default.name
        return Entry(f"torchvision/{arch}", builder, provider="torchvision", meta=meta)
