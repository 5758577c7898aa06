"""Datasets (the course's three folder layouts, torchvision's sets, the embedded ``shapes``) and transforms."""

from .build import build_dataset, build_transform
from .prepared import Prepared
from .registry import DATASETS
from .transforms import TRANSFORMS, preprocess_transform

__all__ = ["DATASETS", "TRANSFORMS", "Prepared", "build_dataset", "build_transform", "preprocess_transform"]
