"""Putting a state_dict into a model: strict except for a head of another size, which is re-initialised.

The model may have been built on the meta device: tensors are *assigned* (no copy, no wasted init), and only the
head that did not fit is materialised and freshly initialised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ..errors import WeightsError
from ..models.head import is_under


@dataclass
class LoadReport:
    """What a weights load did: ``loaded`` keys, ``skipped`` file keys (head of another size), ``missing`` keys
    the model had to initialise itself."""

    source: str
    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"loaded {len(self.loaded)} tensors from {self.source}"
        if self.renamed:
            text += f" (key prefixes mapped: {', '.join(self.renamed)})"
        if self.skipped:
            text += f"; skipped {', '.join(self.skipped)} (head of another size) and initialised a new head"
        return text


def _listing(keys: list[str], limit: int = 6) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def load_weights(
    model: nn.Module, state: dict[str, Tensor], *, head: str | None, source: str, strict: bool = True
) -> LoadReport:
    """Load ``state`` into ``model``; a head (module path ``head``) of another shape is skipped and re-initialised.

    Any other difference (missing, unexpected or mis-shaped backbone keys) is a ``WeightsError`` listing the keys;
    with ``strict=False`` missing and unexpected keys are only reported. Tied parameters stay tied.
    """
    expected = model.state_dict(keep_vars=True)
    ties = _tied_names(model)
    state, renamed = map_prefixes(state, expected, head)
    state = {**{name: state[first] for name, first in ties.items() if first in state and name not in state}, **state}
    report = LoadReport(source, renamed=renamed)
    unexpected = [k for k in state if k not in expected]
    missing = [k for k in expected if k not in state]
    mismatched = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    report.skipped = [k for k in mismatched if is_under(k, head)]
    report.missing = [k for k in expected if is_under(k, head) and (k in report.skipped or k in missing)]
    bad_missing = [k for k in missing if not is_under(k, head)]
    bad_shape = [k for k in mismatched if k not in report.skipped]
    if bad_shape:
        detail = ", ".join(f"{k} {tuple(state[k].shape)} vs {tuple(expected[k].shape)}" for k in bad_shape[:4])
        raise WeightsError(f"weights from {source} do not fit the model: shape mismatch in {detail}")
    if not strict:
        report.skipped += unexpected
        report.missing += bad_missing
    elif unexpected or bad_missing:
        parts = []
        if bad_missing:
            parts.append(f"missing {_listing(bad_missing)}")
        if unexpected:
            parts.append(f"unexpected {_listing(unexpected)}")
        raise WeightsError(f"weights from {source} do not fit the model: {'; '.join(parts)}")
    usable = {k: v for k, v in state.items() if k in expected and k not in report.skipped}
    # Keep the model's dtype (e.g. float32) when the file stores another.
    for k, v in usable.items():
        target = expected[k]
        if v.dtype != target.dtype and v.is_floating_point():
            usable[k] = v.to(target.dtype)
    model.load_state_dict(usable, strict=False, assign=True)
    report.loaded = list(usable)
    _retie(model, ties)
    if any(is_under(k, head) for k in report.missing):
        reinit_head(model, head)
    return report


def map_prefixes(
    state: dict[str, Tensor], expected: dict[str, Tensor], head: str | None
) -> tuple[dict[str, Tensor], list[str]]:
    """``state`` with key prefixes renamed where they map one-to-one onto the model's keys, and what was mapped.

    A first key component whose keys all miss the model is renamed (or removed: DDP's ``module.``, compile's
    ``_orig_mod.``, Lightning's ``model.``) when exactly one choice turns every one of its keys into a key the model
    lacks, with the same shape (a head of another size may differ). Keys are never matched by order.
    """
    notes: list[str] = []
    for _ in range(3):  # wrappers nest: module._orig_mod.model.
        missing = {k for k in expected if k not in state}
        heads = dict.fromkeys(k.split(".", 1)[0] for k in state if "." in k and k not in expected)
        targets = ["", *dict.fromkeys(k.split(".", 1)[0] + "." for k in missing if "." in k)]
        found: dict[str, str] = {}
        for first in heads:
            keys = [k for k in state if k.startswith(first + ".")]
            if any(k in expected for k in keys):
                continue  # part of this prefix already fits the model: it is not a wrapper's
            fits = [t for t in targets if _maps(keys, first, t, state, expected, missing, head)]
            if len(fits) == 1:
                found[first] = fits[0]
        # two prefixes that would fill the same model keys are ambiguous: map neither
        claimed = [found[f] + k[len(f) + 1 :] for f in found for k in state if k.startswith(f + ".")]
        if not found or len(claimed) != len(set(claimed)):
            break
        state = {_renamed(k, found): v for k, v in state.items()}
        notes += [f"'{first}.' -> '{target}'" for first, target in found.items()]
    return state, notes


def _renamed(key: str, prefixes: dict[str, str]) -> str:
    first = key.split(".", 1)[0]
    return prefixes[first] + key[len(first) + 1 :] if first in prefixes and "." in key else key


def _maps(keys, first, target, state, expected, missing, head) -> bool:
    renamed = {k: target + k[len(first) + 1 :] for k in keys}
    return all(
        r in missing and (tuple(expected[r].shape) == tuple(state[k].shape) or is_under(r, head))
        for k, r in renamed.items()
    )


def _tied_names(model: nn.Module) -> dict[str, str]:
    """Parameter names that are a second name of an earlier parameter (tied weights): name -> first name."""
    first_name: dict[int, str] = {}
    ties = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        ties.update({name: first_name[id(param)]} if id(param) in first_name else {})
        first_name.setdefault(id(param), name)
    return ties


def _retie(model: nn.Module, ties: dict[str, str]) -> None:
    """``assign=True`` loading gives every name its own Parameter; make tied names share one again."""
    for name, first in ties.items():
        owner, _, attr = name.rpartition(".")
        setattr(model.get_submodule(owner), attr, model.get_parameter(first))


def reinit_head(model: nn.Module, head: str | None) -> None:
    """Materialise (if on meta) and freshly initialise the module at ``head``."""
    module = model.get_submodule(head) if head else model
    if any(t.is_meta for t in module.parameters()):
        module.to_empty(device="cpu")
    for sub in module.modules():
        if hasattr(sub, "reset_parameters"):
            sub.reset_parameters()


def meta_leftovers(model: nn.Module) -> list[str]:
    """Names of tensors still on the meta device after loading (e.g. non-persistent buffers)."""
    names = [n for n, p in model.named_parameters() if p.is_meta]
    names += [n for n, b in model.named_buffers() if b.is_meta]
    return names


@torch.no_grad()
def adapt_first_conv(model: nn.Module, path: str, in_chans: int) -> None:
    """Give the conv at ``path`` ``in_chans`` input channels, adapting its weights as timm does
    (sum over channels for 1, repeat-and-scale for more)."""
    from timm.models import adapt_input_conv

    conv = model.get_submodule(path)
    if not isinstance(conv, nn.Conv2d):
        raise WeightsError(f"first_conv '{path}' is a {type(conv).__name__}, not a Conv2d; cannot set in_chans")
    if conv.in_channels == in_chans:
        return
    new = nn.Conv2d(
        in_chans,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
        conv.groups,
        conv.bias is not None,
        conv.padding_mode,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
    )
    new.weight.copy_(adapt_input_conv(in_chans, conv.weight))
    if conv.bias is not None:
        new.bias.copy_(conv.bias)
    model.set_submodule(path, new)
