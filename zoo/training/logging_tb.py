"""TensorBoard logging (the course's chapter 3): curves, a sample batch grid, the graph, histograms, hparams, and at
each new best (at most once a minute, and always for the final best) the confusion matrix and the most
confident mistakes.

Events go to ``RUN_DIR/tb/<run folder name>`` so TensorBoard names the run after its folder. Epoch metrics are
``train/*`` and ``val/*`` on an epoch axis; per-step logs are ``train_steps/*`` on a global-step axis. The
hyper-parameters live only in the HParams tab, linked to the real ``val/*`` / ``train/*`` curves (no extra charts).
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

import torch

from .callbacks import Callback

if TYPE_CHECKING:
    from .trainer import Trainer


class TensorBoard(Callback):
    """Writes to ``RUN_DIR/tb``: train/val loss and accuracy, lr, ``train/batch`` images, graph, hparams."""

    FIGURES_EVERY_S = 60.0  # drawing the matrix takes ~0.3 s: at most once a minute, and the final best always

    def __init__(self, histograms_every: int = 0) -> None:
        self.histograms_every = histograms_every
        self.writer = None
        self._figures_at = 0.0
        self._pending: tuple[Any, str, int] | None = None

    def on_fit_start(self, trainer: Trainer) -> None:
        from torch.utils.tensorboard import SummaryWriter
        from torchvision.utils import make_grid

        folder = trainer.out_dir / "tb" / trainer.out_dir.name
        # resumed at step S: events a killed run wrote after its checkpoint (steps > S) are hidden from TensorBoard
        resumed = trainer.state["step"] > 0
        self.writer = SummaryWriter(str(folder), purge_step=trainer.state["step"] + 1 if resumed else None)
        self._figures_at = time.monotonic()  # the first figures a minute in (a short run draws only its final best)
        images, _ = trainer.sample_batch()
        if images.dim() == 4:
            self.writer.add_image("train/batch", make_grid(images[:32].float(), normalize=True), trainer.state["step"])
            self._graph(trainer, images[:2].to(trainer.device))

    def _graph(self, trainer: Trainer, example: torch.Tensor) -> None:
        """The model graph, when the model traces (some do not; that is not an error)."""
        was_training = trainer.model.training
        try:
            trainer.model.eval()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.jit.trace's deprecation notice; tracing still works
                self.writer.add_graph(trainer.model, example)
        except Exception as exc:  # noqa: BLE001 - tracing failures are many and harmless here
            trainer.log(f"tensorboard: model graph skipped ({type(exc).__name__})")
        finally:
            trainer.model.train(was_training)

    def on_log(self, trainer: Trainer, scalars: dict[str, float]) -> None:
        step = trainer.state["step"]
        for key, value in scalars.items():
            self.writer.add_scalar(f"train_steps/{key.removeprefix('train_')}", value, step)
        self.writer.add_scalar("train_steps/lr", trainer.optimizer.param_groups[0]["lr"], step)

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        epoch = metrics["epoch"]
        for key, value in metrics.items():
            if key in ("epoch", "seconds"):
                continue
            split, _, name = key.partition("_")
            self.writer.add_scalar(f"{split}/{name}" if name else f"train/{key}", value, epoch)
        best = trainer.state["best"]
        if trainer.last_evaluation is not None and best and best["epoch"] == epoch:
            self._pending = (trainer.last_evaluation, trainer.last_evaluation_split, epoch)
            if time.monotonic() - self._figures_at >= self.FIGURES_EVERY_S:
                self._draw_pending(trainer)
        if self.histograms_every and epoch % self.histograms_every == 0:
            for name, param in trainer.unwrapped_model.named_parameters():
                self.writer.add_histogram(f"weights/{name}", param.detach().float().cpu(), epoch)
        self.writer.flush()

    def _draw_pending(self, trainer: Trainer) -> None:
        """The confusion matrix and mistakes grid of the latest new best, at that best's epoch."""
        import numpy as np

        from ..evaluation.report import confusion_figure, mistakes_grid

        if self._pending is None:
            return
        evaluation, split, epoch = self._pending
        self.writer.add_figure(f"{split}/confusion_matrix", confusion_figure(evaluation), epoch)
        mistakes = mistakes_grid(evaluation, trainer.datasets[split])
        if mistakes is not None:
            self.writer.add_image(f"{split}/mistakes", np.asarray(mistakes), epoch, dataformats="HWC")
        self._pending, self._figures_at = None, time.monotonic()

    def on_fit_end(self, trainer: Trainer) -> None:
        from torch.utils.tensorboard.summary import hparams

        self._draw_pending(trainer)
        spec = trainer.spec
        params = {
            "model": spec.model.name,
            "optimizer": spec.optimizer.name,
            "lr": spec.optimizer.lr,
            "batch_size": spec.data.batch_size,
            "epochs": spec.trainer.epochs,
            "loss": spec.loss.name,
        }
        last = trainer.history[-1] if trainer.history else {}
        # metric names point at the epoch curves already written (val/acc, train/loss): no hparam/* charts
        metrics = {f"{k.partition('_')[0]}/{k.partition('_')[2]}": v for k, v in last.items() if "_" in k}
        for summary in hparams(params, metrics):
            self.writer.file_writer.add_summary(summary)
        self.writer.close()
