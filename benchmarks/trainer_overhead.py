"""Trainer vs the course's plain training loop on a folder of real PNG files the benchmark writes (1,500 train and
300 val 32×32 images over 10 classes, drawn by zoo's ``shapes``).

Three contenders, same model, data, transforms, batch size, optimizer and per-epoch validation: the plain loop
(torchvision ImageFolder, DataLoader, the course's loop), the Trainer with its defaults (``cache: auto``,
``num_workers: auto``, TensorBoard, best/last bundles) and the Trainer with caching off. Each runs for 1 and for
``--epochs`` epochs (min of ``--repeats``), giving a per-epoch cost and a fixed cost (everything that is not an
epoch: setup, logging, bundles). Imports are warmed first. Prints JSON (goal: defaults ≥ 1.3× faster per epoch
than the plain loop, fixed cost ≤ 0.5 s, the same accuracy within noise).
    python benchmarks/trainer_overhead.py [--epochs 4] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import v2

import zoo
from zoo.data.shapes import CLASSES, draw_shape

MEAN, STD = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]
TRANSFORMS = [{"name": "ToTensor"}, {"name": "Normalize", "mean": MEAN, "std": STD}]


def write_pictures(root: Path, train: int, val: int) -> None:
    for split, count, seed in (("train", train, 0), ("val", val, 1)):
        for i in range(count):
            kind = CLASSES[i % len(CLASSES)]
            folder = root / split / kind
            folder.mkdir(parents=True, exist_ok=True)
            draw_shape(kind, np.random.default_rng([seed, i]), 32).save(folder / f"{i}.png")


def plain_loop(root: Path, epochs: int) -> tuple[float, float]:
    """The course's train.py: ImageFolder, model, loss, optimizer, loop, per-epoch test loss and accuracy."""
    start = time.perf_counter()
    torch.manual_seed(0)
    transform = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])
    train_loader = DataLoader(datasets.ImageFolder(str(root / "train"), transform), batch_size=64, shuffle=True)
    val_loader = DataLoader(datasets.ImageFolder(str(root / "val"), transform), batch_size=128)
    model = zoo.build("cifar10_quick")
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    accuracy = 0.0
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
        accuracy = correct / len(val_loader.dataset)
    return time.perf_counter() - start, accuracy


def trainer_run(root: Path, epochs: int, cache: str | bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        split = {"name": "image_folder", "transforms": TRANSFORMS, "cache": cache}
        spec = {
            "model": {"name": "cifar10_quick"},
            "data": {
                "train": {**split, "root": str(root / "train")},
                "val": {**split, "root": str(root / "val")},
                "batch_size": 64,
            },
            "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
            "trainer": {"epochs": epochs, "out_dir": f"{tmp}/run", "progress": False},
        }
        start = time.perf_counter()
        result = zoo.Trainer(zoo.TrainSpec.from_dict(spec)).fit()
        return time.perf_counter() - start, result["history"][-1]["val_acc"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=1500)
    parser.add_argument("--val-size", type=int, default=300)
    args = parser.parse_args()
    runners = {
        "plain_loop": plain_loop,
        "trainer_defaults": lambda root, epochs: trainer_run(root, epochs, "auto"),
        "trainer_cache_off": lambda root, epochs: trainer_run(root, epochs, False),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_pictures(root, args.train_size, args.val_size)
        for run in runners.values():  # warm the imports (torchmetrics, tensorboard) and the page cache
            run(root, 1)
        times: dict[str, dict[int, list[float]]] = {name: {1: [], args.epochs: []} for name in runners}
        accuracy: dict[str, float] = {}
        for _ in range(args.repeats):
            for name, run in runners.items():  # alternating, so drifts of the machine hit every contender
                for epochs in (1, args.epochs):
                    seconds, accuracy[name] = run(root, epochs)
                    times[name][epochs].append(seconds)
    report: dict[str, dict[str, float]] = {}
    for name, by_epochs in times.items():
        one, many = min(by_epochs[1]), min(by_epochs[args.epochs])
        per_epoch = (many - one) / (args.epochs - 1)
        report[name] = {
            "per_epoch_s": round(per_epoch, 3),
            "fixed_s": round(one - per_epoch, 3),
            "val_acc": round(accuracy[name], 4),
        }
    plain = report["plain_loop"]["per_epoch_s"]
    for name in ("trainer_defaults", "trainer_cache_off"):
        report[name]["speedup_per_epoch"] = round(plain / report[name]["per_epoch_s"], 3)
    print(
        json.dumps(
            {
                "benchmark": "trainer_overhead",
                "images": args.train_size,
                "epochs": args.epochs,
                "threads": torch.get_num_threads(),
                **report,
            }
        )
    )


if __name__ == "__main__":
    main()
