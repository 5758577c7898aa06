"""``zoo.build``: a registered name (plus head size, input channels and weights) becomes an ``nn.Module``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from .bundle.format import read_bundle_weights
from .bundle.rules import SOURCE_KWARGS
from .errors import InvalidArgumentError, WeightsError, closest
from .models.head import attach_head_api, find_head
from .registry import MODELS, CardFields, card_fields
from .registry.meta import build_on_meta
from .registry.signature import accepted_arguments, check_arguments
from .weights.apply import LoadReport, adapt_first_conv, load_weights, meta_leftovers
from .weights.pretrained import built_config, prepare_tag_state, read_pretrained
from .weights.sources import fetch_bundle, fetch_file, is_remote
from .weights.weight_files import TORCH_SUFFIXES, read_state_dict

WeightsSource = str | Path | dict[str, Tensor]


def build(
    name: str,
    *,
    num_classes: int | None = None,
    in_chans: int | None = None,
    weights: WeightsSource | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Build the registered model ``name``.

    ``num_classes`` replaces the head, ``in_chans`` adapts the first conv (weights too, as timm does), and
    ``weights`` is a ``.pth``/``.safetensors`` file, a bundle folder, an http(s) URL, ``hf-hub:org/name`` or a
    tag of the model's card (``"IMAGENET1K_V1"``). With weights the model is built on the meta device and the
    tensors assigned, so no time is spent on a random init; a head of another size is re-initialised and
    ``model.zoo_load_report`` says so.

    >>> model = zoo.build("vgg16", num_classes=10)
    """
    return build_model(name, num_classes=num_classes, in_chans=in_chans, weights=weights, kwargs=kwargs)


def build_model(
    name: str,
    *,
    num_classes: int | None = None,
    in_chans: int | None = None,
    weights: WeightsSource | None = None,
    kwargs: dict[str, Any],
    strict: bool = True,
) -> nn.Module:
    """``build`` with the builder's kwargs as a dict and ``strict`` loading (what bundles rebuild with)."""
    entry = MODELS.get(name)
    card = card_fields(entry)
    _check_count("num_classes", num_classes)
    _check_count("in_chans", in_chans)
    params = _check_kwargs(entry.name, entry.obj, kwargs)
    call_kwargs = dict(kwargs)
    takes_num_classes = "num_classes" in params or accepted_arguments(entry.obj) is None
    if num_classes is not None and takes_num_classes:
        call_kwargs["num_classes"] = num_classes
    if in_chans is not None and "in_chans" in params:
        call_kwargs["in_chans"] = in_chans

    if weights is None and card.default_weights:
        weights = card.default_weights  # a name.tag name: a tag never yields random weights
    state, source, tag = (None, "", None) if weights is None else _resolve_weights(weights, card, entry.name)
    if tag is not None:
        call_kwargs.update(tag.get("build_kwargs") or {})  # e.g. googlenet's checkpoints expect transform_input

    def instantiate(meta: bool) -> nn.Module:
        model = _call(entry.name, entry.obj, call_kwargs, meta=meta)
        attach_head_api(model, card.head or find_head(model, num_classes or card.num_classes))
        if num_classes is not None and not takes_num_classes:
            model.reset_classifier(num_classes)
        return model

    model = instantiate(meta=state is not None)
    if state is not None:
        if tag is not None:
            state = prepare_tag_state(state, tag, model)
        report = load_weights(model, state, head=model.zoo_head_path, source=source, strict=strict)
        if meta_leftovers(model):  # e.g. non-persistent buffers: rebuild for real and load again
            model = instantiate(meta=False)
            report = load_weights(model, state, head=model.zoo_head_path, source=source, strict=strict)
        model.zoo_load_report = report
    if in_chans is not None and "in_chans" not in params:
        if not card.first_conv:
            raise InvalidArgumentError(f"model '{entry.name}' has no first_conv in its card; cannot set in_chans")
        adapt_first_conv(model, card.first_conv, in_chans)

    recorded = {k: v for k, v in (("num_classes", num_classes), ("in_chans", in_chans)) if v is not None}
    recorded.update((tag or {}).get("build_kwargs") or {})
    model.zoo_build = {
        "name": entry.name,
        "kwargs": {**recorded, **kwargs},
        "weights_from": source if isinstance(weights, str | Path) else None,
    }
    head_kept = state is not None and not model.zoo_load_report.missing
    model.zoo_config = built_config(card, tag, source, head_kept=head_kept)
    return model


def _check_count(field: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(f"{field} must be a positive integer, got {value!r}")


def _check_kwargs(name: str, builder: Callable, kwargs: dict[str, Any]) -> set[str]:
    """The builder's named parameters; a kwarg it cannot take raises, naming the ones it can.

    Kwargs that make the builder fetch weights itself (timm's ``pretrained``, torchvision's ``weights``…) are
    refused: zoo loads weights through ``weights=`` (checked, cached, offline-aware) and records them as data.
    """
    loading = [k for k in kwargs if k in SOURCE_KWARGS]
    if loading:
        raise InvalidArgumentError(
            f"model '{name}' got '{loading[0]}', which would make the builder fetch weights itself; "
            "pass weights='DEFAULT', a tag, a file or a URL to zoo.build instead"
        )
    check_arguments(f"model '{name}'", builder, kwargs, extra=("num_classes", "in_chans", "weights"))
    return accepted_arguments(builder) or set()


def _call(name: str, builder: Callable, kwargs: dict[str, Any], *, meta: bool) -> nn.Module:
    try:
        return build_on_meta(builder, **kwargs) if meta else builder(**kwargs)
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            bad = str(exc).rsplit("argument", 1)[-1].strip(" '\"")
            raise InvalidArgumentError(f"model '{name}' got unknown argument '{bad}'") from exc
        raise


def _resolve_weights(
    weights: WeightsSource, card: CardFields, name: str
) -> tuple[dict[str, Tensor], str, dict[str, Any] | None]:
    """``(state_dict, label for messages, the tag's info when weights named a tag)``."""
    if isinstance(weights, dict):
        return weights, "the given state_dict", None
    text = str(weights)
    arch = name.rsplit(".", 1)[0] if card.default_weights else name
    tag = card.default_tag if text == "DEFAULT" else text
    if tag in card.weights:
        info = card.weights[tag]
        label = f"{arch}.{tag}"
        return read_pretrained(info, what=label), info.get("source") or label, info
    if text == "DEFAULT":
        raise WeightsError(f"model '{arch}' has no pretrained weights, so weights='DEFAULT' names nothing")
    if is_remote(text):
        if text.startswith("hf-hub:") or not text.endswith((".safetensors", *TORCH_SUFFIXES)):
            return read_bundle_weights(fetch_bundle(text)), text, None
        return read_state_dict(fetch_file(text)), text, None
    path = Path(text).expanduser()
    if path.is_dir():
        return read_bundle_weights(path), str(path), None
    if not path.exists() and not path.suffix and "/" not in text:
        near = closest(text, card.weights) or list(card.weights)[:5]
        hint = f"; nearest tags: {', '.join(near)}" if near else " (it has no weight tags)"
        raise WeightsError(f"weights '{text}' is neither a file nor a weights tag of {arch}{hint}")
    return read_state_dict(path), str(path), None


__all__ = ["LoadReport", "build", "build_model"]
