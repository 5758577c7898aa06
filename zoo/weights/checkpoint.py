"""Reading weight files: ``.safetensors`` (memory-mapped) and ``.pth``/``.pt``/``.bin`` (``weights_only=True``)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from ..errors import WeightsError

TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt")
# Keys under which trainers commonly nest the state_dict.
_NESTED = ("state_dict", "model", "model_state_dict", "module")


def read_state_dict(path: str | Path) -> dict[str, Tensor]:
    """The tensors of a weights file, without executing any code from it."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file '{path}' does not exist")
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    if path.suffix in TORCH_SUFFIXES:
        return _read_torch(path)
    raise WeightsError(f"weights file '{path}' has suffix '{path.suffix}'; expected .safetensors, .pth, .pt or .bin")


def _read_safetensors(path: Path) -> dict[str, Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"weights file '{path}' is not a readable safetensors file ({exc})") from exc


def _read_torch(path: Path) -> dict[str, Tensor]:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # torch raises many types for bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsError(f"weights file '{path}' is not a loadable PyTorch checkpoint ({first})") from exc
    return unwrap_state_dict(data, path)


def unwrap_state_dict(data: object, path: Path | str) -> dict[str, Tensor]:
    """Find the state_dict in a checkpoint (nested under 'state_dict'/'model', DDP 'module.' prefixes removed)."""
    for _ in range(2):
        if isinstance(data, dict):
            nested = next((data[k] for k in _NESTED if isinstance(data.get(k), dict)), None)
            if nested is not None and not all(isinstance(v, Tensor) for v in data.values()):
                data = nested
    if not isinstance(data, dict) or not data or not all(isinstance(v, Tensor) for v in data.values()):
        raise WeightsError(f"weights file '{path}' holds no state_dict (a mapping of names to tensors)")
    if all(k.startswith("module.") for k in data):
        data = {k.removeprefix("module."): v for k, v in data.items()}
    return data
