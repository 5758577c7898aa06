"""`zoo train / predict / eval` as a user runs them, in fresh processes."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from safetensors.torch import load_file

import zoo


@pytest.mark.slow  # the README's first command, 8 full epochs (~45 s); CI runs it in its slow pass
def test_zoo_train_with_no_arguments_learns_shapes(tmp_path, zoo_cli):
    result = zoo_cli("train", cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "training cifar10_quick on cpu" in result.stderr
    assert "bundle: runs/quick/best" in result.stderr and "tensorboard --logdir runs/quick/tb" in result.stderr
    best = tmp_path / "runs" / "quick" / "best"
    model = zoo.load(best)
    assert model.zoo_config["metrics"]["val_acc"] >= 0.9
    evaluated = zoo_cli("eval", str(best), "--data", str(tmp_path / "runs/quick/spec.yaml"), "--json")
    assert json.loads(evaluated.stdout)["eval_acc"] >= 0.9


def _image_folder(root, n=12):
    """Two classes a small net can tell apart: bright disks vs dark squares, with noise."""
    rng = np.random.default_rng(0)
    for cls in ("circles", "squares"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            img = Image.fromarray(rng.integers(0, 60, (40, 40, 3), dtype=np.uint8))
            draw = ImageDraw.Draw(img)
            x, y = rng.integers(4, 16, 2)
            if cls == "circles":
                draw.ellipse([x, y, x + 20, y + 20], fill=(250, 250, 80))
            else:
                draw.rectangle([x, y, x + 20, y + 20], fill=(40, 120, 250))
            img.save(root / cls / f"{cls}{i}.png")


def test_train_on_an_image_folder_then_predict_names_its_classes(tmp_path, zoo_cli):
    _image_folder(tmp_path / "pics")
    transforms = "[{name: Resize, size: [32, 32]}, {name: ToTensor}]"
    spec = tmp_path / "folder.yaml"
    spec.write_text(
        textwrap.dedent(
            f"""
            model: {{name: cifar10_quick}}
            data:
              train: {{name: image_folder, root: {tmp_path / "pics"}, transforms: {transforms}}}
              val: {{name: image_folder, root: {tmp_path / "pics"}, transforms: {transforms}}}
              batch_size: 8
            optimizer: {{name: adam, lr: 0.003}}
            trainer: {{epochs: 6, out_dir: {tmp_path / "run"}}}
            """
        )
    )
    result = zoo_cli("train", str(spec))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["best"]["value"] >= 0.8  # chance is 0.5
    images = [str(tmp_path / "pics" / c / f"{c}{i}.png") for c in ("circles", "squares") for i in (0, 1)]
    predicted = zoo_cli("predict", str(tmp_path / "run" / "best"), *images, "--json")
    assert predicted.returncode == 0, predicted.stderr
    rows = json.loads(predicted.stdout)
    assert [r["path"] for r in rows] == images
    assert {r["label"] for r in rows} <= {"circles", "squares"}
    assert sum(r["label"] == r["path"].split("/")[-2] for r in rows) >= 3
    plain = zoo_cli("predict", str(tmp_path / "run" / "best"), images[0])
    assert plain.stdout.startswith(f"{images[0]}, ")


RESUME_SPEC = """
model: {{name: cifar10_quick}}
data:
  train: {{name: shapes, size: 384, cache: true, transforms: cifar10_train}}
  val: {{name: shapes, size: 64, split: val, cache: true, transforms: cifar10_eval}}
  batch_size: 32
optimizer: {{name: sgd, lr: 0.02, momentum: 0.9}}
scheduler: {{name: warmup_cosine, warmup_epochs: 0.5}}
trainer: {{epochs: 3, seed: 5, out_dir: {out}, progress: false}}
"""

KILLER = """
import os, signal, sys
import zoo
from zoo.training import Callback
import zoo.training.state as state

mode, spec_path = sys.argv[1], sys.argv[2]

class KillInEpoch2(Callback):
    def on_batch_end(self, trainer, loss):
        if trainer.epoch == 1 and trainer.state["step"] == 17:
            os.kill(os.getpid(), signal.SIGKILL)

if mode == "checkpoint":  # die inside the epoch-2 checkpoint, after the tensors, before the json
    original = state.write_json
    def dying_write_json(path, data):
        if data.get("epoch") == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(path, data)
    state.write_json = dying_write_json
