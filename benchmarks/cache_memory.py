"""Memory of the decoded-image cache with loader workers: one shared copy (``cache: auto``) against one copy per
process (what a per-process cache gives, here a dataset that cannot tell its decoded size with ``cache: true``).

1,500 PNG files of 128×128 (74 MB decoded), random augmentation (so the decoded images are what is kept), a
DataLoader with 2 persistent workers, 2 epochs; then the proportional set size (PSS: shared pages split among the
processes that map them) of the main process plus its workers, and the resident size of each. Linux only.
    python benchmarks/cache_memory.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from torch.utils.data import DataLoader

from zoo.data import DATASETS, build_dataset
from zoo.data.folders import image_folder
from zoo.specs import DatasetSpec

TRANSFORMS = [{"name": "RandomResizedCrop", "size": 64}, {"name": "ToTensor"}]


class Unsized:
    """An image folder that does not tell its decoded size: ``cache: true`` keeps one copy per process."""

    def __init__(self, root: str) -> None:
        self.files = image_folder(root)
        self.classes, self.targets = self.files.classes, self.files.targets

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        return self.files[index]


@DATASETS.register("unsized_folder", provider="zoo-benchmarks")
def unsized_folder(root: str) -> Unsized:
    return Unsized(root)


def kilobytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def measure(spec: DatasetSpec) -> dict[str, object]:
    import os

    dataset = build_dataset(spec)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2, persistent_workers=True)
    for _ in range(2):
        for _ in loader:
            pass
    pids = [os.getpid(), *children(os.getpid())]
    pss = sum(kilobytes(p, "Pss") for p in pids)
    result = {
        "cache": dataset.cache_note,
        "processes": len(pids),
        "pss_total_mb": round(pss / 1024, 1),
        "rss_mb": [round(kilobytes(p, "Rss") / 1024, 1) for p in pids],
    }
    del loader  # stops the workers
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        for i in range(1500):
            folder = Path(tmp) / f"c{i % 10}"
            folder.mkdir(exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)).save(folder / f"{i}.png")
        none = measure(DatasetSpec(name="image_folder", root=tmp, transforms=TRANSFORMS, cache=False))
        shared = measure(DatasetSpec(name="image_folder", root=tmp, transforms=TRANSFORMS, cache="auto"))
        per_process = measure(DatasetSpec(name="unsized_folder", root=tmp, transforms=TRANSFORMS, cache=True))
    print(
        json.dumps(
            {
                "benchmark": "cache_memory",
                "decoded_mb": round(1500 * 128 * 128 * 3 / 2**20, 1),
                "no_cache": none,
                "shared_cache": shared,
                "per_process_cache": per_process,
                "shared_over_none_mb": round(shared["pss_total_mb"] - none["pss_total_mb"], 1),
                "per_process_over_none_mb": round(per_process["pss_total_mb"] - none["pss_total_mb"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
