"""TensorBoard logging (the course's chapter 3): scalars, a sample batch grid, the graph, histograms, hparams."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import torch

from .callbacks import Callback

if TYPE_CHECKING:
    from .trainer import Trainer


class TensorBoard(Callback):
    """Writes to ``RUN_DIR/tb``: train/val loss and accuracy, lr, ``train/batch`` images, graph, hparams."""

    def __init__(self, histograms_every: int = 0) -> None:
        self.histograms_every = histograms_every
        self.writer = None

    def on_fit_start(self, trainer: Trainer) -> None:
        from torch.utils.tensorboard import SummaryWriter
        from torchvision.utils import make_grid

        self.writer = SummaryWriter(str(trainer.out_dir / "tb"), purge_step=trainer.state["step"] or None)
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
        for key, value in scalars.items():
            self.writer.add_scalar(f"step/{key}", value, trainer.state["step"])

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        epoch = metrics["epoch"]
        for key, value in metrics.items():
            if key in ("epoch", "seconds"):
                continue
            split, _, name = key.partition("_")
            self.writer.add_scalar(f"{split}/{name}" if name else key, value, epoch)
        if self.histograms_every and epoch % self.histograms_every == 0:
            for name, param in trainer.unwrapped_model.named_parameters():
                self.writer.add_histogram(f"weights/{name}", param.detach().float().cpu(), epoch)
        self.writer.flush()

    def on_fit_end(self, trainer: Trainer) -> None:
        spec = trainer.spec
        hparams = {
            "model": spec.model.name,
            "optimizer": spec.optimizer.name,
            "lr": spec.optimizer.lr,
            "batch_size": spec.data.batch_size,
            "epochs": spec.trainer.epochs,
            "loss": spec.loss.name,
        }
        last = trainer.history[-1] if trainer.history else {}
        final = {f"hparam/{k}": v for k, v in last.items() if k not in ("epoch", "seconds")}
        self.writer.add_hparams(hparams, final, run_name=".")
        self.writer.close()
