"""Reading weight files of any trainer without running code: safetensors (memory-mapped) and PyTorch checkpoints
(``weights_only=True``), told apart by their first bytes, not their suffix; nested trainer dicts unwrapped.

A file that holds a pickled model object instead of a state_dict is refused in one line naming its class, found by
reading the pickle's global references (``pickletools``), never by executing them.
"""

from __future__ import annotations

import io
import pickletools
import zipfile
from pathlib import Path

import torch
from torch import Tensor

from ..errors import WeightsError, first_line

TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt")
# Keys under which trainers nest the state_dict: plain scripts, Lightning, DDP wrappers, EMA copies.
_NESTED = ("state_dict", "model", "model_state_dict", "module", "ema", "state_dict_ema", "model_ema")
# Modules whose classes a state_dict file may reference (tensors, storages, ordered dicts).
_DATA_MODULES = ("torch._utils", "torch", "collections", "builtins", "_codecs", "numpy")


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
        objects = pickled_objects(path)
        if objects:
            modules = [o for o in objects if not o.startswith("torch.")]
            kind = "model object" if any(".nn." in o for o in objects) else "object"
            raise WeightsError(
                f"weights file '{path}' holds a pickled {kind} ({(modules or objects)[0]}) rather than a state_dict; "
                "zoo never unpickles objects: where that class is importable, re-save it with "
                f"torch.save(model.state_dict(), '{path.name}')"
            ) from exc
        raise WeightsError(f"weights file '{path}' is not a loadable PyTorch checkpoint ({first_line(exc)})") from exc
    return unwrap_state_dict(data, path)


def pickled_objects(path: Path) -> list[str]:
    """``module.Class`` names a torch file's pickle refers to beyond tensors and containers (read, not run)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                name = next(n for n in zf.namelist() if n.endswith("data.pkl"))
                streams = [zf.read(name)]
        else:
            streams = [path.read_bytes()]
        found: list[str] = []
        for data in streams:
            found += _globals(io.BytesIO(data))
    except (OSError, StopIteration, zipfile.BadZipFile):
        return []
    return [g for g in dict.fromkeys(found) if not g.startswith(_DATA_MODULES) or ".nn." in g]


def _globals(stream: io.BytesIO) -> list[str]:
    """Every GLOBAL / STACK_GLOBAL reference of the pickles in ``stream`` (legacy files hold several)."""
    names: list[str] = []
    strings: list[str] = []
    while stream.tell() < len(stream.getbuffer()):
        try:
            for opcode, arg, _ in pickletools.genops(stream):
                if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
                    strings.append(arg)
                elif opcode.name == "GLOBAL":
                    names.append(str(arg).replace(" ", "."))
                elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                    names.append(f"{strings[-2]}.{strings[-1]}")
        except (ValueError, EOFError):
            break  # past the pickles: a legacy file's raw tensor bytes
    return names


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
