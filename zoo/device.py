"""Choosing the device: ``auto`` picks cuda, then mps, then cpu; asking for one that is absent is an error."""

from __future__ import annotations

import torch

from .errors import DeviceError


def check_available(name: str) -> None:
    """Raise ``DeviceError`` when ``name`` (cpu, cuda, cuda:N, mps) does not exist on this machine."""
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"device '{name}' was asked for but this machine has no CUDA GPU; use cpu or auto")
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device '{name}' does not exist: this machine has {torch.cuda.device_count()} GPU(s)")
    elif name == "mps" and not (torch.backends.mps.is_available()):
        raise DeviceError("device 'mps' was asked for but this machine has no Apple GPU; use cpu or auto")


def resolve_device(name: str = "auto") -> torch.device:
    """The ``torch.device`` for ``name``; ``auto`` prefers cuda, then mps, then cpu."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    check_available(name)
    return torch.device(name)


def describe(device: torch.device) -> str:
    """``cuda:0 (NVIDIA H100)``, ``cpu (2 threads)``: what the trainer logs at start."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)
