"""What the CLI's ``train`` and ``eval`` do, as plain functions (the CLI only parses and prints)."""

from __future__ import annotations

import logging
from importlib.resources import files
from pathlib import Path
from typing import Any

from .errors import InvalidArgumentError, SpecError

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
        from .bundle.saving import recover_interrupted

        run = Path(resume)
        recover_interrupted(run / "last")  # a crash between the two renames of last/ must not lose the run
        if not (run / "spec.yaml").is_file():
            raise SpecError(f"'{run}' is not a run folder (no spec.yaml); cannot resume it")
        if not (run / "last").is_dir():
            logger.info(f"'{run}' has no finished epoch yet; starting it again")
        spec = TrainSpec.from_yaml(str(run / "spec.yaml"), overrides=overrides)
        trainer = Trainer(spec, resume=run if (run / "last").is_dir() else None)
    else:
        trainer = Trainer(load_spec(spec_path, with_finetune(spec_path, overrides) if finetune else overrides))
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


def check(spec_path: str | None, overrides: list[str], *, finetune: bool = False) -> list[str]:
    """``zoo train --check``: validate the spec, build everything and run one batch, without training.

    Returns the lines to print: what was built, so the user sees the run before starting it.
    """
    from .training import Trainer

    spec = load_spec(spec_path, with_finetune(spec_path, overrides) if finetune else overrides)
    report = dry_run(Trainer(spec))
    return [f"{key:<12} {value}" for key, value in report.items()] + ["spec OK: every part builds and one batch runs"]


def dry_run(trainer: Any) -> dict[str, Any]:
    """Build everything and run one training batch through the model in eval mode, training nothing.

    Returns what was built: model, parameters, samples and batches per split, the batch's logits shape.
    """
    import torch

    trainer.setup()
    trainer.model.eval()
    with torch.no_grad():
        logits, loss, _ = trainer.forward_loss(next(iter(trainer.loaders["train"])))
    if not torch.isfinite(loss):
        raise SpecError(f"the first batch gives a loss of {loss.item()}; check the data and loss settings")
    parameters = sum(p.numel() for p in trainer.model.parameters())
    report: dict[str, Any] = {"model": f"{trainer.spec.model.name} ({parameters:,} parameters)"}
    report["classes"] = trainer.num_classes
    for split, loader in trainer.loaders.items():
        report[split] = f"{len(trainer.datasets[split])} samples, {len(loader)} batches"
    report["monitor"] = trainer.monitor
    report["batch"] = f"logits {tuple(logits.shape)}, loss {loss.item():.4f}"
    return report


def with_finetune(spec_path: str | None, overrides: list[str]) -> list[str]:
    """``FINETUNE_PRESET`` plus unfreezing halfway through the spec's epochs, before the user's own overrides."""
    epochs = load_spec(spec_path, overrides).trainer.epochs
    halfway = [f"trainer.unfreeze_at_epoch={epochs // 2 + 1}"] if epochs > 1 else []
    return [*FINETUNE_PRESET, *halfway, *overrides]


def load_spec(spec_path: str | None, overrides: list[str]) -> Any:
    """The spec at ``spec_path`` with overrides, or the built-in quick_shapes spec."""
    from .specs import TrainSpec, read_yaml

    if spec_path is None:  # the built-in spec: errors name the field, not a path inside site-packages
        return TrainSpec.from_dict(read_yaml(str(files("zoo.specs") / DEFAULT_SPEC)), overrides=overrides)
    return TrainSpec.from_yaml(spec_path, overrides=overrides)


