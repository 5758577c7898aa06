"""A dataset plus its transforms and an optional shared-memory cache of its samples (transformed when the
transforms are deterministic, decoded otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor
from torch.utils.data import Dataset

from .cache import SharedImageCache, SharedTensorCache, human_bytes
from .transforms import is_deterministic


class Prepared(Dataset):
    """``base[i]`` → ``(transform(x), y)``, decoded samples optionally cached so random augmentations still differ
    every epoch while files are decoded once.

    ``cache``: ``"auto"`` keeps samples in one shared-memory buffer (see ``zoo.data.cache``) when they fit
    ``budget`` bytes — the transformed tensors when every transform is deterministic, else the decoded images
    (when the dataset can tell their decoded size); ``True`` caches whatever the size (a dataset that cannot tell
    its size is kept as read, one copy per process); ``False`` never caches. ``cache_note`` says what was decided,
    for the log; ``cache_bytes`` is the memory the shared buffer takes.
    """

    def __init__(
        self, base: Dataset, transform: Callable | None = None, *, cache: bool | str = False, budget: int = 0
    ) -> None:
        self.base, self.transform = base, transform
        self._shared: SharedImageCache | None = None
        self._tensors: SharedTensorCache | None = None
        self._local: dict[int, Any] | None = None
        self.cache_note, self.cache_bytes = "", 0
        if cache is not False:
            self._plan_cache(forced=cache is True, budget=budget)

    def _plan_cache(self, *, forced: bool, budget: int) -> None:
        read = None
        if len(self) and is_deterministic(self.transform):
            try:
                read = self.base[0]
            except Exception:  # noqa: BLE001 - a bad first sample is reported when training reads it, not here
                read = None
        if read is not None and self._plan_tensors(read[0], forced=forced, budget=budget):
            return
        self._plan_images(forced=forced, budget=budget)
        if read is not None and self._shared is not None:
            self._shared.put(0, read[0])  # sample 0 is decoded once, above

    def _plan_images(self, *, forced: bool, budget: int) -> None:
        sized = hasattr(self.base, "decoded_shapes") and getattr(self.base, "targets", None) is not None
        if not sized:
            if forced:
                self._local = {}
                self.cache_note = "decoded samples kept as read, one copy per process (their size is not known)"
            else:
                self.cache_note = "not cached: the dataset cannot tell its decoded size (cache: true caches anyway)"
            return
        shapes = self.base.decoded_shapes()
        nbytes = sum(h * w * c for h, w, c in shapes)
        if not forced and nbytes > budget:
            self.cache_note = (
                f"not cached: {len(shapes):,} decoded images take {human_bytes(nbytes)}, over the "
                f"{human_bytes(budget)} left of data.cache_budget"
            )
            return
        self._shared = SharedImageCache(shapes, getattr(self.base, "mode", "RGB"))
        self._targets = list(self.base.targets)
        self.cache_bytes = nbytes
        of = "" if forced else f" of a {human_bytes(budget)} budget"
        self.cache_note = f"{len(shapes):,} decoded images cached in shared memory ({human_bytes(nbytes)}{of})"

    def _plan_tensors(self, x: Any, *, forced: bool, budget: int) -> bool:
        """Keep the transformed tensors (the transforms are deterministic; ``x`` is sample 0, decoded); False when
        they are not tensors or do not fit the budget (then the decoded images may still be cached)."""
        first = self.transform(x) if self.transform is not None else x
        if not isinstance(first, Tensor) or getattr(self.base, "targets", None) is None:
            return False
        nbytes = first.element_size() * first.numel() * len(self)
        if not forced and nbytes > budget:
            return False
        self._tensors = SharedTensorCache(len(self), first.shape, first.dtype)
        self._tensors.put(0, first)  # sample 0 is decoded once, in _plan_cache
        self._targets = list(self.base.targets)
        self.cache_bytes = nbytes
        of = "" if forced else f" of a {human_bytes(budget)} budget"
        shape = "×".join(map(str, first.shape))
        self.cache_note = (
            f"{len(self):,} transformed {shape} samples cached in shared memory ({human_bytes(nbytes)}{of}); "
            "the transforms are deterministic, so they run once"
        )
        return True

    @property
    def classes(self) -> list[str] | None:
        return list(getattr(self.base, "classes", None) or []) or None

    @property
    def targets(self) -> list[int] | None:
        return getattr(self.base, "targets", None)

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if self._tensors is not None:
            return self._through(self._tensors, index, self._transformed)
        return self._transformed(index)

    def _transformed(self, index: int) -> tuple[Any, Any]:
        x, y = self.decoded(index)
        return (self.transform(x) if self.transform is not None else x), y

    def decoded(self, index: int) -> tuple[Any, Any]:
        """Sample ``index`` before its transforms (from the decoded-image cache when one keeps it)."""
        if self._shared is not None:
            return self._through(self._shared, index, self.base.__getitem__)
        if self._local is not None:
            if index not in self._local:
                self._local[index] = self.base[index]
            return self._local[index]
        return self.base[index]

    def _through(self, cache: Any, index: int, read: Callable[[int], tuple[Any, Any]]) -> tuple[Any, Any]:
        """Sample ``index`` from ``cache`` when a process has kept it, else ``read`` and keep it."""
        index = index + len(self) if index < 0 else index
        kept = cache.get(index)
        if kept is not None:
            return kept, self._targets[index]
        x, y = read(index)
        cache.put(index, x)
        return x, y
