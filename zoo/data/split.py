"""A seeded, stratified validation split carved out of a training set (``data.val_split``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch
from torch.utils.data import Dataset


class Part(Dataset):
    """The samples ``indices`` of a dataset, keeping its ``classes`` and ``transform`` visible."""

    def __init__(self, dataset: Any, indices: list[int]) -> None:
        self.dataset, self.indices = dataset, indices

    @property
    def classes(self) -> list[str] | None:
        return self.dataset.classes

    @property
    def transform(self) -> Any:
        return self.dataset.transform

    @property
    def cache_note(self) -> str:
        return getattr(self.dataset, "cache_note", "")

    @property
    def targets(self) -> list[int]:
        every = targets_of(self.dataset)  # once: for a dataset without ``targets`` it reads every sample
        return [every[i] for i in self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.dataset[self.indices[index]]


def targets_of(dataset: Any) -> list[int]:
    """The integer label of every sample: a ``targets`` attribute when the dataset has one, else by reading it."""
    for holder in (dataset, getattr(dataset, "base", None)):
        targets = getattr(holder, "targets", None)
        if targets is not None:
            return [int(t) for t in targets]
    return [int(dataset[i][1]) for i in range(len(dataset))]


def stratified_split(dataset: Any, fraction: float, seed: int) -> tuple[Part, Part]:
    """``(train, val)``: about ``fraction`` of each class goes to val (at least one sample of a class with two or
    more), chosen by a generator seeded with ``seed`` so every run and every DDP process gets the same split."""
    by_class: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(targets_of(dataset)):
        by_class[label].append(index)
    generator = torch.Generator().manual_seed(seed)
    train: list[int] = []
    val: list[int] = []
    for label in sorted(by_class):
        indices = by_class[label]
        order = [indices[i] for i in torch.randperm(len(indices), generator=generator).tolist()]
        n_val = min(len(order) - 1, max(1, round(fraction * len(order)))) if len(order) > 1 else 0
        val += order[:n_val]
        train += order[n_val:]
    return Part(dataset, sorted(train)), Part(dataset, sorted(val))