def evaluate(
    bundle: str,
    data: str,
    *,
    split: str | None = None,
    batch_size: int = 64,
    device: str = "cpu",
    num_workers: int = 0,
    report: str | None = None,
    update_card: bool = False,
) -> Any:
    """``zoo eval``: the bundle (or pretrained name) on a spec's split or an image folder, with the run's own loss.

    Returns the ``Evaluation``; ``report`` writes the figures, CSV and Markdown there; ``update_card`` puts the
    results into the bundle's config and model card.
    """
    import torch
    from torch.utils.data import DataLoader

    from .bundle.loading import load_or_build
    from .data import build_dataset
    from .device import resolve_device
    from .evaluation import evaluate_loader
    from .prediction import bundle_transform
    from .specs import DatasetSpec, TrainSpec

    target = resolve_device(device)
    model = load_or_build(bundle).to(target)
    config = model.zoo_config
    transform = bundle_transform(config)
    if Path(data).is_dir():
        dataset_spec = DatasetSpec(name="image_folder", root=data)
    elif not Path(data).exists():
        what = "spec file" if Path(data).suffix in (".yaml", ".yml", ".json") else "data folder"
        raise SpecError(f"--data: {what} '{data}' does not exist")
    else:
        spec = TrainSpec.from_yaml(data)
        chosen = split or ("test" if spec.data.test is not None else "val")
        dataset_spec = getattr(spec.data, chosen, None)
        if dataset_spec is None:
            raise SpecError(f"spec '{data}' has no data.{chosen} split to evaluate on")
    dataset = build_dataset(dataset_spec.model_copy(update={"transforms": None}), transform)
    classes = config.get("classes")
    to_bundle = class_mapping(dataset.classes, classes)
    loss_fn = run_loss(config)
    num_classes = len(classes) if classes else _output_size(model, dataset[0][0], target)
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
    batches = ((x, to_bundle[y] if to_bundle is not None else y) for x, y in loader)
    with torch.no_grad():
        result = evaluate_loader(model, batches, loss_fn=loss_fn, num_classes=num_classes, classes=classes,
                                 device=target)  # fmt: skip
    if report is not None:
        from .evaluation.report import write_report

        for path in write_report(result, dataset, Path(report), title=str(bundle)):
            logger.info(f"wrote {path}")
    if update_card:
        from .bundle.card import update_card_with

        update_card_with(Path(bundle), result, data)
    return result


def run_loss(config: dict[str, Any]) -> Any:
    """The loss the run trained with (its spec in the bundle), targets converted as in training; else plain CE."""
    from .parts import build_loss
    from .specs import LossSpec

    recorded = ((config.get("spec") or {}).get("loss")) or {"name": "cross_entropy"}
    loss, targets_for = build_loss(LossSpec(**recorded))
    return lambda logits, y: loss(logits, targets_for(logits, y))


def _output_size(model: Any, x: Any, device: Any) -> int:
    import torch

    with torch.no_grad():
        return int(model(x.unsqueeze(0).to(device)).shape[1])


def class_mapping(data_classes: list[str] | None, bundle_classes: list[str] | None) -> Any:
    """A tensor taking the data's label indices to the bundle's (classes matched by name), or None if equal.

    A folder sorts its classes alphabetically; the bundle keeps the order it was trained with.
    """
    import torch

    if not data_classes or not bundle_classes or list(data_classes) == list(bundle_classes):
        return None
    unknown = [c for c in data_classes if c not in bundle_classes]
    if unknown:
        raise SpecError(
            f"the data has classes the bundle does not know: {', '.join(unknown[:5])} "
            f"(the bundle's classes: {', '.join(bundle_classes[:10])})"
        )
    return torch.tensor([bundle_classes.index(c) for c in data_classes])


def lr_find(spec_path: str | None, overrides: list[str], *, start: float, end: float, steps: int) -> Any:
    """``zoo lr-find``: the learning-rate range test of the spec's run (a ``LRFindResult``)."""
    from .training import Trainer
    from .training.lr_find import lr_find as range_test

    return range_test(Trainer(load_spec(spec_path, overrides)), start=start, end=end, steps=steps)


def convert(src: str, model_name: str, dst: str, *, num_classes: int | None = None, classes: str | None = None) -> Path:
    """``zoo convert``: a weight file of any trainer as a bundle of ``model_name`` (``classes``: a text file, one
    class per line); a head of another size than the file's is refused, naming ``--num-classes``."""
    from .bundle import save
    from .factory import build

    model = build(model_name, num_classes=num_classes, weights=src)
    if model.zoo_load_report.missing:
        raise InvalidArgumentError(
            f"'{src}' has a head of another size than {model_name}; pass --num-classes to match it"
        )
    names = [c for c in Path(classes).read_text().splitlines() if c.strip()] if classes else None
    return save(model, dst, classes=names)
