"""Fine-tuning controls, mixed precision, device-resident data, lr-find, compile and DDP."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import zoo

SHAPES = {"name": "shapes", "size": 128, "cache": True}


def spec(tmp_path, model="cifar10_quick_bn", data=None, optimizer=None, **trainer):
    return zoo.TrainSpec.from_dict(
        {
            "model": {"name": model},
            "data": data or {"train": SHAPES, "batch_size": 32},
            "optimizer": optimizer or {"name": "sgd", "lr": 0.05, "momentum": 0.9},
            "trainer": {
                "epochs": 1,
                "monitor": "train_loss",
                "out_dir": str(tmp_path / "run"),
                "tensorboard": False,
                "progress": False,
                **trainer,
            },
        }
    )


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_freeze_backbone_keeps_it_bit_identical_and_trains_the_head(tmp_path):
    trainer = zoo.Trainer(spec(tmp_path, freeze="backbone")).setup()
    before = snapshot(trainer.model)
    trainer.fit()
    after = snapshot(trainer.model)
    head = trainer.head
    assert head == "model1.15"
    for key in before:
        if key.startswith(head + "."):
            assert not torch.equal(before[key], after[key]), key
        else:  # weights and BatchNorm running statistics alike
            assert torch.equal(before[key], after[key]), key


def test_train_bn_lets_frozen_batchnorm_update_its_statistics(tmp_path):
    trainer = zoo.Trainer(spec(tmp_path, freeze="backbone", train_bn=True)).setup()
    before = snapshot(trainer.model)
    trainer.fit()
    assert torch.equal(before["model1.0.weight"], trainer.model.state_dict()["model1.0.weight"])
    assert not torch.equal(before["model1.1.running_mean"], trainer.model.state_dict()["model1.1.running_mean"])


def test_unfreeze_at_epoch_trains_the_backbone_from_then_on(tmp_path):
    class Watch(zoo.Callback):
        def __init__(self):
            self.conv = []

        def on_epoch_end(self, trainer, metrics):
            self.conv.append(trainer.model.model1[0].weight.detach().clone())

    watch = Watch()
    trainer = zoo.Trainer(spec(tmp_path, epochs=2, freeze="backbone", unfreeze_at_epoch=2), callbacks=[watch])
    start = trainer.setup().model.model1[0].weight.detach().clone()
    trainer.fit()
    assert torch.equal(watch.conv[0], start)
    assert not torch.equal(watch.conv[1], start)


def test_freeze_a_list_of_paths_and_bad_paths(tmp_path):
    trainer = zoo.Trainer(spec(tmp_path, model="cifar10_quick", freeze=["model1.0", "model1.2"]))
    trainer.setup()
    before = snapshot(trainer.model)
    trainer.fit()
    after = snapshot(trainer.model)
    frozen = {k for k in before if k.startswith(("model1.0.", "model1.2."))}
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)  # the listed modules never moved
    assert all(not torch.equal(before[k], after[k]) for k in before if k not in frozen)  # everything else trained
    with pytest.raises(zoo.ZooError, match="the model has no module 'featurs'; did you mean features"):
        zoo.Trainer(spec(tmp_path, model="vgg11", freeze=["featurs"])).setup()


def test_head_lr_mult_makes_two_param_groups_with_the_right_lrs(tmp_path):
    trainer = zoo.Trainer(spec(tmp_path, model="cifar10_quick", head_lr_mult=10)).setup()
    groups = {g["name"]: g["lr"] for g in trainer.optimizer.param_groups}
    assert groups == {"backbone": 0.05, "head": pytest.approx(0.5)}
    head_params = {id(p) for p in trainer.model.get_classifier().parameters()}
    head_group = next(g for g in trainer.optimizer.param_groups if g["name"] == "head")
    assert {id(p) for p in head_group["params"]} == head_params
    trainer = zoo.Trainer(spec(tmp_path, backbone_lr=0.001, no_decay_norm_bias=True)).setup()
    groups = {g["name"]: (g["lr"], g["weight_decay"]) for g in trainer.optimizer.param_groups}
    assert groups["backbone"][0] == 0.001 and groups["backbone_no_decay"] == (0.001, 0.0)


def _folder(root, classes, per_class, seed):
    """An image folder of a few shape classes, drawn with another seed than the pretraining data."""
    from zoo.data.shapes import CLASSES, draw_shape

    rng = np.random.default_rng(seed)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            draw_shape(name, rng, 32).save(root / name / f"{i}.png")
    assert CLASSES


def test_fine_tuning_a_pretrained_bundle_beats_training_from_scratch(tmp_path):
    pretrain = spec(
        tmp_path / "pre",
        model="cifar10_quick_bn",
        data={"train": {**SHAPES, "size": 2000}, "batch_size": 64},
        optimizer={"name": "adam", "lr": 0.003},
        epochs=3,
    )
    trainer = zoo.Trainer(pretrain)
    trainer.fit()
    zoo.save(trainer.model, tmp_path / "pretrained", classes=trainer.classes)

    classes = ["star", "crescent", "plus", "ring"]
    _folder(tmp_path / "train", classes, 6, seed=1)
    _folder(tmp_path / "val", classes, 25, seed=2)
    transforms = [
        {"name": "ToTensor"},
        {"name": "Normalize", "mean": [0.4914, 0.4822, 0.4465], "std": [0.247, 0.2435, 0.2616]},
    ]
    data = {
        "train": {"name": "image_folder", "root": str(tmp_path / "train"), "transforms": transforms},
        "val": {"name": "image_folder", "root": str(tmp_path / "val"), "transforms": transforms},
        "batch_size": 8,
    }
    results = {}
    for name, weights in (("scratch", None), ("finetuned", str(tmp_path / "pretrained"))):
        s = zoo.TrainSpec.from_dict(
            {
                "model": {"name": "cifar10_quick_bn", "weights": weights},
                "data": data,
                "optimizer": {"name": "adam", "lr": 0.001},
                "trainer": {"epochs": 4, "out_dir": str(tmp_path / name), "tensorboard": False},
            }
        )
        t = zoo.Trainer(s)
        results[name] = t.fit()["best"]["value"]
        if weights:
            assert t.model.zoo_load_report.skipped  # the 10-class head was replaced by a 4-class one
    assert results["finetuned"] > results["scratch"] + 0.1, results


def test_bf16_autocast_on_cpu_lowers_the_loss(tmp_path):
    class Losses(zoo.Callback):
        def __init__(self):
            self.values = []

        def on_batch_end(self, trainer, loss):
            assert loss.dtype == torch.float32 or loss.dtype == torch.bfloat16
            self.values.append(float(loss.detach()))

    losses = Losses()
    s = spec(tmp_path, model="cifar10_quick_bn", amp="bf16", optimizer={"name": "adam", "lr": 0.003}, epochs=2)
    zoo.Trainer(s, callbacks=[losses]).fit()
    first, last = np.mean(losses.values[:3]), np.mean(losses.values[-3:])
    assert last < first - 0.1, (first, last)


def test_fp16_uses_a_grad_scaler_and_trains(tmp_path):
    trainer = zoo.Trainer(spec(tmp_path, amp="fp16", grad_clip=5.0))
    history = trainer.fit()["history"]
    assert trainer.scaler is not None and trainer.scaler.get_scale() > 0
    assert np.isfinite(history[0]["train_loss"])
    info = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert info["state"]["scaler"] is not None


def test_data_on_device_and_channels_last_give_the_same_training(tmp_path):
    """Same batches in the same order as the DataLoader; channels_last only changes conv rounding."""
    data = {"train": {**SHAPES, "transforms": "cifar10_eval"}, "batch_size": 32}
    runs = {}
    variants = {
        "loader": {},
        "device": {"data_on_device": True},
        "both": {"data_on_device": True, "channels_last": True},
    }
    for name, extra in variants.items():
        t = zoo.Trainer(spec(tmp_path / name, model="cifar10_quick", data=data, epochs=2, **extra))
        t.fit()
        runs[name] = t.model.state_dict()
    for key, value in runs["loader"].items():
        assert torch.allclose(value, runs["device"][key], atol=1e-6), key
        assert torch.allclose(value, runs["both"][key], atol=1e-2), key
        assert not torch.equal(value, zoo.build("cifar10_quick").state_dict()[key])


def test_lr_find_prints_a_table_writes_a_plot_and_leaves_the_model(tmp_path, zoo_cli):
    from zoo.training.lr_find import lr_find

    trainer = zoo.Trainer(spec(tmp_path, model="cifar10_quick")).setup()
    before = snapshot(trainer.model)
    result = lr_find(trainer, steps=30, end=1.0)
    assert len(result.lrs) >= 10 and result.lrs == sorted(result.lrs)
    assert result.lrs[0] < result.suggestion < result.lrs[-1]
    assert all(torch.equal(v, trainer.model.state_dict()[k]) for k, v in before.items())
    plot = tmp_path / "lr.png"
    run = zoo_cli("lr-find", "--set", "data.train.size=256", "--steps", "20", "--plot", str(plot))
    assert run.returncode == 0, run.stderr
    assert "suggested lr:" in run.stdout and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_compile_trains_and_saves_a_plain_bundle(tmp_path):
    trainer = zoo.Trainer(spec(tmp_path, model="cifar10_quick", compile=True))
    trainer.fit()
    assert type(trainer.model).__name__ == "OptimizedModule"
    bundle = zoo.load(tmp_path / "run" / "last")
    assert type(bundle).__name__ == "Cifar10Quick"
    assert all(not k.startswith("_orig_mod") for k in bundle.state_dict())


DDP_SPEC = """
model: {{name: cifar10_quick_bn}}
data:
  train: {{name: shapes, size: 2048, cache: true}}
  val: {{name: shapes, size: 256, split: val, cache: true}}
  test: {{name: shapes, size: 256, split: test, cache: true}}
  batch_size: {batch}
