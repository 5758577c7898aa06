"""A dataset of image files with integer labels: what the three folder layouts of the course share."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from ..errors import DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff")


def read_image(path: Path, mode: str) -> Image.Image:
    """Decode an image file fully and convert it to ``mode`` ('RGB' or 'L'); ``DataError`` naming a bad file."""
    try:
        with Image.open(path) as img:
            return to_8_bits(img).convert(mode)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"image '{path}' cannot be decoded ({type(exc).__name__}: {exc})") from exc


def to_8_bits(img: Image.Image) -> Image.Image:
    """A 16-bit (or 32-bit integer) grayscale image scaled to 8 bits; Pillow's ``convert`` would clip it at 255."""
    if not (img.mode.startswith("I;16") or img.mode == "I"):
        return img
    values = np.asarray(img, dtype=np.float64)
    top = 65535.0 if img.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
    return Image.fromarray(np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8), "L")


class ImageFiles(Dataset):
    """``(PIL image, class index)`` pairs from a list of files; ``classes`` and ``class_to_idx`` like ImageFolder.

    ``skip_corrupt`` decodes every file once up front and drops (and counts, with a warning) those that fail.
    """

    def __init__(
        self,
        samples: Sequence[tuple[Path, int]],
        classes: Sequence[str],
        *,
        mode: str = "RGB",
        skip_corrupt: bool = False,
        source: str = "",
    ) -> None:
        if mode not in ("RGB", "L"):
            raise DataError(f"mode must be 'RGB' or 'L', got '{mode}'")
        self.classes = list(classes)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.mode = mode
        self.samples = list(samples)
        if skip_corrupt:
            self.samples, bad = _decodable(self.samples, mode)
            if bad:
                warnings.warn(f"skipped {len(bad)} corrupt image(s) in {source}, e.g. '{bad[0]}'", stacklevel=2)
        if not self.samples:
            raise DataError(f"no images found in {source}")
        self.targets = [label for _, label in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Image.Image, int]:
        path, label = self.samples[index]
        return read_image(path, self.mode), label

    def decoded_shapes(self) -> list[tuple[int, int, int]]:
        """``(height, width, channels)`` of every image once decoded, from the file headers (nothing decoded); an
        unreadable header gives ``(0, 0, channels)`` (that image is then never cached)."""
        channels = 3 if self.mode == "RGB" else 1
        shapes = []
        for path, _ in self.samples:
            try:
                with Image.open(path) as img:
                    width, height = img.size
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
                width = height = 0
            shapes.append((height, width, channels))
        return shapes


def _decodable(samples: list[tuple[Path, int]], mode: str) -> tuple[list[tuple[Path, int]], list[Path]]:
    good, bad = [], []
    for path, label in samples:
        try:
            read_image(path, mode)
            good.append((path, label))
        except DataError:
            bad.append(path)
    return good, bad


def image_files(folder: Path, extensions: Sequence[str] = IMAGE_EXTENSIONS) -> list[Path]:
    """Sorted image files directly inside ``folder``."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in extensions)


def existing_dir(root: str | Path, what: str = "data folder") -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DataError(f"{what} '{path}' does not exist")
    return path
