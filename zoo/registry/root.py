"""Every registry zoo has, declared in one place, with the modules that fill each named as data.

A registry imports its ``locations`` (and loads its plugins' entry points) on its first query, so ``import zoo``
stays light and no registry module imports the modules that fill it. A filling module imports its registry from
here and registers into it.
"""

from __future__ import annotations

from .registry import Registry

MODELS = Registry("model", locations=("zoo.models", "zoo.adapters"), entry_points="zoo.models")
DATASETS = Registry("dataset", locations=("zoo.data.folders", "zoo.data.torchvision_sets", "zoo.data.shapes"))
TRANSFORMS = Registry("transform", locations=("zoo.data.transforms",))
OPTIMIZERS = Registry("optimizer", locations=("zoo.parts.optimizers",))
SCHEDULERS = Registry("scheduler", locations=("zoo.parts.schedulers",))
LOSSES = Registry("loss", locations=("zoo.parts.losses",))

__all__ = ["DATASETS", "LOSSES", "MODELS", "OPTIMIZERS", "SCHEDULERS", "TRANSFORMS"]
