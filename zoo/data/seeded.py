"""Per-sample randomness: a sample's augmentation draws depend on (seed, epoch, sample index) only.

Which loader worker reads a sample, and how many workers there are, no longer matters: a run gives the same
batches with 0, 2 or 8 workers, and a run resumed in the middle of an epoch reads the rest of the epoch exactly as
the uninterrupted run did. The sampler yields ``(epoch, index)`` keys; ``SeededSamples`` seeds the random number
generators from the key just before reading the sample.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler, get_worker_info

from .transforms import is_torchvision, steps

_MASK = (1 << 64) - 1


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A well-mixed 63-bit seed for one sample of one epoch (splitmix64 over the three numbers)."""
    value = 0
    for part in (seed, epoch, index):
        value = (value ^ (part & _MASK)) + 0x9E3779B97F4A7C15 & _MASK
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB & _MASK
        value ^= value >> 31
    return value >> 1


def uses_torch_rng_only(transform: Any) -> bool:
    """True when every step of ``transform`` is torchvision's (whose random draws all come from torch's RNG)."""
    return all(is_torchvision(step) for step in steps(transform))


class SeededSamples(Dataset):
    """``dataset`` read by ``(epoch, index)`` keys, each read under generators seeded by (seed, epoch, index).

    In the main process (``num_workers: 0``) the generators are put back after each read, so data loading never
    shifts the training process's own random stream (dropout, say). With ``torch_only`` (all transforms are
    torchvision's) only torch's generator is seeded; otherwise python's ``random`` and numpy's are seeded too.
    A plain integer index reads sample ``index`` as of epoch 0 (evaluation).
    """

    def __init__(self, dataset: Dataset, seed: int, *, torch_only: bool) -> None:
        self.dataset, self.seed, self.torch_only = dataset, seed, torch_only

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:  # classes, transform, targets… of the wrapped dataset
        if name == "dataset" or name.startswith("__"):  # never forward a protocol (``__getitems__`` would
            raise AttributeError(name)  # read samples around the seeding)
        return getattr(self.dataset, name)

    def __getitem__(self, key: tuple[int, int] | int) -> Any:
        epoch, index = key if isinstance(key, tuple) else (0, key)
        seed = sample_seed(self.seed, epoch, index)
        if get_worker_info() is not None:  # a worker's generators serve nobody else: no need to put them back
            self._seed(seed)
            return self.dataset[index]
        saved = self._state()
        try:
            self._seed(seed)
            return self.dataset[index]
        finally:
            self._restore(saved)

    def _seed(self, seed: int) -> None:
        torch.default_generator.manual_seed(seed)
        if not self.torch_only:
            random.seed(seed)
            np.random.seed(seed & 0xFFFFFFFF)

    def _state(self) -> tuple[Any, ...]:
        if self.torch_only:
            return (torch.default_generator.get_state(),)
        return torch.default_generator.get_state(), random.getstate(), np.random.get_state()

    def _restore(self, saved: tuple[Any, ...]) -> None:
        torch.default_generator.set_state(saved[0])
        if len(saved) > 1:
            random.setstate(saved[1])
            np.random.set_state(saved[2])


class EpochSampler(DistributedSampler):
    """A ``DistributedSampler`` (one process or DDP) that yields ``(epoch, index)`` keys and can start mid-epoch.

    The order depends only on (seed, epoch); ``start_at(n)`` skips the first ``n`` samples of the next pass, so a
    resumed run reads none of the samples it had already trained on. ``set_epoch`` starts the next epoch at 0.
    """

    def __init__(self, dataset: Dataset, **options: Any) -> None:
        super().__init__(dataset, **options)
        self.start = 0

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        self.start = 0

    def start_at(self, samples: int) -> None:
        """Skip the first ``samples`` keys of this epoch (this process's share) on the next iteration."""
        self.start = samples

    def __iter__(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]
        indices = list(super().__iter__())[self.start :]
        return iter([(self.epoch, i) for i in indices])

    def __len__(self) -> int:
        return max(self.num_samples - self.start, 0)
