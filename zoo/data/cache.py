"""Samples kept in memory once for every process: one shared buffer, filled by whoever reads a sample first.

Two kinds, chosen by ``Prepared``:

- ``SharedTensorCache``: when a split's transforms are deterministic (no random step), its transformed tensors —
  one ``[N, *shape]`` tensor; after the first epoch a sample costs a slice, no decoding and no transforms.
- ``SharedImageCache``: when the transforms are random, the decoded images, so augmentation still runs on every
  read. A dataset that can tell each sample's decoded size without decoding it (``decoded_shapes()``: image files
  read their headers; ``shapes`` knows its size) gets one uint8 buffer sized for all of its samples.

The first read of a sample — in the main process or in any DataLoader worker — decodes it and writes it into the
shared buffer; every later read, in any process and any epoch, is a view of it. Worker processes share the buffer
instead of each holding a copy.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

DEFAULT_SHARE = 0.25  # of the memory available when the data is built


def default_budget() -> int:
    """Bytes the decoded caches of a run may take by default: a quarter of the available memory (and no more than
    the free shared memory, on Linux)."""
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        available = 8 << 30
    budget = int(available * DEFAULT_SHARE)
    if os.path.isdir("/dev/shm"):
        stat = os.statvfs("/dev/shm")
        budget = min(budget, stat.f_bavail * stat.f_frsize)
    return budget


def human_bytes(n: float) -> str:
    """``512 B``, ``17.6 MB``, ``5.2 GB``."""
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KB", "MB"):
        n /= 1024
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n / 1024:.1f} GB"


class SharedImageCache:
    """Pixels of ``len(shapes)`` images (``(height, width, channels)`` each, ``mode`` 'RGB' or 'L') in one buffer
    in shared memory, plus one shared "filled" flag per image."""

    def __init__(self, shapes: Sequence[tuple[int, int, int]], mode: str) -> None:
        self.shapes = np.asarray(shapes, dtype=np.int64).reshape(-1, 3)
        sizes = self.shapes.prod(axis=1)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.mode = mode
        self.pixels = torch.empty(int(self.offsets[-1]), dtype=torch.uint8).share_memory_()
        self.filled = torch.zeros(len(self.shapes), dtype=torch.uint8).share_memory_()

    def get(self, index: int) -> Image.Image | None:
        """The cached image ``index``, or None when no process has read it yet."""
        if not self.filled[index]:
            return None
        h, w, c = self.shapes[index]
        start, end = self.offsets[index], self.offsets[index + 1]
        array = self.pixels[start:end].numpy().reshape((h, w, c) if c > 1 else (h, w))
        return Image.fromarray(array, self.mode)

    def put(self, index: int, image: Any) -> None:
        """Keep ``image`` (a PIL image of the announced shape; anything else is simply not cached)."""
        h, w, _ = self.shapes[index]
        if not isinstance(image, Image.Image) or image.mode != self.mode or image.size != (w, h):
            return
        start, end = self.offsets[index], self.offsets[index + 1]
        self.pixels[start:end].numpy()[:] = np.asarray(image, dtype=np.uint8).reshape(-1)
        self.filled[index] = 1  # after the pixels: a reader that sees the flag sees the whole image


class SharedTensorCache:
    """``count`` tensors of one ``shape`` and ``dtype`` in one shared ``[count, *shape]`` tensor, plus one shared
    "filled" flag per sample."""

    def __init__(self, count: int, shape: Sequence[int], dtype: torch.dtype) -> None:
        self.values = torch.empty((count, *shape), dtype=dtype).share_memory_()
        self.filled = torch.zeros(count, dtype=torch.uint8).share_memory_()

    def get(self, index: int) -> torch.Tensor | None:
        return self.values[index] if self.filled[index] else None

    def put(self, index: int, value: Any) -> None:
        """Keep ``value`` (a plain tensor of the cache's shape and dtype; anything else is simply not cached)."""
        fits = isinstance(value, torch.Tensor) and value.shape == self.values.shape[1:]
        if fits and value.dtype == self.values.dtype:
            self.values[index] = value
            self.filled[index] = 1
