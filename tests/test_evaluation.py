"""Evaluation people can look at: per-class metrics and a confusion matrix that match hand counts, the run's own
loss, report figures, cards with results, prediction over folders, and progress bars that never garble."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import yaml
from conftest import ROOT
from PIL import Image
from torch import nn

import zoo
from zoo.evaluation import evaluate_loader


class ByColour(nn.Module):
    """Predicts from the mean red / green / blue: red → 'red', green → 'green', blue → 'green' (the confused pair)."""

    def __init__(self, num_classes: int = 3):
        super().__init__()
        self.fc = nn.Linear(3, num_classes)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[10.0, 0, 0], [0, 10.0, 10.0], [0, 0, 1.0]]))
            self.fc.bias.zero_()

    def forward(self, x):
        return self.fc(x.mean((2, 3)))


@pytest.fixture(scope="module")
def colour_folder(tmp_path_factory):
    """3 classes; every blue image is predicted green: a known, deliberately confused pair."""
    root = tmp_path_factory.mktemp("colours") / "pics"
    counts = {"blue": 3, "green": 4, "red": 5}
    colours = {"blue": (0, 0, 250), "green": (0, 250, 0), "red": (250, 0, 0)}
    for name, n in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (8, 8), colours[name]).save(root / name / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def colour_bundle(colour_folder, tmp_path_factory):
    zoo.register_model("by_colour", input_size=(3, 8, 8), num_classes=3, head="fc", override=True)(ByColour)
    folder = tmp_path_factory.mktemp("bundles") / "by_colour"
    card = {"transforms": [{"name": "ToTensor"}], "mean": [0, 0, 0], "std": [1, 1, 1]}
    zoo.save(zoo.build("by_colour"), folder, classes=["red", "green", "blue"], card=card)
    return folder


def test_confusion_matrix_and_per_class_metrics_match_hand_counts(colour_folder, colour_bundle, cli, tmp_path):
    code, out, err = cli("eval", colour_bundle, "--data", colour_folder, "--json", "--report", tmp_path / "report")
    assert code == 0, err
    result = json.loads(out)
    assert result["classes"] == ["red", "green", "blue"]  # the bundle's order; the folder sorts blue, green, red
    assert result["confusion_matrix"] == [[5, 0, 0], [0, 4, 0], [0, 3, 0]]  # every blue called green
    per_class = result["per_class"]
    assert per_class["blue"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 3}
    assert per_class["green"]["precision"] == pytest.approx(4 / 7) and per_class["green"]["recall"] == 1.0
    assert per_class["red"]["recall"] == 1.0 and result["samples"] == 12
    assert result["eval_acc"] == pytest.approx(9 / 12)
    assert result["averages"]["macro"]["recall"] == pytest.approx(2 / 3)
    for name, (w, h) in (("confusion_matrix.png", (300, 250)), ("mistakes.png", (300, 120))):
        image = Image.open(tmp_path / "report" / name)
        darkest, brightest = image.convert("L").getextrema()
        assert image.size[0] >= w and image.size[1] >= h and brightest - darkest > 100  # a picture, not a blank
    rows = (tmp_path / "report" / "per_class.csv").read_text().splitlines()
    assert rows[0] == "class,precision,recall,f1,support" and rows[3].startswith("blue,0.000000,0.000000")
    assert "![confusion matrix](confusion_matrix.png)" in (tmp_path / "report" / "report.md").read_text()
    code, out, _ = cli("eval", colour_bundle, "--data", colour_folder)
    assert code == 0 and "blue" in out and "macro avg" in out and "eval_acc   0.7500" in out


def test_update_card_writes_results_and_model_index(colour_folder, colour_bundle, cli, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(colour_bundle, bundle)
    code, _, err = cli("eval", bundle, "--data", colour_folder, "--update-card")
    assert code == 0, err
    card = (bundle / "README.md").read_text()
    front = yaml.safe_load(card.split("---")[1])
    metrics = front["model-index"][0]["results"][0]["metrics"]
    assert {"type": "accuracy", "value": 0.75} in metrics
    assert "| blue | 0.000 | 0.000 | 0.000 | 3 |" in card
    assert zoo.load(bundle).zoo_config["evaluation"]["eval_acc"] == 0.75  # the bundle still verifies


def test_eval_loss_is_the_runs_own_loss(tmp_path, cli):
    spec = {
        "model": {"name": "cifar10_quick"},
        "data": {"train": {"name": "shapes", "size": 64}, "val": {"name": "shapes", "size": 48, "split": "val"},
                 "batch_size": 16},
        "loss": {"name": "cross_entropy", "label_smoothing": 0.1},
        "trainer": {"epochs": 1, "out_dir": str(tmp_path / "run"), "progress": False, "tensorboard": False},
    }  # fmt: skip
    (tmp_path / "s.yaml").write_text(json.dumps(spec))
    result = zoo.Trainer(zoo.TrainSpec.from_dict(spec)).fit()
    val_loss = result["history"][-1]["val_loss"]
    code, out, err = cli("eval", tmp_path / "run" / "last", "--data", tmp_path / "s.yaml", "--json")
    assert code == 0, err
    assert json.loads(out)["eval_loss"] == pytest.approx(val_loss, abs=1e-5)


def test_evaluate_loader_agrees_with_its_own_matrix():
    torch.manual_seed(0)
    x, y = torch.randn(40, 3, 4, 4), torch.randint(0, 4, (40,))
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 4))
    result = evaluate_loader(model, [(x[:25], y[:25]), (x[25:], y[25:])], loss_fn=nn.functional.cross_entropy,
                             num_classes=4)  # fmt: skip
    matrix = np.array(result.confusion)
    predicted = model(x).argmax(1)
    assert matrix.sum() == 40 and np.trace(matrix) == int((predicted == y).sum())
    for k in range(4):
        assert result.recall[k] == pytest.approx(matrix[k, k] / max(matrix[k].sum(), 1))
        assert result.precision[k] == pytest.approx(matrix[k, k] / max(matrix[:, k].sum(), 1))
    assert result.loss == pytest.approx(nn.functional.cross_entropy(model(x), y).item(), abs=1e-6)
    assert all(m["true"] != m["predicted"] for m in result.mistakes)
    assert [m["score"] for m in result.mistakes] == sorted((m["score"] for m in result.mistakes), reverse=True)


def test_predict_takes_folders_and_globs_and_prints_csv(colour_folder, colour_bundle, cli):
    code, out, err = cli("predict", colour_bundle, colour_folder, "--csv", "--batch-size", "5")
    assert code == 0, err
    rows = out.strip().splitlines()
    assert rows[0] == "path,label,score" and len(rows) == 13
    code, out, _ = cli("predict", colour_bundle, str(colour_folder / "red" / "*.png"), "--json")
    assert code == 0 and {r["label"] for r in json.loads(out)} == {"red"}
    rows = zoo.predict(colour_bundle, [colour_folder / "blue"])
    assert [r["label"] for r in rows] == ["green"] * 3
    code, _, err = cli("predict", colour_bundle, str(colour_folder / "nothing*.png"))
    assert code == 2 and "no image matches" in err
    assert subprocess.run([sys.executable, "-m", "zoo", "--version"], capture_output=True, text=True,
                          cwd=ROOT).stdout.startswith("zoo ")  # fmt: skip


@pytest.mark.slow  # a real terminal and a 3-epoch run (~10 s): CI runs it in its slow pass
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by .ci/run")
def test_progress_bars_and_log_lines_never_garble_in_a_real_terminal(tmp_path):
    spec = {
        "model": {"name": "cifar10_quick"},
        "data": {"train": {"name": "shapes", "size": 96}, "val": {"name": "shapes", "size": 32, "split": "val"},
                 "batch_size": 16},
        "trainer": {"epochs": 3, "out_dir": str(tmp_path / "run"), "progress": True, "tensorboard": False},
    }  # fmt: skip
    (tmp_path / "s.yaml").write_text(json.dumps(spec))
    session = f"zoo-test-{time.monotonic_ns()}"
    done = tmp_path / "done"
    command = f"cd {ROOT} && {sys.executable} -m zoo train {tmp_path / 's.yaml'}; touch {done}; sleep 300"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command], check=True)
    try:
        deadline = time.monotonic() + 240
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert done.exists(), screen
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    summaries = [line for line in lines if "epoch " in line and "train_loss" in line]
    assert len(summaries) == 3, screen
    assert all(line.startswith("epoch ") for line in summaries), screen  # never glued to the end of a bar line
    assert not any("step/s" in line or "it/s" in line for line in lines if "epoch " in line and "/3:" in line)
    assert sum("epoch 1/3" in line for line in lines) == 1, screen


def test_the_bundle_records_the_statistics_it_normalised_with(tmp_path):
    steps = [{"name": "ToTensor"}, {"name": "Normalize", "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}]
    spec = zoo.TrainSpec.from_dict({
        "model": {"name": "cifar10_quick"},
        "data": {"train": {"name": "shapes", "size": 32, "transforms": steps},
                 "val": {"name": "shapes", "size": 16, "split": "val", "transforms": steps}, "batch_size": 16},
        "trainer": {"epochs": 1, "out_dir": str(tmp_path / "run"), "progress": False, "tensorboard": False},
    })  # fmt: skip
    zoo.Trainer(spec).fit()
    config = zoo.load(tmp_path / "run" / "best").zoo_config
    assert config["preprocess"]["mean"] == [0.5, 0.5, 0.5] and config["preprocess"]["std"] == [0.25, 0.25, 0.25]
    assert "mean [0.5, 0.5, 0.5]" in (tmp_path / "run" / "best" / "README.md").read_text()
