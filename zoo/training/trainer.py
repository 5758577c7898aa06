"""The Trainer: one generic loop for any model × data × optimizer × loss × device.

The loop is ``_train_epoch``: batches in, loss out, optimizer step. Logging, progress, checkpoints and early
stopping hang off callbacks (see callbacks.py); exact resume reads ``RUN_DIR/last``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..bundle import unwrap
from ..data.build import build_datasets, check_first_sample, resolve_num_classes
from ..device import describe, resolve_device
from ..errors import SpecError
from ..evaluation import evaluate_loader, sample_order
from ..factory import build
from ..parts import build_loss, build_optimizer, build_scheduler, fast_forward
from ..registry import card_with_weights
from ..rng import rng_state, rng_untouched, seed_everything, set_rng_state
from ..specs import TrainSpec
from . import distributed
from .builtin import builtin_callbacks
from .callbacks import Callback, improved
from .finetune import frozen_paths, param_groups
from .loaders import loader_for, loader_settings
from .metrics import Meter
from .run_folder import claim_run_dir, restore, run_dir_named

logger = logging.getLogger("zoo")


class Trainer:
    """Train ``spec``: ``Trainer(spec).fit()``; ``evaluate("val")``; ``predict(images)``.

    ``resume=RUN_DIR`` continues a run from its last complete epoch (``RUN_DIR/last``), exactly.
    """

    def __init__(
        self, spec: TrainSpec, *, callbacks: Sequence[Callback] = (), resume: str | Path | None = None
    ) -> None:
        self.spec = spec
        self.epochs = spec.trainer.epochs
        self.monitor = spec.trainer.monitor
        self.monitor_mode = "min" if self.monitor.endswith("loss") else "max"
        if spec.trainer.early_stop and spec.trainer.early_stop.mode:
            self.monitor_mode = spec.trainer.early_stop.mode
        self.rank, _, self.world_size = distributed.world()
        device = resolve_device(spec.trainer.device)
        distributed.init(device)
        self.device = distributed.local_device(device)
        self.out_dir = Path(resume) if resume is not None else Path(spec.trainer.out_dir)
        self.resume_dir = Path(resume) if resume is not None else None
        self._claimed = resume is not None
        # finished epochs, optimizer steps, batches done in the current epoch, best epoch, finished epochs' metrics
        self.state: dict[str, Any] = {"epoch": 0, "step": 0, "batch": 0, "best": None, "history": []}
        self._resumed_sums: Tensor | None = None  # the interrupted epoch's metric sums (a mid-epoch resume)
        self.should_stop = False
        self.epoch = 0
        self.user_callbacks = list(callbacks)
        self._ready = False
        self.last_evaluation: Any = None  # zoo.evaluation.Evaluation of the latest evaluate()
        self.last_evaluation_split = ""

    # -- setup -------------------------------------------------------------------------------------------------
    def setup(self) -> Trainer:
        """Build data, model, loss, optimizer and scheduler (done by fit/evaluate/predict when needed)."""
        if self._ready:
            return self
        spec = self.spec
        seed_everything(spec.trainer.seed, spec.trainer.deterministic)
        self.card = card_with_weights(spec.model.name, spec.model.weights)
        pretrained = self.card.default_weights is not None
        self.datasets = build_datasets(spec.data, self.card, seed=spec.trainer.seed, pretrained=pretrained)
        self.classes = self.datasets["train"].classes
        num_classes = resolve_num_classes(spec.model.num_classes, self.classes)
        self.model = build(
            spec.model.name,
            num_classes=num_classes,
            in_chans=spec.model.in_chans,
            weights=spec.model.weights,
            **spec.model.kwargs,
        ).to(self.device)
        self.num_classes = num_classes or self.card.num_classes
        if getattr(self.model, "zoo_load_report", None) is not None:
            self.log(f"weights: {self.model.zoo_load_report}")
        check_first_sample(self.datasets["train"], spec.model.in_chans or self.card.input_size[0], spec.model.name)
        self.num_workers, self.pin_memory = loader_settings(self)
        self.head = self.model.zoo_head_path
        self.frozen = frozen_paths(self.model, spec.trainer.freeze, self.head)
        self.optimizer = build_optimizer(
            spec.optimizer, param_groups(self.model, self.head, spec.optimizer, spec.trainer)
        )
        self.model = self._wrap(self.model)
        self.loss_fn, self.targets_for = build_loss(spec.loss)
        self.loss_fn.to(self.device)
        self.loaders = {split: loader_for(self, split, ds) for split, ds in self.datasets.items()}
        self.batch_size = spec.data.batch_size
        self.steps_per_epoch = len(self.loaders["train"])
        if self.steps_per_epoch == 0:
            raise SpecError(
                f"data.train has {len(self.datasets['train'])} sample(s), fewer than one batch of "
                f"{spec.data.batch_size} with drop_last, so an epoch would make no optimizer step; "
                "lower data.batch_size or set data.drop_last: false"
            )
        updates = -(-self.steps_per_epoch // spec.trainer.accumulate)
        self.scheduler, self.scheduler_interval = build_scheduler(
            spec.scheduler, self.optimizer, epochs=self.epochs, steps_per_epoch=updates
        )
        self.scaler = torch.amp.GradScaler(self.device.type) if spec.trainer.amp == "fp16" else None
        self.callbacks = [*self.user_callbacks, *builtin_callbacks(self)]
        if self.resume_dir is not None:
            restore(self, self.resume_dir / "last")
        self._ready = True
        return self

    def _wrap(self, model: nn.Module) -> nn.Module:
        """channels_last, DDP under torchrun, torch.compile: in that order, each only when asked for."""
        t = self.spec.trainer
        if t.channels_last:
            model = model.to(memory_format=torch.channels_last)
        if self.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            # frozen parameters get no gradient until unfrozen, which DDP must be told to expect
            model = DistributedDataParallel(model, device_ids=ids, find_unused_parameters=bool(self.frozen))
        if t.compile:
            model = torch.compile(model)
        return model

    # -- the loop ----------------------------------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        """Train for ``trainer.epochs`` (from the resumed epoch); returns ``{"best", "history", "out_dir"}``."""
        self._claim_out_dir()
        self.setup()
        if self.is_main_process:
            self.spec.to_yaml(self.out_dir / "spec.yaml")
        self.log(f"training {self.spec.model.name} on {describe(self.device)}; run folder {self.out_dir}")
        if "val" not in self.loaders:
            self.log(f"no validation data: monitoring {self.monitor} (set data.val or data.val_split to validate)")
        self._call("on_fit_start")
        for epoch in range(self.state["epoch"], self.epochs):
            self.epoch = epoch
            self.model.train()
            self._call("on_epoch_start")
            start = time.perf_counter()
            metrics = {"epoch": self.epoch + 1, **self._train_epoch()}
            if "val" in self.loaders:
                metrics.update(self.evaluate("val"))
            metrics["lr"] = self.optimizer.param_groups[0]["lr"]
            self._step_scheduler("epoch", metrics)
            metrics["seconds"] = round(time.perf_counter() - start, 3)
            self._record(metrics)
            self._call("on_epoch_end", metrics)
            if self.should_stop:
                break
        self._call("on_fit_end")
        distributed.barrier()
        return {"best": self.state["best"], "history": self.history, "out_dir": str(self.out_dir)}

    def _claim_out_dir(self) -> None:
        """Rank 0 claims a fresh run folder (see ``claim_run_dir``); every rank then uses that same folder."""
        if self._claimed:
            return
        requested = self.out_dir
        number = distributed.broadcast_int(claim_run_dir(requested) if self.is_main_process else 0)
        self.out_dir = run_dir_named(requested, number)
        self._claimed = True

    def _train_epoch(self) -> dict[str, float]:
        """One epoch, from batch ``state["batch"]`` (0, or where a mid-epoch checkpoint left off)."""
        loader, done = self.loaders["train"], self.state["batch"]
        loader.sampler.set_epoch(self.epoch)
        loader.sampler.start_at(done * self.batch_size)  # a resumed epoch reads none of its trained batches again
        self.meter = Meter(self.device, top5=self.num_classes >= 10, sums=self._resumed_sums)
        self._resumed_sums = None
        accumulate, clip, scaler = self.spec.trainer.accumulate, self.spec.trainer.grad_clip, self.scaler
        last = self.steps_per_epoch - 1
        for i, batch in enumerate(loader, start=done):
            logits, loss, y = self.forward_loss(batch)
            (scaler.scale(loss / accumulate) if scaler is not None else loss / accumulate).backward()
            self.meter.update(loss, logits.float(), y)
            stepped = (i + 1) % accumulate == 0 or i == last
            if stepped:
                if clip:
                    if scaler is not None:
                        scaler.unscale_(self.optimizer)
                    nn.utils.clip_grad_norm_(self.model.parameters(), clip)
                if scaler is not None:
                    scaler.step(self.optimizer)
                    scaler.update()
                else:
                    self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                self._step_scheduler("step")
                self.state["step"] += 1
                self.state["batch"] = i + 1
            self._call("on_batch_end", loss)
            if stepped and self.state["step"] % self.spec.trainer.log_every == 0:
                self._call("on_log", self.meter.compute("train"))
            if stepped:
                self._call("on_step_end")  # mid-epoch checkpoints: batch, step and meter are complete here
        self.state["batch"] = 0
        return self._reduce(self.meter).compute("train")

    def forward_loss(self, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """``(logits, loss, targets)`` of one batch, on the device, under autocast when asked for."""
        x, y = self.to_device(*batch)
        with self.autocast():
            logits = self.model(x)
            loss = self.loss_fn(logits, self.targets_for(logits, y))
        return logits, loss, y

    def _step_scheduler(self, interval: str, metrics: dict[str, float] | None = None) -> None:
        if self.scheduler is None or self.scheduler_interval != interval:
            return
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(metrics[self.monitor])
        else:
            self.scheduler.step()

    @torch.no_grad()
    def evaluate(self, split: str = "val") -> dict[str, float]:
        """Loss and accuracy (top-5 with ≥ 10 classes) on ``split``: ``{"val_loss", "val_acc", ...}``.

        The whole evaluation (per-class metrics, confusion matrix, mistakes) is kept as ``last_evaluation``.
        """
        self.setup()
        if split not in self.loaders:
            raise SpecError(f"data.{split} is not set in the spec, so there is nothing to evaluate")
        loader = self.loaders[split]

        def forward(x: Tensor) -> Tensor:
            x, _ = self.to_device(x, x.new_zeros(0))
            with self.autocast():
                return self.model(x)

        result = evaluate_loader(
            self.model, loader, loss_fn=lambda logits, y: self.loss_fn(logits, self.targets_for(logits, y)),
            num_classes=self.num_classes, classes=self.classes, device=self.device, forward=forward,
        )  # fmt: skip
        order = sample_order(loader)
        for mistake in result.mistakes:
            mistake["index"] = order[mistake["index"]] if order else mistake["index"]
        self.last_evaluation = result
        self.last_evaluation_split = split
        return result.scalars(split)

    @torch.no_grad()
    def predict(self, inputs: Tensor | Iterable[Any], *, topk: int = 5) -> list[dict[str, Any]]:
        """Class predictions for a batch tensor, or for image paths / PIL images (val preprocessing applied)."""
        from ..prediction import predict_batch, transform_images

        self.setup()
        if not isinstance(inputs, Tensor):
            inputs = transform_images(inputs, self._eval_transform())
        return predict_batch(self.model, inputs.to(self.device), self.classes, topk=topk)

    # -- helpers for callbacks ---------------------------------------------------------------------------------
    @property
    def is_main_process(self) -> bool:
        return self.rank == 0

    @property
    def unwrapped_model(self) -> nn.Module:
        return unwrap(self.model)

    @property
    def history(self) -> list[dict[str, float]]:
        return self.state["history"]

    def log(self, message: str) -> None:
        if self.is_main_process:
            logger.info(message)

    def sample_batch(self) -> tuple[Tensor, Tensor]:
        """The first 32 training samples, augmented (for TensorBoard's image grid and the bundle's input size).

        Random augmentations draw from the global RNGs; their states are put back so that logging never
        changes the training run (exact resume depends on it).
        """
        with rng_untouched():
            dataset = self.datasets["train"]
            items = [dataset[i] for i in range(min(len(dataset), 32))]
        return torch.stack([x for x, _ in items]), torch.tensor([y for _, y in items])

    @cached_property
    def input_size(self) -> list[int]:
        """The shape of one training sample after its transforms (what the bundle records)."""
        return list(self.sample_batch()[0].shape[1:])

    def state_dict(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(info, state)``: everything ``last/`` holds besides the weights to continue exactly, pickle-free.

        ``info`` is plain JSON: finished epochs, optimizer steps, batches done in the current epoch, best epoch,
        history, callback counters and the run's facts. ``state`` nests tensors: optimizer, scheduler, scaler, every
        RNG and, in the middle of an epoch, each process's running metric sums (a collective call under DDP).
        """
        run = {"world_size": self.world_size, "seed": self.spec.trainer.seed, "epochs": self.epochs}
        callbacks = {type(c).__name__: kept for c in self.callbacks if (kept := c.state_dict())}
        info = {**self.state, **run, "samples": len(self.datasets["train"]), "callbacks": callbacks}
        state = {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "rng": rng_state(),
        }
        if self.state["batch"]:
            state["meter"] = distributed.all_gather(self.meter.state())
        return info, state

    def load_state_dict(self, info: dict[str, Any], state: dict[str, Any]) -> None:
        """Continue from ``state_dict()``'s output (the weights are loaded by ``restore``, with the bundle)."""
        samples = len(self.datasets["train"])
        if info.get("batch") and (info["world_size"], info.get("samples")) != (self.world_size, samples):
            raise SpecError(
                f"cannot resume '{self.out_dir}' in the middle of epoch {info['epoch'] + 1}: it ran with "
                f"{info['world_size']} process(es) over {info.get('samples')} training samples, this run has "
                f"{self.world_size} over {samples}"
            )
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            plateau = isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
            if plateau or info.get("epochs", self.epochs) == self.epochs:
                self.scheduler.load_state_dict(state["scheduler"])
            else:  # the run was lengthened or shortened: re-plan the schedule, continue at the same step
                self.log(
                    f"trainer.epochs changed from {info['epochs']} to {self.epochs}: the lr schedule is re-planned"
                )
                fast_forward(self.scheduler, info["step"] if self.scheduler_interval == "step" else info["epoch"])
        if self.scaler is not None and state["scaler"] is not None:
            self.scaler.load_state_dict(state["scaler"])
        set_rng_state(state["rng"])
        if "meter" in state:
            self._resumed_sums = state["meter"][self.rank]
        for callback in self.callbacks:
            callback.load_state_dict(info.get("callbacks", {}).get(type(callback).__name__, {}))
        self.state = {k: info[k] for k in ("epoch", "step", "best", "history")} | {"batch": info.get("batch", 0)}

    # -- internals ---------------------------------------------------------------------------------------------
    def _record(self, metrics: dict[str, float]) -> None:
        self.state["history"].append(metrics)
        self.state["epoch"] = metrics["epoch"]
        value, best = metrics.get(self.monitor), self.state["best"]
        if value is not None and improved(value, best and best["value"], self.monitor_mode):
            self.state["best"] = {"epoch": metrics["epoch"], "metric": self.monitor, "value": value}
        line = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k not in ("epoch", "seconds", "lr"))
        self.log(f"epoch {metrics['epoch']}/{self.epochs}: {line} ({metrics['seconds']:.1f}s)")

    def _eval_transform(self) -> Any:
        return self.datasets.get("val", self.datasets["train"]).transform

    def to_device(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        x = x.to(self.device, non_blocking=True)
        if self.spec.trainer.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(self.device, non_blocking=True)

    def autocast(self) -> Any:
        amp = self.spec.trainer.amp
        if amp == "none":
            return nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)

    def _reduce(self, meter: Meter) -> Meter:
        """Sum the meter over all processes (a no-op in one process)."""
        distributed.all_reduce_sum(meter.state())
        return meter

    def _call(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)
