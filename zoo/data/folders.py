"""The course's three label layouts (chapter 2b), each a registered dataset:

- ``image_folder``: the folder name is the label (``train/ants/*.jpg``, ``train/bees/*.jpg``);
- ``label_files``: images in ``X_image/``, one ``.txt`` per image holding its label in ``X_label/``;
- ``label_in_name``: the label is part of the file name, found by a regex with a ``label`` group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from torchvision.datasets.folder import find_classes, make_dataset

from ..errors import DataError
from ..registry.root import DATASETS
from ..weights.download import cache_dir
from .archives import fetch_archive
from .images import IMAGE_EXTENSIONS, ImageFiles, existing_dir, image_files

HYMENOPTERA_URL = "https://download.pytorch.org/tutorial/hymenoptera_data.zip"


def _fetched(root: str, url: str | None, sha256: str | None, subdir: str | None) -> Path:
    """``root`` (or ``root/subdir``), after extracting the archive at ``url`` into ``root`` when one is given."""
    if sha256 is not None and url is None:
        raise DataError("sha256 is given without url: it checks the archive that url names")
    base = fetch_archive(url, Path(root), sha256=sha256, what=f"archive for '{root}'") if url else Path(root)
    return existing_dir(base / subdir if subdir else base)


@DATASETS.register("image_folder", provider="zoo")
def image_folder(
    root: str,
    mode: str = "RGB",
    skip_corrupt: bool = False,
    extensions: Sequence[str] = IMAGE_EXTENSIONS,
    url: str | None = None,
    sha256: str | None = None,
    subdir: str | None = None,
) -> ImageFiles:
    """One sub-folder per class under ``root`` (torchvision's ImageFolder discovery).

    ``url`` names a zip/tar archive to download (once, hash-checked at every use) and extract into ``root``;
    ``subdir`` is the folder inside it to read, e.g. ``hymenoptera_data/train``.
    """
    folder = _fetched(root, url, sha256, subdir)
    try:
        classes, class_to_idx = find_classes(str(folder))
        samples = make_dataset(str(folder), class_to_idx, extensions=tuple(extensions))
    except FileNotFoundError as exc:
        raise DataError(f"data folder '{folder}' has no class sub-folders with images") from exc
    pairs = [(Path(p), label) for p, label in samples]
    return ImageFiles(pairs, classes, mode=mode, skip_corrupt=skip_corrupt, source=f"'{folder}'")


@DATASETS.register("label_files", provider="zoo")
def label_files(
    root: str,
    image_dir: str | None = None,
    label_dir: str | None = None,
    image_suffix: str = "_image",
    label_suffix: str = "_label",
    classes: Sequence[str] | None = None,
    mode: str = "RGB",
    skip_corrupt: bool = False,
    url: str | None = None,
    sha256: str | None = None,
    subdir: str | None = None,
) -> ImageFiles:
    """Images with one label file each: ``image_dir/x.jpg`` ↔ ``label_dir/x.txt`` (the text is the label).

    Without ``image_dir``/``label_dir``, every ``*{image_suffix}`` folder under ``root`` is paired with its
    ``*{label_suffix}`` sibling (the course's ``ants_image``/``ants_label``). ``classes`` fixes the class list;
    then a label outside it is an error.
    """
    folder = _fetched(root, url, sha256, subdir)
    if image_dir or label_dir:
        if not (image_dir and label_dir):
            raise DataError("label_files needs both image_dir and label_dir, or neither")
        pairs = [(folder / image_dir, folder / label_dir)]
    else:
        pairs = [
            (d, d.with_name(d.name.removesuffix(image_suffix) + label_suffix))
            for d in sorted(folder.iterdir())
            if d.is_dir() and d.name.endswith(image_suffix)
        ]
        if not pairs:
            raise DataError(f"data folder '{folder}' has no '*{image_suffix}' folders")
    labelled: list[tuple[Path, str]] = []
    for images, labels in pairs:
        existing_dir(images, "image folder")
        existing_dir(labels, "label folder")
        for image in image_files(images):
            text = image.with_suffix(".txt").name
            label_file = labels / text
            if not label_file.is_file():
                raise DataError(f"image '{image}' has no label file '{label_file}'")
            labelled.append((image, label_file.read_text(encoding="utf-8").strip()))
    names = list(classes) if classes is not None else sorted({label for _, label in labelled})
    return ImageFiles(_indexed(labelled, names), names, mode=mode, skip_corrupt=skip_corrupt, source=f"'{folder}'")


@DATASETS.register("label_in_name", provider="zoo")
def label_in_name(
    root: str,
    pattern: str = r"^(?P<label>[^_\W\d]+)",
    classes: Sequence[str] | None = None,
    mode: str = "RGB",
    skip_corrupt: bool = False,
    url: str | None = None,
    sha256: str | None = None,
    subdir: str | None = None,
) -> ImageFiles:
    """Images whose file name holds the label, found by ``pattern`` (a regex with a ``label`` group) in the stem.

    The default takes the leading letters: ``cat_001.png`` → ``cat``.
    """
    folder = _fetched(root, url, sha256, subdir)
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise DataError(f"pattern '{pattern}' is not a valid regular expression ({exc})") from exc
    if "label" not in regex.groupindex:
        raise DataError(f"pattern '{pattern}' has no (?P<label>...) group to read the label from")
    labelled = []
    for image in image_files(folder):
        match = regex.search(image.stem)
        if match is None or not match.group("label"):
            raise DataError(f"file name '{image.name}' does not match pattern '{pattern}'")
        labelled.append((image, match.group("label")))
    if not labelled:
        raise DataError(f"no images found in '{folder}'")
    names = list(classes) if classes is not None else sorted({label for _, label in labelled})
    return ImageFiles(_indexed(labelled, names), names, mode=mode, skip_corrupt=skip_corrupt, source=f"'{folder}'")


def _indexed(labelled: list[tuple[Path, str]], classes: list[str]) -> list[tuple[Path, int]]:
    index = {c: i for i, c in enumerate(classes)}
    out = []
    for path, label in labelled:
        if label not in index:
            raise DataError(f"'{path.name}' has label '{label}', which is not one of the classes {classes}")
        out.append((path, index[label]))
    return out


@DATASETS.register("hymenoptera", provider="zoo")
def hymenoptera(
    split: str = "train",
    root: str | None = None,
    download: bool = True,
    url: str = HYMENOPTERA_URL,
    sha256: str | None = None,
    mode: str = "RGB",
) -> ImageFiles:
    """The course's ants and bees (PyTorch's transfer-learning tutorial data): ~245 train, 153 val images.

    Downloaded once from ``url`` into ``root`` (default: the zoo cache's ``data/hymenoptera``); no hash is published,
    so the first download's sha256 is recorded and checked at every later use (pin ``sha256`` to check the first).
    """
    if split not in ("train", "val"):
        raise DataError(f"hymenoptera split must be 'train' or 'val', got '{split}'")
    folder = Path(root).expanduser() if root else cache_dir() / "data" / "hymenoptera"
    if not (folder / "hymenoptera_data" / split).is_dir():
        if not download:
            raise DataError(
                f"hymenoptera data is not under '{folder}'; set download: true, or unzip {url} there "
                f"(so that '{folder / 'hymenoptera_data' / split}' exists)"
            )
        fetch_archive(url, folder, sha256=sha256, what="hymenoptera")
    return image_folder(str(folder / "hymenoptera_data" / split), mode=mode)
