"""No run and no bundle is ever lost; every bad input is one line naming the cause (hardening, items 6–17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch
from conftest import ROOT, error_line
from PIL import Image

import zoo
from zoo.errors import SpecError
from zoo.prediction import predict_images


def _spec(tmp_path, *, data=None, trainer=None, model=None) -> dict:
    return {
        "model": {"name": "cifar10_quick", **(model or {})},
        "data": data
        or {
            "train": {"name": "shapes", "size": 64, "cache": True},
            "val": {"name": "shapes", "size": 32, "split": "val", "cache": True},
            "batch_size": 32,
        },
        "trainer": {"epochs": 1, "out_dir": str(tmp_path / "run"), "progress": False, "tensorboard": False}
        | (trainer or {}),
    }


def _write_spec(tmp_path, spec: dict, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(spec))  # JSON is YAML
    return path


# -- 6: the run folder is claimed atomically ----------------------------------------------------------------
@pytest.mark.slow  # two real training processes (~10 s): CI runs it in its slow pass
def test_two_runs_started_together_get_two_complete_folders(tmp_path):
    spec = _write_spec(tmp_path, _spec(tmp_path, trainer={"out_dir": str(tmp_path / "race")}))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen([sys.executable, "-m", "zoo", "train", str(spec)], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    folders = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("race"))
    assert folders == ["race", "race_1"]
    for name in folders:
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        assert len(metrics["history"]) == 1
        assert zoo.load(tmp_path / name / "best").zoo_config["spec"]["trainer"]["out_dir"] == str(tmp_path / "race")


# -- 7: resume recovers an interrupted swap of last/ -------------------------------------------------------
def test_resume_recovers_a_last_swap_cut_between_its_renames(tmp_path, cli):
    spec = _write_spec(tmp_path, _spec(tmp_path, trainer={"epochs": 1}))
    assert cli("train", spec)[0] == 0
    run = tmp_path / "run"
    os.replace(run / "last", run / ".last.old")  # the crash: old set aside, new not yet in place
    (run / ".last.x1.saving").mkdir()  # and a staging folder the killed save left behind
    code, _, err = cli("train", "--resume", run, "--set", "trainer.epochs=2")
    assert code == 0, err
    assert "resuming" in err and "after epoch 1" in err and "no finished epoch" not in err
    assert len(json.loads((run / "metrics.json").read_text())["history"]) == 2
    assert not list(run.glob(".last.*"))


# -- 8: an epoch without an optimizer step is an error ------------------------------------------------------
def test_an_epoch_with_no_optimizer_step_is_an_error(tmp_path, cli):
    data = {"train": {"name": "shapes", "size": 1}, "batch_size": 8, "drop_last": True}
    code, _, err = cli("train", _write_spec(tmp_path, _spec(tmp_path, data=data)))
    assert code == 2
    assert "data.train has 1 sample(s), fewer than one batch of 8 with drop_last" in error_line(err)
    assert not (tmp_path / "run" / "best").exists() and not (tmp_path / "run" / "last").exists()


# -- 10: write failures ---------------------------------------------------------------------------------------
def test_out_dir_under_a_regular_file_is_one_line(tmp_path, cli):
    (tmp_path / "file").write_text("x")
    spec = _write_spec(tmp_path, _spec(tmp_path, trainer={"out_dir": str(tmp_path / "file" / "run")}))
    code, _, err = cli("train", spec)
    assert code == 1
    assert f"cannot write '{tmp_path / 'file' / 'run'}': Not a directory" in error_line(err)


def test_a_cache_dir_that_is_a_file_is_one_line(tmp_path, cli, monkeypatch):
    (tmp_path / "cache").write_text("x")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    code, _, err = cli("predict", "http://127.0.0.1:9/b", str(tmp_path / "x.png"))
    assert code == 1 and str(tmp_path / "cache") in error_line(err)


def test_a_failed_save_keeps_the_old_bundle_and_leaves_no_temp_folder(tmp_path):
    model = zoo.build("cifar10_quick")
    target = zoo.save(model, tmp_path / "b")
    before = (target / "model.safetensors").read_bytes()

    def disk_full(folder):
        raise OSError(28, "No space left on device")

    with pytest.raises(zoo.ZooError, match=r"cannot write '.*/b': No space left on device"):
        zoo.save(zoo.build("cifar10_quick"), target, extra=disk_full)
    assert (target / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


# -- 11: num_classes against the data --------------------------------------------------------------------
@pytest.mark.parametrize("num_classes", [5, 20])
def test_num_classes_that_differs_from_the_data_is_named_before_training(tmp_path, cli, num_classes):
    spec = _write_spec(tmp_path, _spec(tmp_path, model={"num_classes": num_classes}))
    code, _, err = cli("train", spec)
    assert code == 2
    assert f"model.num_classes is {num_classes} but data.train has 10 classes" in error_line(err)
    assert not (tmp_path / "run" / "best").exists()


# -- 12: only data.train; data.val_split ---------------------------------------------------------------------
def test_a_spec_with_only_train_data_trains_and_monitors_train_loss(tmp_path, cli):
    data = {"train": {"name": "shapes", "size": 64}, "batch_size": 32}
    code, _, err = cli("train", _write_spec(tmp_path, _spec(tmp_path, data=data)))
    assert code == 0, err
    assert "no validation data: monitoring train_loss" in err
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["best"]["metric"] == "train_loss"
    explicit = _spec(tmp_path, data=data, trainer={"monitor": "val_acc"})
    with pytest.raises(SpecError, match=r"trainer\.monitor is 'val_acc' but there is no validation data"):
        zoo.TrainSpec.from_dict(explicit)


def test_val_split_carves_a_seeded_stratified_validation_set(tmp_path):
    data = {"train": {"name": "shapes", "size": 200}, "batch_size": 50, "val_split": 0.1}
    spec = zoo.TrainSpec.from_dict(_spec(tmp_path, data=data))
    assert spec.trainer.monitor == "val_acc"
    trainer = zoo.Trainer(spec).setup()
    train, val = trainer.datasets["train"], trainer.datasets["val"]
    assert (len(train), len(val)) == (180, 20)
    assert sorted(val.targets) == sorted(list(range(10)) * 2)  # two of each class: stratified
    assert not set(train.indices) & set(val.indices)
    again = zoo.Trainer(zoo.TrainSpec.from_dict(_spec(tmp_path, data=data))).setup()
    assert again.datasets["val"].indices == val.indices
    other_seed = zoo.TrainSpec.from_dict(_spec(tmp_path, data=data, trainer={"seed": 1}))
    assert zoo.Trainer(other_seed).setup().datasets["val"].indices != val.indices
    assert "val_acc" in trainer.evaluate("val")
    with pytest.raises(SpecError, match=r"data\.val and data\.val_split are both set"):
        zoo.TrainSpec.from_dict(_spec(tmp_path, data={**_spec(tmp_path)["data"], "val_split": 0.2}))


# -- 13: transforms, image sizes, channels, 16-bit images -----------------------------------------------------
def test_bad_transform_arguments_fail_when_the_spec_is_validated(tmp_path):
    data = {"train": {"name": "shapes", "size": 8, "transforms": [{"name": "Resize", "size": "big"}]}}
    with pytest.raises(SpecError, match=r"data.train: transforms\[0\] \(Resize\) rejects its arguments"):
        zoo.TrainSpec.from_dict(_spec(tmp_path, data=data))


def _folder(root, sizes, mode="RGB"):
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i, size in enumerate(sizes):
            Image.new(mode, (size, size), 128).save(root / cls / f"{i}.png")
    return root


def test_mixed_image_sizes_without_a_resize_say_what_to_add(tmp_path, cli):
    root = _folder(tmp_path / "pics", [32, 40])
    data = {"train": {"name": "image_folder", "root": str(root), "transforms": [{"name": "ToTensor"}]}, "batch_size": 4}
    code, _, err = cli("train", _write_spec(tmp_path, _spec(tmp_path, data=data)))
    assert code == 2
    line = error_line(err)
    assert "images of different sizes in one batch" in line and "add a Resize" in line


def test_mixed_sizes_are_one_line_with_workers_too(tmp_path, cli):
    root = _folder(tmp_path / "pics", [32, 40])
    data = {
        "train": {"name": "image_folder", "root": str(root), "transforms": [{"name": "ToTensor"}]},
        "batch_size": 4,
        "num_workers": 1,
    }
    code, _, err = cli("train", _write_spec(tmp_path, _spec(tmp_path, data=data)))
    assert code == 2 and "images of different sizes in one batch" in error_line(err)


def test_a_grayscale_dataset_into_a_colour_model_names_the_fix(tmp_path, cli):
    root = _folder(tmp_path / "gray", [32], mode="L")
    train = {"name": "image_folder", "root": str(root), "mode": "L", "transforms": [{"name": "ToTensor"}]}
    code, _, err = cli("train", _write_spec(tmp_path, _spec(tmp_path, data={"train": train, "batch_size": 2})))
    assert code == 2
    line = error_line(err)
    assert "have 1 channel(s) but model 'cifar10_quick' takes 3" in line and "{name: RGB}" in line


def test_16_bit_pngs_are_scaled_not_clipped(tmp_path):
    from zoo.data.images import read_image

    values = np.linspace(0, 65535, 64 * 64).astype(np.uint16).reshape(64, 64)
    Image.fromarray(values).save(tmp_path / "deep.png")
    pixels = np.asarray(read_image(tmp_path / "deep.png", "L"))
    assert pixels.min() == 0 and pixels.max() == 255
    assert (pixels == 255).mean() < 0.01  # clipping made 99.5 % of them 255
    assert abs(pixels.mean() - 127.5) < 1.5


# -- 14: resume with a changed model --------------------------------------------------------------------------
def test_resume_with_a_changed_head_names_the_difference(tmp_path, cli):
    spec = _write_spec(tmp_path, _spec(tmp_path))
    assert cli("train", spec)[0] == 0
    code, _, err = cli("train", "--resume", tmp_path / "run", "--set", "model.name=cifar10_quick_bn")
    assert code == 2
    assert "model.name was 'cifar10_quick', now 'cifar10_quick_bn'" in error_line(err)


# -- 15: the CLI ----------------------------------------------------------------------------------------------
def test_a_binary_spec_file_is_one_line(tmp_path, cli):
    (tmp_path / "bin.yaml").write_bytes(bytes(range(256)) * 4)
    code, _, err = cli("train", tmp_path / "bin.yaml")
    assert code == 2 and "bin.yaml" in error_line(err) and "not UTF-8 text" in err


def test_a_field_of_the_wrong_type_deep_inside_is_one_line(tmp_path, cli):
    root = _folder(tmp_path / "pics", [32])
    data = {"train": {"name": "image_folder", "root": str(root), "extensions": ["a", ["b"]]}}
    code, _, err = cli("train", "--check", _write_spec(tmp_path, _spec(tmp_path, data=data)))
    assert code == 2 and "data.train (image_folder)" in error_line(err)


@pytest.mark.parametrize(("args", "words"), [(["--topk", "0"], "--topk"), (["--topk", "x"], "'x' is not a whole")])
def test_bad_numbers_on_the_command_line(tmp_path, cli, args, words):
    code, _, err = cli("predict", tmp_path, "img.png", *args)
    assert code == 2 and words in error_line(err)
    code, _, err = cli("eval", tmp_path, "--data", tmp_path, "--batch-size", "0")
    assert code == 2 and "--batch-size: must be at least 1, got 0" in error_line(err)


def test_zoo_list_into_head_exits_quietly(tmp_path):
    result = subprocess.run(
        f"{sys.executable} -m zoo list 'torchvision/*' | head -1", shell=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
    )  # fmt: skip
    assert result.stdout.strip() == "torchvision/alexnet"
    assert result.stderr == ""


def test_zoo_list_with_no_match_says_so(cli):
    code, out, err = cli("list", "nothing-like-this*")
    assert code == 1 and out == "" and "no model name matches 'nothing-like-this*'" in err


def test_zoo_info_suggests_the_namespaced_names(cli):
    code, _, err = cli("info", "resnet18")
    assert code == 2
    assert "did you mean timm/resnet18, torchvision/resnet18?" in error_line(err)


def test_eval_with_a_missing_folder_says_folder(tmp_path, cli):
    zoo.save(zoo.build("cifar10_quick", num_classes=2), tmp_path / "b", classes=["a", "b"])
    code, _, err = cli("eval", tmp_path / "b", "--data", tmp_path / "nowhere")
    assert code == 2 and f"data folder '{tmp_path / 'nowhere'}' does not exist" in error_line(err)


def test_offline_torchvision_download_names_the_url(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    data = {"train": {"name": "cifar10", "root": str(tmp_path / "data"), "download": True}}
    code, _, err = cli("train", "--check", _write_spec(tmp_path, _spec(tmp_path, data=data)))
    assert code == 2
    line = error_line(err)
    assert "ZOO_OFFLINE=1 forbids downloading it from https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in line
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


class _Misbehaving(BaseHTTPRequestHandler):
    """A server that redirects to itself (``/loop``) or promises 1000 bytes and sends 10 (anything else)."""

    def do_GET(self):
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", self.path)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"{" * 10)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("path", "words"), [("loop", "too many redirects"), ("short", "the connection broke off (IncompleteRead)")]
)
def test_redirect_loops_and_truncated_downloads_are_one_line_runtime_failures(cli, path, words):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        code, _, err = cli("predict", f"http://127.0.0.1:{httpd.server_address[1]}/{path}/b", "x.png")
    finally:
        httpd.shutdown()
    assert code == 1 and words in error_line(err)


# -- 16: eval maps classes by name ------------------------------------------------------------------------
def test_eval_maps_a_folders_classes_by_name(tmp_path, cli):
    torch.manual_seed(0)
    model = zoo.build("cifar10_quick", num_classes=2)
    zoo.save(model, tmp_path / "b", classes=["zebra", "ant"])  # not alphabetical
    root = tmp_path / "pics"
    for cls in ("ant", "zebra"):
        (root / cls).mkdir(parents=True)
        Image.new("RGB", (32, 32), (200, 10, 10) if cls == "ant" else (10, 10, 200)).save(root / cls / "0.png")
    code, out, err = cli("eval", tmp_path / "b", "--data", root, "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["samples"] == 2
    predicted = predict_images(zoo.load(tmp_path / "b"), [root / "ant" / "0.png", root / "zebra" / "0.png"])
    correct = sum(p["label"] == c for p, c in zip(predicted, ["ant", "zebra"], strict=True))
    assert metrics["eval_acc"] == pytest.approx(correct / 2)  # counted by name, in the bundle's order
    zoo.save(model, tmp_path / "c", classes=["zebra", "bee"])
    code, _, err = cli("eval", tmp_path / "c", "--data", root)
    assert code == 2 and "the data has classes the bundle does not know: ant" in error_line(err)


# -- 17: zoo train --check ------------------------------------------------------------------------------------
def test_train_check_builds_everything_and_trains_nothing(tmp_path, cli):
    code, out, err = cli("train", "--check", _write_spec(tmp_path, _spec(tmp_path)))
    assert code == 0, err
    assert "spec OK" in out and "logits (32, 10)" in out and "145,578 parameters" in out
    assert not (tmp_path / "run").exists()


def test_train_check_finds_a_bad_optimizer_argument(tmp_path, cli):
    spec = _spec(tmp_path) | {"optimizer": {"name": "adam", "lr": 0.01, "betas": [0.9]}}
    code, _, err = cli("train", "--check", _write_spec(tmp_path, spec))
    assert code == 2 and "optimizer (adam)" in error_line(err)


def test_a_spec_from_text_runs_through_check(tmp_path, cli):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        textwrap.dedent(
            """
            model: {name: cifar10_quick}
            data: {train: {name: shapes, size: 32}, batch_size: 16}
            """
        )
    )
    code, out, err = cli("train", "--check", spec)
    assert code == 0 and "monitor" in out and "train_loss" in out, err
