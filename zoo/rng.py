"""The random number generators of python, numpy, torch and CUDA: seeding, capturing (as uint8 tensors and small
JSON parts, for the pickle-free training state) and putting back."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import Tensor


def _bytes(array: np.ndarray) -> Tensor:
    return torch.frombuffer(bytearray(array.tobytes()), dtype=torch.uint8)


def rng_state() -> dict[str, Any]:
    """The RNG states of python, numpy, torch and CUDA (uint8 tensors plus small JSON parts)."""
    version, words, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": {"version": version, "words": _bytes(np.array(words, dtype=np.uint64)), "gauss": gauss},
        "numpy": {"kind": kind, "keys": _bytes(keys), "pos": int(pos), "has_gauss": has_gauss, "cached": cached},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    words = tuple(int(w) for w in np.frombuffer(py["words"].numpy().tobytes(), dtype=np.uint64))
    random.setstate((py["version"], words, py["gauss"]))
    npy = state["numpy"]
    keys = np.frombuffer(npy["keys"].numpy().tobytes(), dtype=np.uint32)
    np.random.set_state((npy["kind"], keys, npy["pos"], npy["has_gauss"], npy["cached"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(list(state["cuda"]))


@contextmanager
def rng_untouched() -> Iterator[None]:
    """Run the body (reading augmented samples, say) and put every RNG back as it was, so exact resume holds."""
    saved = rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed python, numpy and torch; ``deterministic`` also asks torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
