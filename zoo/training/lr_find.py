"""The learning-rate range test: raise the lr exponentially for a few hundred steps, watch the loss.

The model and optimizer are put back as they were afterwards. The suggestion is the lr where the smoothed loss
falls fastest (steepest negative slope against log lr), as fastai suggests.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ..atomic import write_with

if TYPE_CHECKING:
    from .trainer import Trainer


@dataclass
class LrFindResult:
    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    suggestion: float | None = None

    def table(self, rows: int = 20) -> str:
        """Every few points as an aligned text table, the suggestion marked."""
        step = max(1, len(self.lrs) // rows)
        lines = [f"{'lr':>12}  {'loss':>10}"]
        for i in range(0, len(self.lrs), step):
            lines.append(f"{self.lrs[i]:>12.3e}  {self.losses[i]:>10.4f}")
        if self.suggestion is not None:
            lines.append(f"suggested lr: {self.suggestion:.3e}")
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """Loss against lr (log scale) as a PNG, with the suggestion marked."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.lrs, self.losses)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss (smoothed)")
        if self.suggestion is not None:
            ax.axvline(self.suggestion, color="red", linestyle="--", label=f"suggested {self.suggestion:.2e}")
            ax.legend()
        fig.tight_layout()
        write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
        plt.close(fig)
        return Path(path)


def lr_find(
    trainer: Trainer, *, start: float = 1e-7, end: float = 10.0, steps: int = 100, smooth: float = 0.9
) -> LrFindResult:
    """Run the range test on ``trainer``'s model, data and optimizer; nothing is left changed."""
    trainer.setup()
    model, optimizer = trainer.model, trainer.optimizer
    saved_model = copy.deepcopy(trainer.unwrapped_model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    ratios = [g["lr"] / optimizer.param_groups[0]["lr"] for g in optimizer.param_groups]
    factor = (end / start) ** (1 / max(steps - 1, 1))
    result, average, best = LrFindResult(), 0.0, math.inf
    model.train()
    batches = _forever(trainer.loaders["train"])
    try:
        for i in range(steps):
            lr = start * factor**i
            for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
                group["lr"] = lr * ratio
            _, loss, _ = trainer.forward_loss(next(batches))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = loss.item()
            if not math.isfinite(value):
                break
            average = smooth * average + (1 - smooth) * value
            smoothed = average / (1 - smooth ** (i + 1))
            result.lrs.append(lr)
            result.losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > 4 * best:
                break
    finally:
        trainer.unwrapped_model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
    result.suggestion = _steepest(result)
    return result


def _forever(loader):
    epoch = 0
    while True:
        loader.sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


def _steepest(result: LrFindResult) -> float | None:
    if len(result.losses) < 5:
        return None
    logs = torch.tensor([math.log10(lr) for lr in result.lrs])
    losses = torch.tensor(result.losses)
    slopes = (losses[2:] - losses[:-2]) / (logs[2:] - logs[:-2])
    skip = max(1, len(slopes) // 10)  # the first points are noise
    index = int(slopes[skip:].argmin()) + skip + 1
    return result.lrs[index]
