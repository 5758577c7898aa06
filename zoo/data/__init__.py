"""Datasets (the course's three folder layouts, torchvision's sets, the embedded ``shapes``) and transforms."""

from ..registry.root import DATASETS, TRANSFORMS
from .build import build_dataset, build_transform
from .prepared import Prepared
from .transforms import preprocess_transform

__all__ = ["DATASETS", "TRANSFORMS", "Prepared", "build_dataset", "build_transform", "preprocess_transform"]
