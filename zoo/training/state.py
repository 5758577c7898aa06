"""Pickle-free training state: nested state_dicts split into JSON (structure, numbers) and safetensors (tensors).

Optimizer and scheduler state_dicts, the GradScaler and the RNG states of python, numpy, torch and CUDA (see
``zoo.rng``) all go through ``flatten``/``unflatten``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch import Tensor

from ..atomic import write_json, write_with
from ..errors import BundleError

STATE_JSON = "trainer_state.json"
STATE_TENSORS = "train_state.safetensors"


def flatten(obj: Any, tensors: dict[str, Tensor], path: str = "s") -> Any:
    """``obj`` as JSON-able data; every tensor moves to ``tensors`` under a path key and leaves a reference."""
    if isinstance(obj, Tensor):
        tensors[path] = obj.detach().cpu().contiguous()
        return {"__tensor__": path}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: flatten(v, tensors, f"{path}.{k}") for k, v in obj.items()}
        return {"__items__": [[k, flatten(v, tensors, f"{path}.{k}")] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [flatten(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [flatten(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in the training state at '{path}'")


def unflatten(data: Any, tensors: dict[str, Tensor]) -> Any:
    """The inverse of ``flatten``."""
    if isinstance(data, dict):
        if "__tensor__" in data:
            return tensors[data["__tensor__"]]
        if "__items__" in data:
            return {k: unflatten(v, tensors) for k, v in data["__items__"]}
        if "__tuple__" in data:
            return tuple(unflatten(v, tensors) for v in data["__tuple__"])
        return {k: unflatten(v, tensors) for k, v in data.items()}
    if isinstance(data, list):
        return [unflatten(v, tensors) for v in data]
    return data


def write_state(folder: Path, info: dict[str, Any], state: dict[str, Any]) -> None:
    """Write ``info`` (plain JSON: epoch, step, best, history…) and ``state`` (nested, with tensors) into folder."""
    tensors: dict[str, Tensor] = {}
    structure = flatten(state, tensors)
    write_with(folder / STATE_TENSORS, lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))
    write_json(folder / STATE_JSON, {**info, "state": structure})


def read_state(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(info, state)`` as written by ``write_state``."""
    try:
        info = json.loads((folder / STATE_JSON).read_text())
        tensors = load_file(str(folder / STATE_TENSORS))
    except (OSError, ValueError) as exc:
        raise BundleError(f"'{folder}' holds no readable training state ({exc})") from exc
    return info, unflatten(info.pop("state"), tensors)
