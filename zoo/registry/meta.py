"""Building a model without memory or init: parameters on the meta device, ``torch.nn.init`` skipped for them.

Init on meta tensors computes nothing, but some of it (``normal_``) imports torch._dynamo on first use, which alone
costs more than loading VGG16's weights. A builder that computes with real tensors while it builds (torchvision's
RegNet calls ``.tolist()``) cannot run under ``torch.device("meta")``; it is built again with only its parameters
moved to meta as they are registered, so its own arithmetic stays real.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

_INIT_FUNCTIONS = [n for n in dir(torch.nn.init) if n.endswith("_") and not n.startswith("_")]


def build_on_meta(builder: Callable[..., nn.Module], /, **kwargs: Any) -> nn.Module:
    """``builder(**kwargs)`` with every parameter on the meta device and no init run on them.

    Warnings about initialisation (torchvision's GoogLeNet) are silenced: nothing is initialised here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*weight initialization.*")
        try:
            with _init_skipped_on_meta(), torch.device("meta"):
                return builder(**kwargs)
        except (NotImplementedError, RuntimeError) as exc:
            if "meta" not in str(exc).lower():
                raise
        with _init_skipped_on_meta(), _parameters_moved_to_meta():
            return builder(**kwargs)


@contextmanager
def _init_skipped_on_meta() -> Iterator[None]:
    originals = {n: getattr(torch.nn.init, n) for n in _INIT_FUNCTIONS}

    def skipping(original: Callable) -> Callable:
        return lambda tensor, *a, **k: tensor if tensor.is_meta else original(tensor, *a, **k)

    try:
        for n, fn in originals.items():
            setattr(torch.nn.init, n, skipping(fn))
        yield
    finally:
        for n, fn in originals.items():
            setattr(torch.nn.init, n, fn)


@contextmanager
def _parameters_moved_to_meta() -> Iterator[None]:
    original = nn.Module.register_parameter

    def register(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        if param is not None and not param.is_meta:
            param = nn.Parameter(param.detach().to("meta"), requires_grad=param.requires_grad)
        original(module, name, param)

    nn.Module.register_parameter = register  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = original  # type: ignore[method-assign]