callbacks = [KillInEpoch2()] if mode == "batch" else []
zoo.Trainer(zoo.TrainSpec.from_yaml(spec_path), callbacks=callbacks).fit()
"""


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    root = tmp_path_factory.mktemp("ref")
    spec = root / "spec.yaml"
    spec.write_text(RESUME_SPEC.format(out=root / "run"))
    zoo.Trainer(zoo.TrainSpec.from_yaml(str(spec))).fit()
    return load_file(str(root / "run" / "last" / "model.safetensors"))


@pytest.mark.parametrize("mode", ["batch", "checkpoint"])
def test_kill_9_then_resume_matches_the_uninterrupted_run(tmp_path, zoo_cli, uninterrupted, mode):
    run = tmp_path / "run"
    spec = tmp_path / "spec.yaml"
    spec.write_text(RESUME_SPEC.format(out=run))
    killed = subprocess.run([sys.executable, "-c", KILLER, mode, str(spec)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    state = json.loads((run / "last" / "trainer_state.json").read_text())
    assert state["epoch"] == 1  # the last complete epoch survived, the cut one did not
    result = zoo_cli("train", "--resume", str(run))
    assert result.returncode == 0, result.stderr
    assert "resuming" in result.stderr
    resumed = load_file(str(run / "last" / "model.safetensors"))
    for key, value in uninterrupted.items():
        assert torch.equal(resumed[key], value), key
    history = json.loads((run / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.name=vgg61"], "error: model.name: unknown model 'vgg61'; did you mean"),
        (
            ["data.train.name=imagefolder"],
            "data.train: unknown dataset 'imagefolder'; did you mean image_folder",
        ),
        (["data.train.transforms.0.name=ToTensr"], "unknown transform 'ToTensr'; did you mean ToTensor"),
        (["optimizer.name=sgdd"], "error: optimizer: unknown optimizer 'sgdd'; did you mean sgd?"),
        (["loss.name=crossentropy"], "error: loss: unknown loss 'crossentropy'"),
        (["trainer.device=tpu9"], "error: trainer.device: unknown device 'tpu9'"),
        (["trainer.device=cuda"], "error: trainer.device: device 'cuda' was asked for but this machine has no CUDA"),
        (
            ["trainer.epoch=3"],
            "override key 'trainer.epoch' is not in the spec (did you mean 'trainer.epochs'?)",
        ),
        (["trainer.epochs=many"], "error: trainer.epochs: Input should be a valid integer"),
        (["data.batch_size=-2"], "error: data.batch_size: Input should be greater than 0"),
        (["data.train={name: image_folder, root: /nonexistent/pics}"], "data folder '/nonexistent/pics' does not"),
    ],
)
def test_bad_input_through_zoo_train_is_one_line(tmp_path, zoo_cli, overrides, message):
    args = ["train", "--set", "trainer.epochs=1"]
    for item in overrides:
        args += ["--set", item]
    result = zoo_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert message.removeprefix("error: ") in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.rglob("config.json"))  # no finished-looking bundle


def test_bad_spec_files_through_zoo_train(tmp_path, zoo_cli):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("model: {name: cifar10_quick\ndata: [\n")
    result = zoo_cli("train", str(bad_yaml))
    assert result.returncode == 2 and "YAML syntax error at line" in result.stderr
    (tmp_path / "pics" / "ants").mkdir(parents=True)
    (tmp_path / "pics" / "ants" / "a.png").write_bytes(b"not a png")
    spec = tmp_path / "corrupt.yaml"
    spec.write_text(
        f"model: {{name: cifar10_quick}}\ndata: {{train: {{name: image_folder, root: {tmp_path / 'pics'}}}}}\n"
        f"trainer: {{epochs: 1, monitor: train_loss, out_dir: {tmp_path / 'run'}}}\n"
    )
    result = zoo_cli("train", str(spec))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: image '")
    assert "a.png' cannot be decoded" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "best").exists()
    assert "Traceback" in zoo_cli("train", "--debug", str(spec)).stderr


def test_label_errors_through_zoo_train(tmp_path, zoo_cli):
    (tmp_path / "named").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "named" / "cat_1.png")
    (tmp_path / "pairs" / "ants_image").mkdir(parents=True)
    (tmp_path / "pairs" / "ants_label").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "pairs" / "ants_image" / "a.png")
    (tmp_path / "pairs" / "ants_label" / "a.txt").write_text("wasps")
    cases = {
        f"{{name: label_in_name, root: {tmp_path / 'named'}, pattern: '(\\d+)'}}": "has no (?P<label>...) group",
        f"{{name: label_files, root: {tmp_path / 'pairs'}, classes: [ants, bees]}}": "has label 'wasps', which is not",
    }
    for train, message in cases.items():
        result = zoo_cli("train", "--set", f"data.train={train}", "--set", "trainer.monitor=train_loss",
                         "--set", "data.val=null", "--set", f"trainer.out_dir={tmp_path / 'run'}")  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ") and message in result.stderr
        assert "Traceback" not in result.stderr


def test_resume_can_lengthen_a_run_with_a_per_step_schedule(tmp_path, zoo_cli):
    """onecycle plans its steps over trainer.epochs; resuming with more epochs re-plans it instead of failing."""
    base = ["--set", "data.train.size=128", "--set", "data.val.size=32", "--set", f"trainer.out_dir={tmp_path / 'r'}"]
    assert zoo_cli("train", *base, "--set", "trainer.epochs=1").returncode == 0
    result = zoo_cli("train", "--resume", str(tmp_path / "r"), "--set", "trainer.epochs=2")
    assert result.returncode == 0, result.stderr
    assert "the lr schedule is re-planned" in result.stderr
    history = json.loads((tmp_path / "r" / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2]
