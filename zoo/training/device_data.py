"""``data_on_device``: a whole (small) dataset as one tensor on the device, batched by shuffled indices.

The airbench trick: no DataLoader, no workers, no host-to-device copy per step. The dataset's transforms are
applied once when the tensor is built, so per-epoch random augmentation does not apply in this mode.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor
from torch.utils.data import Dataset


class DeviceLoader:
    """Iterates ``(x, y)`` batches of a device-resident copy of ``dataset``; ``set_epoch`` reseeds the shuffle."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        batch_size: int,
        device: torch.device,
        shuffle: bool,
        seed: int,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        xs, ys = zip(*(dataset[i] for i in range(len(dataset))), strict=True)  # type: ignore[arg-type]
        self.x = torch.stack(xs).to(device)
        self.y = torch.as_tensor(ys).to(device)
        self.dataset, self.batch_size, self.shuffle, self.seed = dataset, batch_size, shuffle, seed
        self.drop_last, self.rank, self.world_size = drop_last, rank, world_size
        self.epoch = 0
        self.start = 0

    @property
    def sampler(self) -> DeviceLoader:
        return self  # the trainer calls loader.sampler.set_epoch / start_at, as with zoo's EpochSampler

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self.start = epoch, 0

    def start_at(self, samples: int) -> None:
        """Skip the first ``samples`` of this epoch on the next pass (a run resumed mid-epoch)."""
        self.start = samples

    def _indices(self) -> Tensor:
        n = len(self.y)
        if self.shuffle:
            order = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed + self.epoch))
        else:
            order = torch.arange(n)
        return order[self.rank :: self.world_size].to(self.y.device)

    def __len__(self) -> int:
        n = -(-len(self.y) // self.world_size)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        order = self._indices()
        for start in range(self.start, len(self) * self.batch_size, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.x[idx], self.y[idx]
