"""The cost of one mid-epoch checkpoint (``last/``: weights + optimizer + RNGs + sampler position) against the time
of one training step, for the quick net and VGG16, measured inside a real ``Trainer.fit`` with
``checkpoint_every: 2``. Prints JSON: per model the step time, the checkpoint time, their ratio and the smallest
``checkpoint_every`` that keeps checkpointing under 2 % of training time.
    python benchmarks/checkpoint.py [--steps 8]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time

import torch

import zoo
import zoo.training.run_folder as checkpoint
from zoo.training import Callback

MODELS = {"cifar10_quick": 64, "vgg16": 16}  # model: batch size (CIFAR-shaped 32×32 data)


class StepClock(Callback):
    """Wall time between consecutive optimizer steps, minus the checkpoint written in between."""

    def __init__(self, writes: list[float]) -> None:
        self.writes, self.steps, self._last = writes, [], None

    def on_step_end(self, trainer) -> None:  # runs before the built-in checkpoint of the same step
        now = time.perf_counter()
        if self._last is not None:
            self.steps.append(now - self._last - self._written_since)
        self._last, self._written_since = now, 0.0

    def checkpoint_written(self, seconds: float) -> None:
        self._written_since += seconds


def measure(model: str, batch: int, steps: int) -> dict[str, float]:
    writes: list[float] = []
    clock = StepClock(writes)
    original = checkpoint.Checkpoint._write_last

    def timed_write(self, trainer):
        start = time.perf_counter()
        original(self, trainer)
        seconds = time.perf_counter() - start
        if trainer.state["batch"]:  # mid-epoch writes only (the epoch end also writes best/ and metrics)
            writes.append(seconds)
        clock.checkpoint_written(seconds)

    checkpoint.Checkpoint._write_last = timed_write
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spec = zoo.TrainSpec.from_dict(
                {
                    "model": {"name": model, "num_classes": 10},
                    "data": {"train": {"name": "shapes", "size": batch * steps, "cache": True}, "batch_size": batch},
                    "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
                    "trainer": {"epochs": 1, "out_dir": f"{tmp}/run", "checkpoint_every": 2, "tensorboard": False},
                }
            )
            zoo.Trainer(spec, callbacks=[clock]).fit()
    finally:
        checkpoint.Checkpoint._write_last = original
    step, write = statistics.median(clock.steps), statistics.median(writes)
    return {
        "step_s": round(step, 4),
        "checkpoint_s": round(write, 4),
        "checkpoint_over_step": round(write / step, 2),
        "checkpoint_every_for_2pct": math.ceil(write / (0.02 * step)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    result = {name: measure(name, batch, args.steps) for name, batch in MODELS.items()}
    print(json.dumps({"benchmark": "checkpoint", "threads": torch.get_num_threads(), **result}))


if __name__ == "__main__":
    main()
