"""The model registry and its public face: ``register_model``, ``list_models``, ``model_info``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

from pydantic import ValidationError

from ..errors import InvalidArgumentError
from .cards import CardFields, ModelCard, count_params
from .registry import Entry
from .root import MODELS

F = TypeVar("F", bound=Callable[..., Any])


def register_model(name: str, *, aliases: Iterable[str] = (), override: bool = False, **card: Any) -> Callable[[F], F]:
    """Register a model builder (a function or ``nn.Module`` class) under ``name``; card fields as keywords.

    >>> @zoo.register_model("tiny_mlp", input_size=(1, 28, 28), num_classes=10, head="fc")
    ... class TinyMLP(nn.Module): ...
    """
    try:
        CardFields(**card)
    except ValidationError as exc:
        raise InvalidArgumentError(f"model card of '{name}' is invalid: {_first_error(exc)}") from exc

    def decorator(builder: F) -> F:
        MODELS.register(name, builder, aliases=aliases, override=override, **card)
        return builder

    return decorator


def list_models(
    pattern: str = "*",
    *,
    exclude: str | Iterable[str] | None = None,
    source: str | None = None,
    pretrained: bool = False,
) -> list[str]:
    """Sorted model names matching ``pattern`` (fnmatch), e.g. ``list_models("vgg*", exclude="*_bn")``.

    ``source`` keeps one provider: ``"zoo"``, ``"timm"``, ``"torchvision"`` or a plugin's distribution name.
    ``pretrained=True`` lists every pretrained tag instead, as ``name.tag`` (``timm/resnet50.a1_in1k``); each
    builds with its weights.
    """
    if pretrained:
        names = MODELS.pretrained_names(pattern, exclude=exclude)
        if source is not None:
            names = [n for n in names if MODELS.get(n.rsplit(".", 1)[0]).provider == source]
        return names
    return MODELS.names(pattern, exclude=exclude, source=source)


_TABLE_FIELDS = ("source", "license", "input_size", "crop_pct", "interpolation", "mean", "std", "num_classes",
                 "num_params", "file_size_mb", "top1", "top5")  # fmt: skip


def weights_table(names: Iterable[str]) -> list[dict[str, Any]]:
    """One row per ``name.tag``: where its weights come from, its preprocessing and recorded metrics (no download,
    no model built; ``num_params`` and ``top1`` only where the library records them)."""
    rows = []
    for name in names:
        entry = MODELS.get(name)
        info = entry.meta["weights"][entry.meta["default_weights"]]
        rows.append({"name": entry.name, **{k: info.get(k) for k in _TABLE_FIELDS}})
    return rows


def card_fields(entry: Entry) -> CardFields:
    """The declared card fields of a registry entry."""
    return CardFields(**entry.meta)


def model_info(name: str) -> ModelCard:
    """The model card of ``name``: source, head path, preprocessing and parameter count."""
    return _card(MODELS.get(name).name)


def card_with_weights(name: str, weights: str | None) -> ModelCard:
    """The card of ``name`` as built with ``weights``: for a tag (or ``DEFAULT``), the card of ``name.tag``, whose
    preprocessing is the tag's own."""
    card = model_info(name)
    tag = card.default_tag if weights == "DEFAULT" else weights
    if tag and tag in card.weights and not card.default_weights:
        return model_info(f"{name}.{tag}")
    return card


@cache
def _card(name: str) -> ModelCard:
    entry = MODELS.get(name)
    return ModelCard(
        name=entry.name,
        source=entry.provider,
        aliases=entry.aliases,
        num_params=count_params(entry.obj),
        **card_fields(entry).model_dump(),
    )


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
