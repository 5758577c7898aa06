"""Sharing both ways, with files the other libraries wrote themselves: timm folders into zoo, zoo bundles into timm,
and checkpoints of other trainers (Lightning, DDP, torch.compile, the course's own scripts)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import timm
import torch
from conftest import hf_cache_layout
from safetensors.torch import load_file
from torch import nn

import zoo
from zoo.errors import WeightsError

X = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
LABELS = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu"]


@pytest.fixture(scope="module")
def timm_folder(tmp_path_factory) -> tuple[Path, nn.Module]:
    """A 7-class resnet18 written by timm's own ``save_for_hf`` (what ``push_to_hf_hub`` uploads)."""
    torch.manual_seed(1)
    model = timm.create_model("resnet18", num_classes=7).eval()
    folder = tmp_path_factory.mktemp("timm-upload")
    timm.models.save_for_hf(model, str(folder), model_config={"label_names": LABELS}, safe_serialization=True)
    return folder, model


def test_a_timm_folder_loads_with_its_labels_and_equal_logits(timm_folder, tmp_path):
    folder, reference = timm_folder
    with torch.no_grad():
        expected = reference(X)
        loaded = zoo.load(folder)
        assert torch.equal(loaded(X), expected)
        assert loaded.zoo_config["classes"] == LABELS
        built = zoo.build("timm/resnet18", num_classes=7, weights=folder).eval()
        assert torch.equal(built(X), expected)
    assert zoo.save(loaded, tmp_path / "b") and zoo.load(tmp_path / "b").zoo_config["classes"] == LABELS


def test_timm_loads_a_zoo_bundle_from_a_folder_and_from_the_hub_layout(tmp_path, monkeypatch):
    import huggingface_hub.constants as constants

    torch.manual_seed(2)
    model = zoo.build("timm/resnet18", num_classes=3).eval()
    bundle = zoo.save(model, tmp_path / "bundle", classes=["a", "b", "c"])
    with torch.no_grad():
        expected = model(X)
        from_folder = timm.create_model(f"local-dir:{bundle}", pretrained=True).eval()
        assert torch.equal(from_folder(X), expected)
        assert from_folder.pretrained_cfg["label_names"] == ["a", "b", "c"]
        # what `zoo push` uploads is the bundle folder: laid out as the Hub's cache stores it, timm reads it offline
        cache = Path(os.environ["HF_HUB_CACHE"])
        hf_cache_layout(cache, "acme/quick-resnet", bundle)
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
        from_hub = timm.create_model("hf-hub:acme/quick-resnet", pretrained=True).eval()
        assert torch.equal(from_hub(X), expected)
        monkeypatch.setenv("ZOO_OFFLINE", "1")
        assert torch.equal(zoo.load("hf-hub:acme/quick-resnet")(X), expected)
    config = json.loads((bundle / "config.json").read_text())
    assert config["zoo_format"] == 1 and config["architecture"] == "resnet18" and config["num_classes"] == 3


def test_hf_hub_timm_repos_load_through_the_hf_cache(hf_cache):
    reference = timm.create_model("resnet18.a1_in1k", pretrained=True).eval()
    loaded = zoo.load("hf-hub:timm/resnet18.a1_in1k")
    with torch.no_grad():
        assert torch.equal(loaded(X), reference(X))


@pytest.mark.parametrize("name", ["timm/resnet18", "torchvision/resnet18"])
def test_plain_safetensors_loads_into_the_upstream_model(tmp_path, name):
    model = zoo.build(name, num_classes=4).eval()
    bundle = zoo.save(model, tmp_path / "b")
    upstream = (
        timm.create_model("resnet18", num_classes=4)
        if name.startswith("timm")
        else __import__("torchvision").models.resnet18(num_classes=4)
    ).eval()
    upstream.load_state_dict(load_file(bundle / "model.safetensors"), strict=True)
    with torch.no_grad():
        assert torch.equal(upstream(X), model(X))


# -- other trainers' checkpoints --------------------------------------------------------------------------------
def _quick_state():
    torch.manual_seed(4)
    return zoo.build("cifar10_quick").state_dict()


