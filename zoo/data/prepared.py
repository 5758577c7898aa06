"""A dataset plus its transforms and an optional in-memory cache of decoded (untransformed) samples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch.utils.data import Dataset


class Prepared(Dataset):
    """``base[i]`` → ``(transform(x), y)``; with ``cache=True`` decoded samples are kept, so random
    augmentations still differ every epoch while files are read once (each DataLoader worker keeps its own)."""

    def __init__(self, base: Dataset, transform: Callable | None = None, *, cache: bool = False) -> None:
        self.base, self.transform = base, transform
        self._cache: dict[int, Any] | None = {} if cache else None

    @property
    def classes(self) -> list[str] | None:
        return list(getattr(self.base, "classes", None) or []) or None

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if self._cache is None:
            x, y = self.base[index]
        else:
            if index not in self._cache:
                self._cache[index] = self.base[index]
            x, y = self._cache[index]
        return (self.transform(x) if self.transform is not None else x), y
