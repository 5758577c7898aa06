"""``shapes``: an embedded, procedurally generated CIFAR-shaped dataset (3×32×32, 10 classes).

Each image is one filled or outlined shape with a random colour, size, position and rotation on a noisy
background of another colour. Deterministic per ``seed``, class-balanced (image ``i`` has class ``i % 10``), and
needs no download: it is what ``zoo train`` runs on by default.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw
from torch.utils.data import Dataset

from ..errors import DataError
from ..registry.root import DATASETS

CLASSES = ("disk", "ring", "square", "frame", "triangle", "plus", "star", "crescent", "bar", "dots")


class Shapes(Dataset):
    """``size`` images of ``image_size``×``image_size``; ``split`` selects an independent stream per split."""

    def __init__(self, size: int = 5000, *, seed: int = 0, split: str = "train", image_size: int = 32) -> None:
        if size <= 0:
            raise DataError(f"shapes size must be positive, got {size}")
        if image_size < 16:
            raise DataError(f"shapes image_size must be at least 16, got {image_size}")
        self.classes = list(CLASSES)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.size, self.image_size = size, image_size
        self._seed = [seed, {"train": 0, "val": 1, "test": 2}.get(split, 3)]
        self.targets = [i % len(CLASSES) for i in range(size)]

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[Image.Image, int]:
        if not 0 <= index < self.size:
            raise IndexError(index)
        label = self.targets[index]
        rng = np.random.default_rng([*self._seed, index])
        return draw_shape(CLASSES[label], rng, self.image_size), label

    mode = "RGB"

    def decoded_shapes(self) -> list[tuple[int, int, int]]:
        """Every image is ``image_size`` square RGB (what the decoded cache needs to know up front)."""
        return [(self.image_size, self.image_size, 3)] * self.size


def draw_shape(kind: str, rng: np.random.Generator, n: int) -> Image.Image:
    """One image of shape ``kind``: random colours far apart, position, size, rotation, background noise."""
    background = rng.integers(0, 256, 3)
    colour = (background + rng.integers(96, 160, 3)) % 256
    noise = rng.normal(0, 12, (n, n, 3))
    canvas = np.clip(background + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(canvas, "RGB")
    draw = ImageDraw.Draw(img)
    r = rng.uniform(0.22, 0.38) * n
    cx, cy = rng.uniform(r + 1, n - r - 1, 2)
    angle = rng.uniform(0, 2 * math.pi)
    fill, back = tuple(int(c) for c in colour), tuple(int(c) for c in background)
    width = max(2, round(r * 0.3))

    def poly(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        c, s = math.cos(angle), math.sin(angle)
        return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in points]

    box = [cx - r, cy - r, cx + r, cy + r]
    if kind == "disk":
        draw.ellipse(box, fill=fill)
    elif kind == "ring":
        draw.ellipse(box, outline=fill, width=width)
    elif kind == "square":
        draw.polygon(poly([(-r, -r), (r, -r), (r, r), (-r, r)]), fill=fill)
    elif kind == "frame":
        draw.polygon(poly([(-r, -r), (r, -r), (r, r), (-r, r)]), outline=fill, width=width)
    elif kind == "triangle":
        draw.polygon(poly([(r * math.cos(a), r * math.sin(a)) for a in (0, 2.094, 4.189)]), fill=fill)
    elif kind == "plus":
        t = r * 0.3
        draw.polygon(poly([(-r, -t), (r, -t), (r, t), (-r, t)]), fill=fill)
        draw.polygon(poly([(-t, -r), (t, -r), (t, r), (-t, r)]), fill=fill)
    elif kind == "star":
        radii = [r if i % 2 == 0 else r * 0.45 for i in range(10)]
        draw.polygon(
            poly([(d * math.cos(i * math.pi / 5), d * math.sin(i * math.pi / 5)) for i, d in enumerate(radii)]),
            fill=fill,
        )
    elif kind == "crescent":
        draw.ellipse(box, fill=fill)
        dx, dy = poly([(r * 0.5, 0)])[0]
        draw.ellipse([dx - r * 0.85, dy - r * 0.85, dx + r * 0.85, dy + r * 0.85], fill=back)
    elif kind == "bar":
        t = r * 0.22
        draw.polygon(poly([(-r, -t), (r, -t), (r, t), (-r, t)]), fill=fill)
    elif kind == "dots":
        d = r * 0.38
        for x in (-r * 0.6, r * 0.6):
            px, py = poly([(x, 0)])[0]
            draw.ellipse([px - d, py - d, px + d, py + d], fill=fill)
    return img


@DATASETS.register("shapes", provider="zoo")
def shapes(size: int = 5000, seed: int = 0, split: str = "train", image_size: int = 32) -> Shapes:
    """The embedded shapes dataset; use another ``split`` (or ``seed``) for validation data."""
    return Shapes(size, seed=seed, split=split, image_size=image_size)
