"""Trainer vs the course's plain training loop: same model, data, batch size, optimizer and per-epoch validation.

Both run in this process, alternating, min of ``--repeats``; prints JSON with the ratio (goal ≤ 1.02).
The Trainer run includes everything it does by default: TensorBoard, best/last bundles, metrics.json.
    python benchmarks/trainer_overhead.py [--epochs 3] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch
from torch.utils.data import DataLoader

import zoo
from zoo.data import build_dataset
from zoo.specs import DatasetSpec

TRANSFORMS = [{"name": "ToTensor"}, {"name": "Normalize", "mean": [0.5] * 3, "std": [0.25] * 3}]


def spec_dict(epochs: int, out_dir: str, train_size: int, val_size: int) -> dict:
    return {
        "model": {"name": "cifar10_quick"},
        "data": {
            "train": {"name": "shapes", "size": train_size, "cache": True, "transforms": TRANSFORMS},
            "val": {"name": "shapes", "size": val_size, "split": "val", "cache": True, "transforms": TRANSFORMS},
            "batch_size": 64,
        },
        "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
        "trainer": {"epochs": epochs, "out_dir": out_dir, "progress": False},
    }


def plain_loop(epochs: int, train_size: int, val_size: int) -> float:
    """The course's train.py: model, loss, optimizer, loop, per-epoch test loss and accuracy."""
    torch.manual_seed(0)
    train = build_dataset(DatasetSpec(name="shapes", size=train_size, cache=True, transforms=TRANSFORMS))
    val = build_dataset(DatasetSpec(name="shapes", size=val_size, split="val", cache=True, transforms=TRANSFORMS))
    train_loader = DataLoader(train, batch_size=64, shuffle=True)
    val_loader = DataLoader(val, batch_size=128)
    _warm(train_loader, val_loader)
    model = zoo.build("cifar10_quick")
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for imgs, targets in train_loader:
            loss = loss_fn(model(imgs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        total_loss, correct = 0.0, 0
        with torch.no_grad():
            for imgs, targets in val_loader:
                outputs = model(imgs)
                total_loss += loss_fn(outputs, targets).item()
                correct += (outputs.argmax(1) == targets).sum().item()
    return time.perf_counter() - start


def trainer_run(epochs: int, train_size: int, val_size: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        trainer = zoo.Trainer(zoo.TrainSpec.from_dict(spec_dict(epochs, f"{tmp}/run", train_size, val_size)))
        trainer.setup()
        _warm(trainer.loaders["train"], trainer.loaders["val"])
        start = time.perf_counter()
        trainer.fit()
        return time.perf_counter() - start


def _warm(*loaders: DataLoader) -> None:
    """Decode (cache) every sample once, so neither side pays the one-off data generation in its timing."""
    for loader in loaders:
        for _ in loader.dataset:
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--val-size", type=int, default=1000)
    args = parser.parse_args()
    plain, trained = [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(args.epochs, args.train_size, args.val_size))
        trained.append(trainer_run(args.epochs, args.train_size, args.val_size))
    print(
        json.dumps(
            {
                "benchmark": "trainer_overhead",
                "epochs": args.epochs,
                "train_size": args.train_size,
                "plain_loop_s": round(min(plain), 3),
                "trainer_s": round(min(trained), 3),
                "ratio": round(min(trained) / min(plain), 3),
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
