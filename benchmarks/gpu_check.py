"""GPU check: the quick net for 2 epochs on CIFAR-shaped synthetic data, on CUDA, in several modes.

Prints JSON with images/s for a plain PyTorch loop, the Trainer with its defaults, the Trainer with
``trainer.fast`` (``zoo train --fast``: bf16 autocast, channels_last, data_on_device, cuDNN benchmark), and the
explicit settings one by one, plus the ratio of ``fast`` to the plain loop (goal ≥ 2). Needs a CUDA machine;
exits with a message otherwise.
    python benchmarks/gpu_check.py [--size 20000] [--epochs 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time

import torch

import zoo
from zoo.data import DATASETS

MODES = {
    "trainer_default": {},
    "trainer_fast": {"fast": True},
    "trainer_bf16": {"amp": "bf16"},
    "trainer_bf16_channels_last_on_device": {"amp": "bf16", "channels_last": True, "data_on_device": True},
}


def synthetic(size: int) -> torch.utils.data.TensorDataset:
    g = torch.Generator().manual_seed(0)
    return torch.utils.data.TensorDataset(
        torch.randn(size, 3, 32, 32, generator=g), torch.randint(0, 10, (size,), generator=g)
    )


@DATASETS.register("gpu_check_synthetic", provider="zoo-benchmarks")
def _synthetic_dataset(size: int = 20000) -> torch.utils.data.Dataset:
    return synthetic(size)


def plain(size: int, epochs: int, batch: int) -> float:
    device = torch.device("cuda")
    loader = torch.utils.data.DataLoader(synthetic(size), batch_size=batch, shuffle=True, pin_memory=True)
    model = zoo.build("cifar10_quick").to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.cuda.synchronize()
    return size * epochs / (time.perf_counter() - start)


def trainer(size: int, epochs: int, batch: int, extra: dict) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        spec = zoo.TrainSpec.from_dict(
            {
                "model": {"name": "cifar10_quick"},
                "data": {"train": {"name": "gpu_check_synthetic", "size": size}, "batch_size": batch},
                "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
                "trainer": {
                    "epochs": epochs, "device": "cuda", "monitor": "train_loss", "out_dir": tmp,
                    "progress": False, "tensorboard": False, **extra,
                },
            }
        )  # fmt: skip
        t = zoo.Trainer(spec).setup()
        torch.cuda.synchronize()
        start = time.perf_counter()
        t.fit()
        torch.cuda.synchronize()
        return size * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_check needs a CUDA GPU; none is available here")
    plain(2048, 1, args.batch_size)  # warm-up: CUDA context, cuDNN autotune
    out = {
        "device": torch.cuda.get_device_name(),
        "images_per_s": {"plain_loop": plain(args.size, args.epochs, args.batch_size)},
    }
    for name, extra in MODES.items():
        out["images_per_s"][name] = trainer(args.size, args.epochs, args.batch_size, extra)
    out["fast_over_plain"] = round(out["images_per_s"]["trainer_fast"] / out["images_per_s"]["plain_loop"], 2)
    out["images_per_s"] = {k: round(v) for k, v in out["images_per_s"].items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
