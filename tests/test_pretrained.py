"""Pretrained weights by tag, offline, from caches laid out as the real tools lay them out: a Hugging Face cache
holding files written by timm's own ``save_for_hf``, torch's hub cache, and a download server on 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import timm
import torch
from PIL import Image

import zoo
from zoo.errors import DownloadError, WeightsError, ZooError

X = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))


def test_timm_tags_load_from_the_hf_cache_with_timms_logits(hf_cache, resnet18_files):
    reference = timm.create_model("resnet18.a1_in1k", pretrained=True).eval()  # timm itself, offline
    with torch.no_grad():
        expected = reference(X)
        for model in (
            zoo.build("timm/resnet18.a1_in1k"),
            zoo.build("timm/resnet18", weights="a1_in1k"),
            zoo.build("timm/resnet18", weights="DEFAULT"),
        ):
            assert torch.equal(model.eval()(X), expected)
            assert model.zoo_load_report.source == "hf-hub:timm/resnet18.a1_in1k"
            assert model.zoo_config["classes"][:2] == ["tench", "goldfish"] and len(model.zoo_config["classes"]) == 1000
            assert model.zoo_config["preprocess"]["crop_pct"] == 0.95
        five = zoo.build("timm/resnet18.a1_in1k", num_classes=5).eval()
        assert torch.equal(five.forward_features(X), reference.forward_features(X))  # backbone loaded
        assert five(X).shape == (2, 5)
    assert five.zoo_load_report.skipped == ["fc.weight", "fc.bias"] and five.zoo_config["classes"] is None
    assert not any(p.is_meta for p in five.parameters())


def test_a_tag_with_nothing_cached_offline_is_an_error_never_random_weights(monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(DownloadError, match=r"ZOO_OFFLINE=1 and the weights of timm/resnet18\.a1_in1k .*models--timm"):
        zoo.build("timm/resnet18.a1_in1k")
    with pytest.raises(ZooError, match=r"resnet18-f37072fd\.pth"):
        zoo.build("torchvision/resnet18", weights="IMAGENET1K_V1")
    with pytest.raises(WeightsError, match="nearest tags: a1_in1k"):
        zoo.build("timm/resnet18", weights="a1_in1")


def test_a_tampered_hf_blob_is_refused(hf_cache):
    blob = next((hf_cache / "models--timm--resnet18.a1_in1k" / "blobs").glob("*"))
    size = blob.stat().st_size
    data = bytearray(blob.read_bytes())
    data[size // 2] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="does not match the hash it is stored under"):
        zoo.build("timm/resnet18.a1_in1k")


def test_predict_prints_an_imagenet_class_and_classes_survive_a_bundle(hf_cache, tmp_path, cli):
    Image.new("RGB", (80, 60), (90, 120, 30)).save(tmp_path / "img.png")
    code, out, err = cli("predict", "timm/resnet18.a1_in1k", tmp_path / "img.png", "--json")
    assert code == 0, err
    row = json.loads(out)[0]
    names = zoo.build("timm/resnet18.a1_in1k").zoo_config["classes"]
    assert row["label"] == names[row["index"]] and not row["label"].isdigit()
    model = zoo.build("timm/resnet18.a1_in1k")
    bundle = zoo.save(model, tmp_path / "b")
    loaded = zoo.load(bundle)
    assert loaded.zoo_config["classes"] == names
    assert loaded.zoo_config["preprocess"]["crop_pct"] == 0.95
    assert loaded.zoo_config["preprocess"]["interpolation"] == "bicubic"


def test_fine_tuning_from_a_tag_in_a_spec(hf_cache, tmp_path):
    spec = zoo.TrainSpec.from_dict(
        {
            "model": {"name": "timm/resnet18.a1_in1k"},
            "data": {"train": {"name": "shapes", "size": 20, "image_size": 40}, "batch_size": 10},
            "trainer": {"epochs": 1, "out_dir": str(tmp_path / "run"), "progress": False, "tensorboard": False},
        }
    )
    trainer = zoo.Trainer(spec).setup()
    assert trainer.model.fc.out_features == 10
    assert trainer.model.zoo_load_report.skipped == ["fc.weight", "fc.bias"]
    steps = [type(t).__name__ for t in trainer.datasets["train"].transform.transforms]
    assert "RandomResizedCrop" in steps and "RandomHorizontalFlip" in steps  # train augmentation
    assert trainer.datasets["train"][0][0].shape == (3, 224, 224)


# -- URL weights: torch's hub cache, then a download into ZOO_CACHE_DIR -----------------------------------------
@pytest.fixture
def url_weights(tmp_path):
    """A tiny model registered with one URL tag whose file name carries its sha256 prefix, as torchvision's do."""
    source = zoo.build("cifar10_quick")
    raw = tmp_path / "raw.pth"
    torch.save(source.state_dict(), raw)
    prefix = hashlib.sha256(raw.read_bytes()).hexdigest()[:8]
    www = tmp_path / "www"
    www.mkdir()
    name = f"quick-{prefix}.pth"
    shutil.copyfile(raw, www / name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/{name}"
    builder = zoo.registry.MODELS.get("cifar10_quick").obj
    zoo.register_model("quick_tagged", head="model1.8", input_size=(3, 32, 32), num_classes=10,
                       weights={"T1": {"url": url, "source": url}}, override=True)(builder)  # fmt: skip
    yield source, www / name, name
    httpd.shutdown()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_url_weights_reuse_torch_hub_cache_then_download_with_hash_check(url_weights, tmp_path, monkeypatch):
    source, served, name = url_weights
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    hub = tmp_path / "torch-home" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    shutil.copyfile(served, hub / name)
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    model = zoo.build("quick_tagged.T1")  # offline: the hub copy, verified
    assert torch.equal(model.model1[0].weight, source.model1[0].weight)

    (hub / name).write_bytes(b"not the weights")  # a wrong file in the hub cache is not used
    with pytest.raises(DownloadError, match="ZOO_OFFLINE=1"):
        zoo.build("quick_tagged", weights="T1")
    monkeypatch.delenv("ZOO_OFFLINE")
    model = zoo.build("quick_tagged", weights="T1")  # fetched from the server into ZOO_CACHE_DIR
    assert torch.equal(model.model1[0].weight, source.model1[0].weight)
    assert (hub / name).read_bytes() == b"not the weights"

    served.write_bytes(served.read_bytes()[:-1] + b"!")  # the server now serves other bytes
    for cached in Path(os.environ["ZOO_CACHE_DIR"]).rglob(name):
        cached.unlink()
    with pytest.raises(DownloadError, match="sha256"):
        zoo.build("quick_tagged", weights="T1")


# -- names, cards, lists -------------------------------------------------------------------------------------------
def test_every_torchvision_classifier_builds_on_meta_and_lists_its_tags():
    names = zoo.list_models("torchvision/*")
    assert len(names) == 80
    for name in names:
        assert zoo.model_info(name).num_params > 0
    card = zoo.model_info("torchvision/resnet18")
    v1 = card.weights["IMAGENET1K_V1"]
    assert v1["url"].endswith("resnet18-f37072fd.pth") and v1["sha256_prefix"] == "f37072fd"
    assert v1["top1"] == pytest.approx(69.758) and v1["num_params"] == 11689512 and v1["crop_pct"] == 0.875
    regnet = zoo.build("torchvision/regnet_y_400mf", num_classes=3)
    assert regnet(torch.zeros(1, 3, 64, 64)).shape == (1, 3)


def test_list_pretrained_lists_every_tag(cli):
    tags = zoo.list_models(pretrained=True)
    assert sum(t.startswith("timm/") for t in tags) >= 1500
    assert {"timm/resnet50.a1_in1k", "torchvision/resnet50.IMAGENET1K_V2", "vgg16.IMAGENET1K_V1"} <= set(tags)
    code, out, _ = cli("list", "--pretrained", "torchvision/resnet50*", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["name"] for r in rows] == [
        "torchvision/resnet50.IMAGENET1K_V1",
        "torchvision/resnet50.IMAGENET1K_V2",
    ]
    assert rows[1]["top1"] == pytest.approx(80.858) and rows[1]["source"].startswith("https://download.pytorch.org")
    info = zoo.model_info("timm/resnet50.a1_in1k")
    assert (info.crop_pct, info.interpolation, info.license) == (0.95, "bicubic", "apache-2.0")
    assert info.weights["a1_in1k"]["source"] == "hf-hub:timm/resnet50.a1_in1k"
