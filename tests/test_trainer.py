"""The Trainer through its Python API: metrics, callbacks, TensorBoard files, evaluate/predict, training knobs."""

import json

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import zoo
from zoo.training import Callback


def tiny_spec(tmp_path, **trainer):
    return zoo.TrainSpec.from_dict(
        {
            "model": {"name": "cifar10_quick"},
            "data": {
                "train": {"name": "shapes", "size": 256, "cache": True},
                "val": {"name": "shapes", "size": 64, "split": "val", "cache": True},
                "batch_size": 32,
            },
            "optimizer": {"name": "sgd", "lr": 0.02, "momentum": 0.9},
            "trainer": {"epochs": 2, "out_dir": str(tmp_path / "run"), "progress": False, **trainer},
        }
    )


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_fit_start(self, trainer):
        self.calls.append("fit_start")

    def on_epoch_end(self, trainer, metrics):
        self.calls.append(("epoch_end", metrics["epoch"]))

    def on_log(self, trainer, scalars):
        self.calls.append("log")

    def on_fit_end(self, trainer):
        self.calls.append("fit_end")


def test_fit_writes_the_run_folder_and_calls_hooks(tmp_path):
    recorder = Recorder()
    result = zoo.Trainer(tiny_spec(tmp_path, log_every=4), callbacks=[recorder]).fit()
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} >= {"spec.yaml", "metrics.json", "tb", "best", "last"}
    metrics = json.loads((run / "metrics.json").read_text())
    assert [h["epoch"] for h in metrics["history"]] == [1, 2]
    assert metrics["world_size"] == 1 and metrics["best"]["metric"] == "val_acc"
    assert set(metrics["history"][0]) >= {"train_loss", "train_acc", "train_top5", "val_loss", "val_acc", "lr"}
    assert result["best"] == metrics["best"]
    assert recorder.calls[0] == "fit_start" and recorder.calls[-1] == "fit_end"
    assert [c for c in recorder.calls if isinstance(c, tuple)] == [("epoch_end", 1), ("epoch_end", 2)]
    assert recorder.calls.count("log") == 4  # 8 steps per epoch, every 4 steps
    best = zoo.load(run / "best")
    assert best.zoo_config["classes"][:2] == ["disk", "ring"]
    assert best.zoo_config["metrics"]["epoch"] == metrics["best"]["epoch"]
    assert zoo.TrainSpec.from_yaml(str(run / "spec.yaml")).trainer.out_dir == str(run)


def test_tensorboard_events_hold_scalars_images_and_graph(tmp_path):
    zoo.Trainer(tiny_spec(tmp_path, log_every=2, histograms_every=1)).fit()
    run = tmp_path / "run" / "tb" / "run"  # TensorBoard names the run after its folder
    events = EventAccumulator(str(run), size_guidance={"images": 0, "histograms": 0}).Reload()
    tags = events.Tags()
    assert {"train/loss", "train/acc", "val/loss", "val/acc", "train/lr", "train_steps/loss"} <= set(tags["scalars"])
    assert not [t for t in tags["scalars"] if t.startswith("hparam/")]  # hyper-parameters only in the HParams tab
    assert {"train/batch", "val/confusion_matrix"} <= set(tags["images"])
    lr = events.Scalars("train/lr")[0].value
    assert lr == pytest.approx(0.02)
    assert any(t.startswith("weights/") for t in tags["histograms"])
    assert tags["graph"] is True
    assert [e.step for e in events.Scalars("val/acc")] == [1, 2]


def test_a_second_run_never_overwrites_the_first(tmp_path):
    first = zoo.Trainer(tiny_spec(tmp_path, epochs=1, tensorboard=False)).fit()
    second = zoo.Trainer(tiny_spec(tmp_path, epochs=1, tensorboard=False)).fit()
    assert first["out_dir"] != second["out_dir"] and second["out_dir"].endswith("run_1")


