"""The dataset registry (names of the course's datasets and any torchvision dataset as ``torchvision/<Name>``)."""

from __future__ import annotations

import importlib

from ..registry import Registry

DATASETS = Registry("dataset")
DATASETS.add_loader(lambda: importlib.import_module("zoo.data.folders"))
DATASETS.add_loader(lambda: importlib.import_module("zoo.data.torchvision_sets"))
DATASETS.add_loader(lambda: importlib.import_module("zoo.data.shapes"))
