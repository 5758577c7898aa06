"""Reading weight files of any trainer without running code: safetensors (memory-mapped) and PyTorch checkpoints
(``weights_only=True``), told apart by their first bytes, not their suffix; nested trainer dicts unwrapped.

A file that holds a pickled model object instead of a state_dict is refused in one line naming its class, as torch
reports it (``get_unsafe_globals_in_checkpoint``, or the global its ``weights_only`` loader refused), never by
executing it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import torch
from torch import Tensor

from ..errors import WeightsError, first_line

TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt")
# Keys under which trainers nest the state_dict: plain scripts, Lightning, DDP wrappers, EMA copies.
_NESTED = ("state_dict", "model", "model_state_dict", "module", "ema", "state_dict_ema", "model_ema")
# torch's weights_only refusal names the global: "Unsupported global: GLOBAL a.B …" / "unsupported GLOBAL a.b whose"
_LIBRARY_MODULES = ("torch.", "builtins.", "collections.", "_codecs.", "numpy.")  # not the class to name
_REFUSED_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


def read_state_dict(path: str | Path) -> dict[str, Tensor]:
    """The tensors of a weights file, without executing any code from it (any suffix, or none)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file '{path}' does not exist")
    kind = "safetensors" if path.suffix == ".safetensors" else file_format(path)  # a named suffix is believed
    if kind == "safetensors":
        return _read_safetensors(path)
    if kind in ("torch-zip", "torch-legacy"):
        return _read_torch(path, mmap=kind == "torch-zip")
    raise WeightsError(
        f"weights file '{path}' is neither safetensors nor a PyTorch checkpoint (judged by its first bytes)"
    )


def file_format(path: Path) -> str | None:
    """``"safetensors"``, ``"torch-zip"``, ``"torch-legacy"`` (a pickle stream) or None, from the first bytes."""
    with open(path, "rb") as f:
        head = f.read(9)
    if head[:4] == b"PK\x03\x04":
        return "torch-zip"
    if head[:1] == b"\x80":
        return "torch-legacy"
    if len(head) == 9 and head[8:9] == b"{" and 0 < int.from_bytes(head[:8], "little") < path.stat().st_size:
        return "safetensors"
    return None


def _read_safetensors(path: Path) -> dict[str, Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"weights file '{path}' is not a readable safetensors file ({exc})") from exc


def _read_torch(path: Path, *, mmap: bool) -> dict[str, Tensor]:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as exc:
        objects = pickled_objects(path, exc)
        if objects:
            modules = [o for o in objects if not o.startswith(_LIBRARY_MODULES)]
            kind = "model object" if any(".nn." in o for o in objects) else "object"
            raise WeightsError(
                f"weights file '{path}' holds a pickled {kind} ({(modules or objects)[0]}) rather than a state_dict; "
                "zoo never unpickles objects: where that class is importable, re-save it with "
                f"torch.save(model.state_dict(), '{path.name}')"
            ) from exc
        raise WeightsError(f"weights file '{path}' is not a loadable PyTorch checkpoint ({first_line(exc)})") from exc
    return unwrap_state_dict(data, path)


def pickled_objects(path: Path, error: BaseException) -> list[str]:
    """``module.Class`` names a torch file refers to beyond what ``weights_only`` allows, never executing them:
    torch's own ``get_unsafe_globals_in_checkpoint`` for the zip format, else the global named in torch's refusal."""
    if zipfile.is_zipfile(path):
        try:
            return list(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
        except Exception:  # noqa: BLE001 - a damaged archive names nothing; the caller says it is unloadable
            return []
    return _REFUSED_GLOBAL.findall(str(error))


def unwrap_state_dict(data: object, path: Path | str) -> dict[str, Tensor]:
    """Find the state_dict in a checkpoint: nested under a trainer's key ('state_dict', 'model', 'ema', …)."""
    for _ in range(3):
        if isinstance(data, dict) and not all(isinstance(v, Tensor) for v in data.values()):
            nested = next((data[k] for k in _NESTED if isinstance(data.get(k), dict)), None)
            if nested is not None:
                data = nested
    if not isinstance(data, dict) or not data or not all(isinstance(v, Tensor) for v in data.values()):
        raise WeightsError(f"weights file '{path}' holds no state_dict (a mapping of names to tensors)")
    return data