def test_evaluate_and_predict(tmp_path):
    trainer = zoo.Trainer(tiny_spec(tmp_path, epochs=1, tensorboard=False))
    trainer.fit()
    metrics = trainer.evaluate("val")
    assert set(metrics) == {"val_loss", "val_acc", "val_top5"} and 0 <= metrics["val_acc"] <= 1
    assert metrics["val_acc"] == trainer.history[-1]["val_acc"]
    from zoo.data.shapes import Shapes

    images = [Shapes(4, split="test")[i][0] for i in range(4)]
    results = trainer.predict(images, topk=3)
    assert len(results) == 4 and all(r["label"] in trainer.classes and len(r["topk"]) == 3 for r in results)
    with pytest.raises(zoo.ZooError, match=r"data\.test is not set"):
        trainer.evaluate("test")


def test_early_stopping_stops_and_counts(tmp_path):
    spec = tiny_spec(tmp_path, epochs=6, tensorboard=False, early_stop={"patience": 1, "min_delta": 1.0})
    trainer = zoo.Trainer(spec)
    trainer.fit()
    assert len(trainer.history) == 2  # no epoch can gain a whole 1.0 of accuracy: stop after one bad epoch
    saved = json.loads((trainer.out_dir / "last" / "trainer_state.json").read_text())
    assert saved["callbacks"]["EarlyStopping"] == {"best": trainer.history[0]["val_acc"], "bad_epochs": 1}


def test_gradient_accumulation_matches_a_bigger_batch(tmp_path):
    """4 batches of 16 accumulated == 1 batch of 64 (no BN, mean loss): the weights agree."""
    data = {"train": {"name": "shapes", "size": 64}, "batch_size": 64, "shuffle": False}
    base = {"model": {"name": "cifar10_quick"}, "optimizer": {"name": "sgd", "lr": 0.1}}
    trainer = {"epochs": 1, "monitor": "train_loss", "tensorboard": False, "progress": False}
    big = zoo.Trainer(
        zoo.TrainSpec.from_dict({**base, "data": data, "trainer": {**trainer, "out_dir": str(tmp_path / "a")}})
    )
    big.fit()
    small = zoo.Trainer(
        zoo.TrainSpec.from_dict(
            {
                **base,
                "data": {**data, "batch_size": 16},
                "trainer": {**trainer, "accumulate": 4, "out_dir": str(tmp_path / "b")},
            }
        )
    )
    small.fit()
    for a, b in zip(big.model.parameters(), small.model.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-5)
    assert json.loads((tmp_path / "b" / "last" / "trainer_state.json").read_text())["step"] == 1  # one update


def test_gradient_clipping_bounds_the_update(tmp_path):
    """One plain-SGD step at lr 1.0 moves the weights by the gradient's norm: 1e-3 with clipping, more without."""

    def moved(clip, out):
        spec = zoo.TrainSpec.from_dict(
            {
                "model": {"name": "cifar10_quick"},
                "data": {"train": {"name": "shapes", "size": 16}, "batch_size": 16},
                "optimizer": {"name": "sgd", "lr": 1.0},
                "trainer": {"epochs": 1, "grad_clip": clip, "out_dir": str(tmp_path / out), "tensorboard": False},
            }
        )
        trainer = zoo.Trainer(spec).setup()
        before = [p.detach().clone() for p in trainer.model.parameters()]
        trainer.fit()
        after = trainer.model.parameters()
        return torch.sqrt(sum(((p - b) ** 2).sum() for p, b in zip(after, before, strict=True))).item()

    assert moved(1e-3, "clipped") == pytest.approx(1e-3, rel=1e-3)
    assert moved(None, "free") > 1e-2


def test_mse_loss_gets_one_hot_targets(tmp_path):
    spec = zoo.TrainSpec.from_dict(
        {
            "model": {"name": "cifar10_quick"},
            "data": {"train": {"name": "shapes", "size": 64}, "batch_size": 32},
            "loss": {"name": "mse"},
            "scheduler": {"name": "warmup_cosine", "warmup_epochs": 0.5},
            "trainer": {"epochs": 1, "monitor": "train_loss", "out_dir": str(tmp_path / "r"), "tensorboard": False},
        }
    )
    trainer = zoo.Trainer(spec).setup()
    x, y = next(iter(trainer.loaders["train"]))
    logits, loss, _ = trainer.forward_loss((x, y))
    one_hot = torch.nn.functional.one_hot(y, 10).float()
    assert loss.item() == pytest.approx(torch.nn.functional.mse_loss(logits, one_hot).item())  # targets one-hot
    history = trainer.fit()["history"]
    assert 0 < history[0]["train_loss"] < torch.nn.functional.mse_loss(logits, one_hot).item() * 10


