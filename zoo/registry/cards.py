"""Model cards: what a model is, as plain data next to its builder (name, head path, preprocessing, size)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


class CardFields(BaseModel):
    """The card fields a builder may declare when it is registered (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str | None = None
    input_size: tuple[int, int, int] = (3, 224, 224)
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    num_classes: int = 1000
    head: str | None = Field(None, description="module path of the classifier, e.g. 'classifier.6'")
    first_conv: str | None = Field(None, description="module path of the first convolution, e.g. 'features.0'")
    license: str | None = None
    paper: str | None = None
    description: str | None = None
    weights: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="named pretrained weights: tag -> {source, url, sha256_prefix, ...}"
    )
    default_tag: str | None = Field(None, description="the tag weights='DEFAULT' picks")
    default_weights: str | None = Field(None, description="the tag a 'name.tag' name builds with")
    crop_pct: float | None = Field(None, description="eval preprocessing: resize to size / crop_pct, then crop")
    interpolation: str | None = None


class ModelCard(CardFields):
    """Everything zoo knows about a registered model; ``zoo.model_info(name)`` returns one."""

    name: str
    source: str = Field(description="the package that registered the model (zoo, timm, torchvision, a plugin)")
    aliases: tuple[str, ...] = ()
    num_params: int = Field(description="parameter count at the default num_classes, computed on the meta device")


def count_params(builder: Any, **kwargs: Any) -> int:
    """Build on the meta device (no memory, no init) and count parameters."""
    from .meta import build_on_meta

    return sum(p.numel() for p in build_on_meta(builder, **kwargs).parameters())
