"""The uniform head API: ``get_classifier()`` / ``reset_classifier(num_classes)`` for any model.

The head is described once, as a module path in the model's card (timm's idea); the surgery is written once here.
timm models already have both methods and keep their own.
"""

from __future__ import annotations

import types

from torch import nn


def is_under(path: str, prefix: str | None) -> bool:
    """Whether module path or state-dict key ``path`` is ``prefix`` or inside it (``fc.weight`` is under ``fc``)."""
    return bool(prefix) and (path == prefix or path.startswith(f"{prefix}."))


def find_head(model: nn.Module, num_classes: int) -> str | None:
    """The path of the last Linear/Conv2d whose output size is ``num_classes`` (how adapters discover heads)."""
    found = None
    for path, module in model.named_modules():
        if (isinstance(module, nn.Linear) and module.out_features == num_classes) or (
            isinstance(module, nn.Conv2d) and module.out_channels == num_classes
        ):
            found = path
    return found


def find_first_conv(model: nn.Module) -> str | None:
    """The path of the first Conv2d (what ``in_chans`` adapts)."""
    return next((path for path, m in model.named_modules() if isinstance(m, nn.Conv2d)), None)


def new_head(old: nn.Module, num_classes: int) -> nn.Module:
    """A freshly initialised layer like ``old`` with ``num_classes`` outputs (Identity for 0, as in timm)."""
    if num_classes == 0:
        return nn.Identity()
    weight = old.weight
    if isinstance(old, nn.Linear):
        layer: nn.Module = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    elif isinstance(old, nn.Conv2d):
        layer = nn.Conv2d(
            old.in_channels, num_classes, old.kernel_size, old.stride, old.padding, bias=old.bias is not None
        )
    else:
        raise TypeError(f"cannot replace a head of type {type(old).__name__}")
    device = "cpu" if weight.is_meta else weight.device
    return layer.to(device=device, dtype=weight.dtype)


def attach_head_api(model: nn.Module, head: str | None) -> nn.Module:
    """Give ``model`` ``get_classifier`` and ``reset_classifier`` bound to the head at ``head`` (if it lacks them).

    ``model.zoo_head_path`` records the path for every model, timm's included.
    """
    model.zoo_head_path = head
    if hasattr(model, "get_classifier") and hasattr(model, "reset_classifier"):
        return model
    model.get_classifier = types.MethodType(_get_classifier, model)
    model.reset_classifier = types.MethodType(_reset_classifier, model)
    return model


def _get_classifier(self: nn.Module) -> nn.Module:
    if self.zoo_head_path is None:
        raise AttributeError(f"{type(self).__name__} has no known classifier head")
    return self.get_submodule(self.zoo_head_path)


def _reset_classifier(self: nn.Module, num_classes: int) -> None:
    """Replace the head with a fresh layer of ``num_classes`` outputs."""
    self.set_submodule(self.zoo_head_path, new_head(_get_classifier(self), num_classes))