def onecycle_lrs():
    """torch's own OneCycleLR over 3 epochs of 4 steps, read at each epoch's end (the reference)."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.001)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.001, epochs=3, steps_per_epoch=4)
    lrs = []
    for _ in range(3):
        for _ in range(4):
            optimizer.step()
            schedule.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


# the lr of each of 3 epochs (4 steps each), as the history records it: the lr used during an epoch for per-epoch
# schedules, the lr after the epoch's last step for per-step ones
@pytest.mark.parametrize(
    ("scheduler", "optimizer", "lrs"),
    [
        ({"name": "cosine"}, {"name": "sgd"}, [0.01, 0.0075, 0.0025]),  # 0.01 × (1 + cos(πk/3)) / 2
        ({"name": "step", "step_size": 1, "gamma": 0.5}, {"name": "adamw"}, [0.01, 0.005, 0.0025]),
        ({"name": "multistep", "milestones": [1]}, {"name": "adagrad"}, [0.01, 0.001, 0.001]),
        ({"name": "onecycle"}, {"name": "rmsprop", "lr": 0.001}, onecycle_lrs()),
        # 4 warmup steps to the peak, then a cosine over the 8 others: peak, half-way, end
        ({"name": "warmup_cosine", "warmup_epochs": 1}, {"name": "NAdam", "lr": 0.001}, [0.001, 0.0005, 0.0]),
        # "max" on a falling train loss: epoch 2 is no better than epoch 1, so the lr halves for epoch 3
        (
            {"name": "plateau", "patience": 0, "factor": 0.5, "mode": "max"},
            {"name": "adam", "lr": 0.001},
            [0.001, 0.001, 0.0005],
        ),
    ],
    ids=lambda v: v["name"] if isinstance(v, dict) else "",
)
def test_every_scheduler_and_optimizer_name_trains(tmp_path, scheduler, optimizer, lrs):
    spec = zoo.TrainSpec.from_dict(
        {
            "model": {"name": "cifar10_quick"},
            "data": {"train": {"name": "shapes", "size": 64, "cache": True}, "batch_size": 16},
            "optimizer": optimizer,
            "scheduler": scheduler,
            "trainer": {"epochs": 3, "monitor": "train_loss", "out_dir": str(tmp_path), "tensorboard": False},
        }
    )
    trainer = zoo.Trainer(spec)
    history = trainer.fit()["history"]
    assert type(trainer.optimizer).__name__.lower() == optimizer["name"].lower()
    assert [h["lr"] for h in history] == pytest.approx(lrs, abs=1e-9)
    assert all(torch.isfinite(torch.tensor(h["train_loss"])) for h in history)  # every optimizer steps


def test_progress_bars_on_request(tmp_path, zoo_cli):
    result = zoo_cli(
        "train", "--set", "trainer.progress=true", "--set", "trainer.epochs=1", "--set", "data.train.size=64",
        "--set", "data.val.size=32", "--set", f"trainer.out_dir={tmp_path / 'r'}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert ("epochs: 100%" in result.stderr and "step/s" in result.stderr) or "s/step" in result.stderr


def test_finetune_preset_sets_the_fine_tuning_controls(tmp_path, zoo_cli):
    result = zoo_cli(
        "train", "--finetune", "--set", "trainer.epochs=2", "--set", "data.train.size=64",
        "--set", "data.val.size=32", "--set", f"trainer.out_dir={tmp_path / 'r'}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    spec = zoo.TrainSpec.from_yaml(str(tmp_path / "r" / "spec.yaml"))
    t = spec.trainer
    assert (t.freeze, t.unfreeze_at_epoch, t.head_lr_mult, t.no_decay_norm_bias) == ("backbone", 2, 10, True)
    assert "epoch 2: unfreezing" in result.stderr
