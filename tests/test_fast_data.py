"""Fast by default: decoded (or, with deterministic transforms, transformed) samples cached once in shared memory
for every loader worker, loader settings chosen for the machine, and the ``fast`` preset."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
import yaml
from PIL import Image
from safetensors.torch import load_file

import zoo
import zoo.data.images as images

RANDOM = [{"name": "RandomCrop", "size": 32, "padding": 4}, {"name": "RandomHorizontalFlip"}, {"name": "ToTensor"}]
FIXED = [{"name": "Resize", "size": [32, 32]}, {"name": "ToTensor"}]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """48 real PNG files of 40×40 in 3 classes."""
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for label in ("red", "green", "blue"):
        (root / label).mkdir()
        for i in range(16):
            pixels = rng.integers(0, 90, (40, 40, 3), dtype=np.uint8)
            pixels[..., ("red", "green", "blue").index(label)] += 150
            Image.fromarray(pixels).save(root / label / f"{i}.png")
    return root


@pytest.fixture
def decodes(monkeypatch, pictures):
    """How often each picture was decoded, counted in shared memory so that loader workers (forked) count too."""
    paths = sorted(str(p) for p in pictures.rglob("*.png"))
    counts = torch.zeros(len(paths), dtype=torch.int32).share_memory_()
    index = {p: i for i, p in enumerate(paths)}
    original = images.read_image

    def counting(path, mode):
        counts[index[str(path)]] += 1
        return original(path, mode)

    monkeypatch.setattr(images, "read_image", counting)
    return counts


def spec(tmp_path, pictures, transforms, *, out="run", workers=2, **data):
    return zoo.TrainSpec.from_dict(
        {
            "model": {"name": "cifar10_quick"},
            "data": {
                "train": {"name": "image_folder", "root": str(pictures), "transforms": transforms},
                "batch_size": 8,
                "num_workers": workers,
                **data,
            },
            "optimizer": {"name": "sgd", "lr": 0.01},
            "trainer": {"epochs": 3, "seed": 1, "out_dir": str(tmp_path / out), "tensorboard": False},
        }
    )


def final_weights(tmp_path, out="run"):
    return load_file(str(tmp_path / out / "last" / "model.safetensors"))


@pytest.mark.parametrize(("transforms", "kind"), [(RANDOM, "decoded images"), (FIXED, "transformed 3×32×32")])
def test_auto_cache_decodes_each_file_once_across_epochs_and_workers(
    tmp_path, pictures, decodes, caplog, transforms, kind
):
    with caplog.at_level(logging.INFO, logger="zoo"):
        zoo.Trainer(spec(tmp_path, pictures, transforms)).fit()  # 3 epochs, 2 loader workers
    assert decodes.tolist() == [1] * 48
    assert f"data.train: 48 {kind}" in caplog.text and "cached in shared memory" in caplog.text
    assert "loader: num_workers 2 (as set)" in caplog.text


def test_over_the_budget_nothing_is_cached_and_the_log_says_why(tmp_path, pictures, decodes, caplog):
    with caplog.at_level(logging.INFO, logger="zoo"):
        zoo.Trainer(spec(tmp_path, pictures, RANDOM, workers=0, cache_budget="10KB")).fit()
    assert "data.train: not cached: 48 decoded images take 225.0 KB, over the 9.8 KB left of data.cache_budget" in (
        caplog.text
    )
    assert min(decodes.tolist()) >= 3  # every epoch decodes every file again


def test_caching_and_workers_do_not_change_the_weights(tmp_path, pictures):
    """Random augmentation runs after the cache, seeded per sample: cached with 2 workers == uncached in-process."""
    zoo.Trainer(spec(tmp_path, pictures, RANDOM, out="cached")).fit()
    plain = spec(tmp_path, pictures, RANDOM, out="plain", workers=0)
    plain.data.train.cache = False
    zoo.Trainer(plain).fit()
    cached, uncached = final_weights(tmp_path, "cached"), final_weights(tmp_path, "plain")
    assert all(torch.equal(cached[k], uncached[k]) for k in cached)


def test_auto_workers_are_chosen_once_and_logged(tmp_path, pictures, caplog):
    with caplog.at_level(logging.INFO, logger="zoo"):
        trainer = zoo.Trainer(spec(tmp_path, pictures, FIXED, workers="auto")).setup()
    # cached tensors are cheap to read: the main process keeps up, no worker processes
    assert "loader: num_workers 0 (auto: reading a sample takes" in caplog.text
    assert trainer.loaders["train"].num_workers == 0


def test_fast_on_cpu_trains_and_says_what_does_not_apply(tmp_path, pictures, zoo_cli):
    spec(tmp_path, pictures, FIXED, workers=0).to_yaml(tmp_path / "spec.yaml")
    result = zoo_cli("train", tmp_path / "spec.yaml", "--fast", "--set", "trainer.epochs=2")
    assert result.returncode == 0, result.stderr
    assert "fast: channels_last" in result.stderr
    assert "cuDNN benchmark and data_on_device (CUDA only; this run is on cpu)" in result.stderr
    native = torch.cpu.get_capabilities().get("avx512_bf16") or torch.cpu.get_capabilities().get("amx_bf16")
    assert ("bf16 autocast" in result.stderr) == bool(native)
    resolved = yaml.safe_load((tmp_path / "run" / "spec.yaml").read_text())["trainer"]
    assert resolved["channels_last"] is True and resolved["fast"] is True
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    assert history[1]["train_loss"] < history[0]["train_loss"]  # it learns


def test_validation_classes_must_match_the_training_classes(tmp_path, pictures, zoo_cli):
    spec(tmp_path, pictures, FIXED, workers=0).to_yaml(tmp_path / "spec.yaml")
    result = zoo_cli("train", tmp_path / "spec.yaml", "--set", "data.val={name: shapes, size: 20}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: data.val has other classes than data.train (disk, ring, square, frame, triangle, … vs blue, green, "
        "red); both splits must list the same classes in the same order"
    )


def test_fast_keeps_explicit_settings_and_bf16_autocast_trains_on_cpu(tmp_path, pictures, caplog):
    run = spec(tmp_path, pictures, FIXED, workers=0)
    run.trainer.fast, run.trainer.amp = True, "bf16"  # bf16 autocast on the CPU, asked for explicitly
    with caplog.at_level(logging.INFO, logger="zoo"):
        history = zoo.Trainer(run).fit()["history"]
    assert "bf16 autocast (trainer.amp is set to 'bf16')" in caplog.text
    assert np.isfinite(history[-1]["train_loss"]) and history[-1]["train_loss"] < history[0]["train_loss"]
