"""The training spec: model × data × optimizer × scheduler × loss × trainer settings, each a validated part."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import ByteSize, Field, NonNegativeInt, PositiveFloat, PositiveInt, field_validator, model_validator

from ..errors import ZooError
from ..registry import MODELS
from .base import Named, Strict
from .io import spec_from_dict, spec_from_yaml, spec_to_yaml


def _datasets():
    from ..registry.root import DATASETS

    return DATASETS


def _transforms():
    from ..registry.root import TRANSFORMS

    return TRANSFORMS


def _optimizers():
    from ..registry.root import OPTIMIZERS

    return OPTIMIZERS


def _schedulers():
    from ..registry.root import SCHEDULERS

    return SCHEDULERS


def _losses():
    from ..registry.root import LOSSES

    return LOSSES


class ModelSpec(Strict):
    """Which model to build: a registered name, head size, input channels, weights and builder kwargs."""

    name: str = Field(description="registered model name, e.g. cifar10_quick, vgg16, timm/resnet18")
    num_classes: PositiveInt | None = Field(None, description="head size; default: the dataset's class count")
    in_chans: PositiveInt | None = None
    weights: str | None = Field(None, description="file, bundle folder, URL, hf-hub:org/name or a weights tag")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="more arguments for the model's builder")

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        try:
            MODELS.get(name)
        except ZooError as exc:
            raise ValueError(str(exc)) from None
        return name


class TransformSpec(Named):
    """One transform: a torchvision.transforms.v2 class name (or ToTensor, or a preset) and its arguments."""

    registry: ClassVar = staticmethod(_transforms)


class DatasetSpec(Named):
    """A registered dataset, its arguments (root, train, pattern, …), transforms and caching."""

    registry: ClassVar = staticmethod(_datasets)
    own_fields: ClassVar = ("name", "transforms", "cache")

    transforms: list[TransformSpec] | str | None = Field(
        None, description="a list of transforms, a preset name, or null for the model card's preprocessing"
    )
    cache: bool | Literal["auto"] = Field(
        "auto",
        description="keep samples in shared memory (transformed when the transforms are deterministic, else "
        "decoded): auto (when they fit data.cache_budget), true, false",
    )

    @field_validator("transforms")
    @classmethod
    def _preset_known(cls, value: Any) -> Any:
        if isinstance(value, str):
            TransformSpec(name=value)
        return value

    @model_validator(mode="after")
    def _transforms_build(self) -> DatasetSpec:
        """Build the transforms now, so a bad argument (``Resize`` with ``size: big``) fails before training."""
        from ..data.build import check_transforms

        try:
            check_transforms(self.transforms)
        except ZooError as exc:
            raise ValueError(str(exc)) from None
        return self


class DataSpec(Strict):
    """Datasets for each split and how they are batched."""

    train: DatasetSpec
    val: DatasetSpec | None = None
    test: DatasetSpec | None = None
    batch_size: PositiveInt = 64
    eval_batch_size: PositiveInt | None = Field(None, description="default: 2 × batch_size")
    num_workers: NonNegativeInt | Literal["auto"] = Field(
        "auto", description="loader worker processes; auto: 0 when reading a sample is cheap, else the free cores"
    )
    cache_budget: ByteSize | None = Field(
        None, description="memory the decoded caches may take, e.g. 2GB (default: a quarter of the available memory)"
    )
    pin_memory: bool | None = Field(None, description="default: true on CUDA")
    drop_last: bool = False
    shuffle: bool = True
    val_split: float | None = Field(
        None, gt=0, lt=1, description="carve a seeded, stratified validation set of this fraction out of train"
    )

    def batch_size_for(self, train: bool) -> int:
        """The batch size of training, or of evaluation (``eval_batch_size``, default twice the training one)."""
        return self.batch_size if train else (self.eval_batch_size or 2 * self.batch_size)


class OptimizerSpec(Named):
    """A registered optimizer (sgd, adam, adamw, … or any torch.optim class name) and its arguments."""

    registry: ClassVar = staticmethod(_optimizers)
    context: ClassVar = ("params",)

    lr: PositiveFloat = 0.01
    weight_decay: float = Field(0.0, ge=0)
    momentum: float | None = Field(None, ge=0)

    def options(self) -> dict[str, Any]:
        return {"lr": self.lr, **super().options()}


class SchedulerSpec(Named):
    """A registered learning-rate schedule (cosine, step, multistep, onecycle, warmup_cosine, plateau)."""

    registry: ClassVar = staticmethod(_schedulers)
    context: ClassVar = ("optimizer", "epochs", "steps_per_epoch")


class LossSpec(Named):
    """A registered loss (cross_entropy, mse, l1, nll, bce_with_logits, or any torch.nn loss class name)."""

    registry: ClassVar = staticmethod(_losses)

    label_smoothing: float | None = Field(None, ge=0, lt=1)


class EarlyStopSpec(Strict):
    """Stop when the monitored metric has not improved by ``min_delta`` for ``patience`` epochs."""

    patience: PositiveInt = 5
    min_delta: float = Field(0.0, ge=0)
    mode: Literal["max", "min"] | None = Field(None, description="default: min for losses, max otherwise")


_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
METRICS = ("val_acc", "val_loss", "val_top5", "train_acc", "train_loss", "train_top5")


class TrainerSpec(Strict):
    """How to train: epochs, device, seeds, output folder, checkpoints, logging and training tricks."""

    epochs: PositiveInt = 10
    device: str = Field("auto", description="auto, cpu, cuda, cuda:N or mps")
    seed: int = 0
    deterministic: bool = False
    out_dir: str = "runs/quick"
    monitor: Literal[METRICS] | None = Field(  # type: ignore[valid-type]
        None,
        description="metric that picks best/ and drives early stopping; default val_acc, or train_loss "
        "without validation data",
    )
    early_stop: EarlyStopSpec | None = None
    grad_clip: PositiveFloat | None = Field(None, description="clip the gradient norm to this value")
    accumulate: PositiveInt = Field(1, description="gradient accumulation steps")
    log_every: PositiveInt = Field(50, description="steps between scalar logs (one host sync each)")
    progress: bool | None = Field(None, description="progress bars; default: only on a terminal")
    histograms_every: NonNegativeInt = Field(0, description="epochs between weight histograms; 0 = never")
    tensorboard: bool = True
    checkpoint_every: PositiveInt | None = Field(
        None, description="also write last/ every N optimizer steps inside an epoch (resume loses at most N steps)"
    )
    checkpoint_every_minutes: PositiveFloat | None = Field(
        None, description="also write last/ inside an epoch when this many minutes have passed since the last write"
    )
    # fine-tuning
    freeze: Literal["none", "backbone"] | list[str] = Field(
        "none", description="'backbone' (all but the card's head), 'none', or a list of module paths"
    )
    train_bn: bool = Field(False, description="let BatchNorm layers in frozen parts keep updating their statistics")
    unfreeze_at_epoch: PositiveInt | None = Field(None, description="from this (1-based) epoch on, train everything")
    head_lr_mult: PositiveFloat = Field(1.0, description="head learning rate = optimizer.lr × this")
    backbone_lr: PositiveFloat | None = Field(None, description="backbone learning rate (default optimizer.lr)")
    no_decay_norm_bias: bool = Field(False, description="no weight decay for norm layers and biases")
    # throughput
    amp: Literal["none", "bf16", "fp16"] = Field("none", description="autocast dtype; fp16 uses a GradScaler")
    channels_last: bool = False
    compile: bool = Field(False, description="torch.compile the model (bundles are saved from the plain module)")
    data_on_device: bool = Field(
        False, description="preprocess each split once and keep it on the device as one tensor (small datasets)"
    )
    fast: bool = Field(
        False,
        description="the device's fast settings: bf16 autocast, channels_last, data_on_device when it fits, "
        "cuDNN benchmark (settings given explicitly are kept)",
    )

    @field_validator("device")
    @classmethod
    def _device(cls, device: str) -> str:
        if not _DEVICE.match(device):
            raise ValueError(f"unknown device '{device}'; use auto, cpu, cuda, cuda:N or mps")
        from ..device import check_available

        try:
            check_available(device)
        except ZooError as exc:
            raise ValueError(str(exc)) from None
        return device


class TrainSpec(Strict):
    """A whole training run. ``TrainSpec.from_yaml("spec.yaml")``, ``.from_dict``, ``.to_yaml()``."""

    model: ModelSpec
    data: DataSpec
    optimizer: OptimizerSpec = Field(default_factory=lambda: OptimizerSpec(name="sgd"))
    scheduler: SchedulerSpec | None = None
    loss: LossSpec = Field(default_factory=lambda: LossSpec(name="cross_entropy"))
    trainer: TrainerSpec = Field(default_factory=TrainerSpec)

    @model_validator(mode="after")
    def _monitor_has_data(self) -> TrainSpec:
        has_val = self.data.val is not None or self.data.val_split is not None
        if self.data.val is not None and self.data.val_split is not None:
            raise ValueError("data.val and data.val_split are both set; keep one")
        if self.trainer.monitor is None:
            self.trainer.monitor = "val_acc" if has_val else "train_loss"
        elif self.trainer.monitor.startswith("val") and not has_val:
            raise ValueError(
                f"trainer.monitor is '{self.trainer.monitor}' but there is no validation data; "
                "set data.val or data.val_split, or monitor train_loss"
            )
        return self

    # -- loading and saving (see io.py) --------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, overrides: list[str] | None = None, source: str | None = None):
        return spec_from_dict(data, cls, overrides=overrides, source=source)

    @classmethod
    def from_yaml(cls, path: str, *, overrides: list[str] | None = None) -> TrainSpec:
        return spec_from_yaml(path, cls, overrides=overrides)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, defaults included (what ``spec.yaml`` in a run folder holds)."""
        return self.model_dump(mode="json", exclude_none=False)

    def to_yaml(self, path: str | None = None) -> str:
        return spec_to_yaml(self, path)
