"""What the CLI's ``train`` and ``eval`` do, as plain functions (the CLI only parses and prints)."""

from __future__ import annotations

import logging
from importlib.resources import files
from pathlib import Path
from typing import Any

from .errors import SpecError

logger = logging.getLogger("zoo")
DEFAULT_SPEC = "quick_shapes.yaml"


FINETUNE_PRESET = ["trainer.freeze=backbone", "trainer.head_lr_mult=10", "trainer.no_decay_norm_bias=true"]


def train(spec_path: str | None, overrides: list[str], resume: str | None, *, finetune: bool = False) -> dict[str, Any]:
    """``zoo train``: from a spec file, the built-in default, or a run folder to resume.

    ``finetune`` applies ``FINETUNE_PRESET`` (plus unfreezing halfway) before the user's overrides.
    """
    from .specs import TrainSpec
    from .training import Trainer

    if resume is not None:
        run = Path(resume)
        if not (run / "spec.yaml").is_file():
            raise SpecError(f"'{run}' is not a run folder (no spec.yaml); cannot resume it")
        if not (run / "last").is_dir():
            logger.info(f"'{run}' has no finished epoch yet; starting it again")
        spec = TrainSpec.from_yaml(str(run / "spec.yaml"), overrides=overrides)
        trainer = Trainer(spec, resume=run if (run / "last").is_dir() else None)
    else:
        if finetune:
            epochs = load_spec(spec_path, overrides).trainer.epochs
            halfway = [f"trainer.unfreeze_at_epoch={epochs // 2 + 1}"] if epochs > 1 else []
            overrides = [*FINETUNE_PRESET, *halfway, *overrides]
        trainer = Trainer(load_spec(spec_path, overrides))
    try:
        result = trainer.fit()
    finally:
        from .training import distributed

        distributed.shutdown()
    out = Path(result["out_dir"])
    best = result["best"]
    if trainer.is_main_process:
        if best:
            logger.info(f"best {best['metric']} {best['value']:.4f} at epoch {best['epoch']}")
        logger.info(f"bundle: {out / 'best'}   (zoo predict {out / 'best'} IMAGE)")
        logger.info(f"logs:   tensorboard --logdir {out / 'tb'}")
    return result


def load_spec(spec_path: str | None, overrides: list[str]) -> Any:
    """The spec at ``spec_path`` with overrides, or the built-in quick_shapes spec."""
    from .specs import TrainSpec, read_yaml

    if spec_path is None:  # the built-in spec: errors name the field, not a path inside site-packages
        return TrainSpec.from_dict(read_yaml(str(files("zoo.specs") / DEFAULT_SPEC)), overrides=overrides)
    return TrainSpec.from_yaml(spec_path, overrides=overrides)


def evaluate(bundle: str, data: str, *, split: str | None = None, batch_size: int = 64) -> dict[str, Any]:
    """``zoo eval``: loss and accuracy of a bundle on a spec's split or an image folder."""
    import torch
    from torch.utils.data import DataLoader

    from .bundle import load
    from .data import build_dataset
    from .predict import bundle_transform
    from .specs import DatasetSpec, TrainSpec
    from .training.metrics import Meter

    model = load(bundle)
    transform = bundle_transform(model.zoo_config)
    if Path(data).is_dir():
        dataset_spec = DatasetSpec(name="image_folder", root=data)
    else:
        spec = TrainSpec.from_yaml(data)
        chosen = split or ("test" if spec.data.test is not None else "val")
        dataset_spec = getattr(spec.data, chosen, None)
        if dataset_spec is None:
            raise SpecError(f"spec '{data}' has no data.{chosen} split to evaluate on")
    dataset = build_dataset(dataset_spec.model_copy(update={"transforms": None}), transform)
    classes = model.zoo_config.get("classes")
    if classes and dataset.classes and list(dataset.classes) != list(classes):
        raise SpecError(f"the data's classes {dataset.classes} differ from the bundle's {classes}")
    loss_fn = torch.nn.CrossEntropyLoss()
    meter = Meter(torch.device("cpu"), top5=len(classes or []) >= 10)
    with torch.no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size):
            logits = model(x)
            meter.update(loss_fn(logits, y), logits, y)
    return {**meter.compute("eval"), "samples": len(dataset)}
