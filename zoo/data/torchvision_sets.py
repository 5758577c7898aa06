"""torchvision's datasets: ``cifar10``, ``cifar100``, ``mnist``, ``fashion_mnist`` by short name, and every
other one as ``torchvision/<Name>`` (e.g. ``torchvision/SVHN``), with their own download code."""

from __future__ import annotations

import inspect
from functools import cache
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.error import URLError

import torchvision.datasets as tvd
from torch.utils.data import Dataset

from ..errors import DataError, DownloadError, first_line
from ..registry import Entry
from ..registry.root import DATASETS
from ..weights.download import offline


def _open(cls: type, root: str, **kwargs: Any) -> Dataset:
    folder = str(Path(root).expanduser())
    if kwargs.get("download") and offline():
        kwargs["download"] = False  # ZOO_OFFLINE=1: use files already there, never fetch
    try:
        return cls(root=folder, **kwargs)
    except RuntimeError as exc:  # torchvision's "Dataset not found or corrupted"
        if offline():
            raise DataError(
                f"{cls.__name__} data is not under '{root}' and ZOO_OFFLINE=1 forbids downloading it"
                f"{_from(cls)}; put the files there, or unset ZOO_OFFLINE"
            ) from exc
        if kwargs.get("download") and "download" in str(exc).lower():  # e.g. MNIST: every mirror failed
            raise _download_failed(cls, root, first_line(exc)) from exc
        hint = "" if kwargs.get("download") else "; set download: true to fetch it"
        raise DataError(f"{cls.__name__} data not found or corrupted under '{root}'{hint}") from exc
    except (OSError, URLError, HTTPException) as exc:  # the download itself failed
        raise _download_failed(cls, root, getattr(exc, "reason", None) or first_line(exc)) from exc


def _download_failed(cls: type, root: str, reason: object) -> DownloadError:
    return DownloadError(
        f"{cls.__name__} could not be downloaded{_from(cls)} ({reason}); fetch the files yourself and put them "
        f"under '{root}' as torchvision lays them out, then set download: false"
    )


def _from(cls: type) -> str:
    """`` from URL`` for the datasets whose class names one, else ``""``."""
    url = getattr(cls, "url", None) or next(iter(getattr(cls, "mirrors", None) or []), None)
    return f" from {url}" if isinstance(url, str) else ""


def _cifar(cls: type, root: str, train: bool, download: bool, verify: bool) -> Dataset:
    """CIFAR reads python-pickled batch files, so torchvision's md5 check of them stays on unless ``verify=False``
    (for files you made yourself)."""
    if not verify:  # torchvision skips the md5 of a file whose checksum is None, and only checks it exists
        unchecked = {
            "train_list": [[name, None] for name, _ in cls.train_list],
            "test_list": [[name, None] for name, _ in cls.test_list],
            "meta": {**cls.meta, "md5": None},
        }
        cls = type(cls.__name__, (cls,), unchecked)
    return _open(cls, root, train=train, download=download)


@DATASETS.register("cifar10", provider="torchvision")
def cifar10(root: str = "data", train: bool = True, download: bool = False, verify: bool = True) -> Dataset:
    """CIFAR-10 (chapter 5): 50k/10k 32×32 images in 10 classes."""
    return _cifar(tvd.CIFAR10, root, train, download, verify)


@DATASETS.register("cifar100", provider="torchvision")
def cifar100(root: str = "data", train: bool = True, download: bool = False, verify: bool = True) -> Dataset:
    """CIFAR-100: 50k/10k 32×32 images in 100 classes."""
    return _cifar(tvd.CIFAR100, root, train, download, verify)


@DATASETS.register("mnist", provider="torchvision")
def mnist(root: str = "data", train: bool = True, download: bool = False) -> Dataset:
    """MNIST digits, 28×28 grayscale."""
    return _open(tvd.MNIST, root, train=train, download=download)


@DATASETS.register("fashion_mnist", provider="torchvision")
def fashion_mnist(root: str = "data", train: bool = True, download: bool = False) -> Dataset:
    """Fashion-MNIST, 28×28 grayscale clothing in 10 classes."""
    return _open(tvd.FashionMNIST, root, train=train, download=download)


class TorchvisionDatasets:
    """The ``torchvision/`` namespace of the dataset registry."""

    @cache  # noqa: B019 - one instance lives for the whole process
    def names(self) -> tuple[str, ...]:
        return tuple(
            n for n in tvd.__all__ if inspect.isclass(getattr(tvd, n)) and issubclass(getattr(tvd, n), Dataset)
        )

    def entry(self, name: str) -> Entry | None:
        if name not in self.names():
            return None
        cls = getattr(tvd, name)

        def builder(root: str = "data", **kwargs: Any) -> Dataset:
            return _open(cls, root, **kwargs)

        builder.__signature__ = inspect.signature(cls)  # arguments are checked against the real class
        return Entry(f"torchvision/{name}", builder, provider="torchvision")


DATASETS.add_namespace("torchvision/", TorchvisionDatasets())