@pytest.mark.parametrize(
    ("wrap", "prefix"),
    [
        (lambda s: {"state_dict": {f"model.{k}": v for k, v in s.items()}, "epoch": 3}, "'model.' -> ''"),
        (lambda s: {f"module.{k}": v for k, v in s.items()}, "'module.' -> ''"),
        (lambda s: {f"_orig_mod.{k}": v for k, v in s.items()}, "'_orig_mod.' -> ''"),
        (lambda s: {"epoch": 1, "model_state_dict": s, "optimizer_state_dict": {}}, None),
        (lambda s: {"ema": s, "step": 7}, None),
    ],
)  # fmt: skip
def test_checkpoints_of_other_trainers_load_with_equal_weights(tmp_path, wrap, prefix):
    state = _quick_state()
    torch.save(wrap(state), tmp_path / "trained.ckpt")
    model = zoo.build("cifar10_quick", weights=tmp_path / "trained.ckpt")
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())
    report = model.zoo_load_report
    assert report.renamed == ([prefix] if prefix else [])
    if prefix:
        assert f"key prefixes mapped: {prefix}" in str(report)


class CourseNet(nn.Module):
    """The course's own model: the same layers as cifar10_quick, under ``self.model``."""

    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
        )  # fmt: skip

    def forward(self, x):
        return self.model(x)


def test_the_courses_state_dict_loads_into_cifar10_quick_even_without_a_suffix(tmp_path):
    torch.manual_seed(5)
    course = CourseNet().eval()
    torch.save(course.state_dict(), tmp_path / "model_save")  # the course's second way: no suffix
    model = zoo.build("cifar10_quick", weights=tmp_path / "model_save").eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), course(x))
    assert model.zoo_load_report.renamed == ["'model.' -> 'model1.'"]


@pytest.mark.parametrize("zip_format", [True, False])
def test_a_pickled_whole_model_is_refused_in_one_line(tmp_path, zip_format):
    torch.save(CourseNet(), tmp_path / "whole.pth", _use_new_zipfile_serialization=zip_format)  # torch.save(model)
    with pytest.raises(WeightsError) as err:
        zoo.build("cifar10_quick", weights=tmp_path / "whole.pth")
    message = str(err.value)
    kind = "model object" if zip_format else "object"  # a legacy file names only the class torch refused first
    assert f"holds a pickled {kind} (test_interop.CourseNet)" in message
    assert "torch.save(model.state_dict(), 'whole.pth')" in message
    assert "\n" not in message and "\x1b" not in message


class _Evil:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_never_runs_it(tmp_path):
    marker = tmp_path / "ran"
    torch.save({"weights": _Evil(str(marker))}, tmp_path / "evil.pth")
    with pytest.raises(WeightsError, match=r"holds a pickled object \((posix|os|nt)\.system\)"):
        zoo.build("cifar10_quick", weights=tmp_path / "evil.pth")
    assert not marker.exists()


def test_ambiguous_keys_are_an_error_showing_both_sides(tmp_path):
    state = _quick_state()
    torch.save({f"a.{k}": v for k, v in state.items()} | {f"b.{k}": v for k, v in state.items()}, tmp_path / "x.pt")
    with pytest.raises(WeightsError, match=r"missing model1\.0\.weight.*unexpected a\.model1\.0\.weight"):
        zoo.build("cifar10_quick", weights=tmp_path / "x.pt")


def test_zoo_convert_a_timm_folder_and_a_lightning_checkpoint(timm_folder, tmp_path, cli):
    folder, reference = timm_folder
    code, _, err = cli("convert", folder, tmp_path / "from-timm", "--model", "timm/resnet18", "--num-classes", "7")
    assert code == 0, err
    with torch.no_grad():
        assert torch.equal(zoo.load(tmp_path / "from-timm")(X), reference(X))
    state = _quick_state()
    torch.save({"state_dict": {f"model.{k}": v for k, v in state.items()}}, tmp_path / "l.ckpt")
    code, _, err = cli("convert", tmp_path / "l.ckpt", tmp_path / "from-lightning", "--model", "cifar10_quick")
    assert code == 0, err
    assert torch.equal(zoo.load(tmp_path / "from-lightning").model1[0].weight, state["model1.0.weight"])


def test_a_timm_folder_over_http_loads(timm_folder, tmp_path):
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    folder, reference = timm_folder

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        loaded = zoo.load(f"http://127.0.0.1:{httpd.server_address[1]}/{folder.name}")
    finally:
        httpd.shutdown()
    with torch.no_grad():
        assert torch.equal(loaded(X), reference(X))
    assert loaded.zoo_config["classes"] == LABELS


def test_a_folder_with_neither_config_says_what_it_lacks(tmp_path):
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "config.json").write_text('{"hidden_size": 3}')
    with pytest.raises(zoo.ZooError, match=r'neither a zoo bundle config \("zoo_format": 1\) nor a timm model config'):
        zoo.load(tmp_path / "odd")
