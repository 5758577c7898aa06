"""Specs: pydantic descriptions of a training run, loaded from YAML with ``--set`` overrides."""

from .io import apply_overrides, read_yaml, spec_from_dict, spec_from_yaml, spec_to_yaml
from .train import (
    DatasetSpec,
    DataSpec,
    EarlyStopSpec,
    LossSpec,
    ModelSpec,
    OptimizerSpec,
    SchedulerSpec,
    TrainerSpec,
    TrainSpec,
    TransformSpec,
)

__all__ = [
    "DataSpec",
    "DatasetSpec",
    "EarlyStopSpec",
    "LossSpec",
    "ModelSpec",
    "OptimizerSpec",
    "SchedulerSpec",
    "TrainSpec",
    "TrainerSpec",
    "TransformSpec",
    "apply_overrides",
    "read_yaml",
    "spec_from_dict",
    "spec_from_yaml",
    "spec_to_yaml",
]