optimizer: {{name: adam, lr: 0.003}}
trainer: {{epochs: 5, out_dir: {out}, progress: false}}
"""


@pytest.mark.slow  # three torchrun/zoo processes (~40 s); CI runs it in its slow pass
def test_ddp_with_two_cpu_processes_matches_one_process(tmp_path, zoo_cli):
    torchrun = shutil.which("torchrun") or [sys.executable, "-m", "torch.distributed.run"]
    single, double = tmp_path / "single.yaml", tmp_path / "ddp.yaml"
    single.write_text(DDP_SPEC.format(batch=32, out=tmp_path / "one"))
    double.write_text(DDP_SPEC.format(batch=16, out=tmp_path / "two"))  # 2 × 16 = the same global batch
    assert zoo_cli("train", str(single)).returncode == 0
    command = [torchrun] if isinstance(torchrun, str) else torchrun
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [*command, "--standalone", "--nproc_per_node", "2", "-m", "zoo", "train", str(double)],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["one", "two"]  # one run folder
    metrics = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and [h["epoch"] for h in metrics["history"]] == [1, 2, 3, 4, 5]
    accuracy = {}
    for run in ("one", "two"):
        evaluated = zoo_cli("eval", str(tmp_path / run / "best"), "--data", str(single), "--json")
        accuracy[run] = json.loads(evaluated.stdout)["eval_acc"]
    assert accuracy["one"] > 0.6 and abs(accuracy["one"] - accuracy["two"]) < 0.1, accuracy
