import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from torch import nn

import zoo
from zoo.errors import BundleError, UnknownNameError, WeightsError, ZooError


def outputs(model, size):
    torch.manual_seed(1)
    with torch.no_grad():
        return model.eval()(torch.randn(2, *size))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("cifar10_quick", {"num_classes": 4}),
        ("vgg11", {"num_classes": 3}),
        ("timm/resnet18", {"num_classes": 5}),
        ("torchvision/mobilenet_v3_small", {"num_classes": 6}),
    ],
)
def test_round_trip_is_bit_identical(tmp_path, name, kwargs):
    model = zoo.build(name, **kwargs)
    size = zoo.model_info(name).input_size
    if name == "vgg11":
        size = (3, 64, 64)
    zoo.save(model, tmp_path / "b", classes=[f"c{i}" for i in range(kwargs["num_classes"])])
    loaded = zoo.load(tmp_path / "b")
    assert torch.equal(outputs(model, size), outputs(loaded, size))
    assert loaded.zoo_config["classes"][0] == "c0"
    assert loaded.zoo_build == model.zoo_build


def test_bundle_holds_no_pickle_and_a_readable_safetensors(tmp_path):
    zoo.save(zoo.build("cifar10_quick"), tmp_path / "b", metrics={"val_acc": 0.5})
    names = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names == ["README.md", "config.json", "model.safetensors"]
    with safe_open(tmp_path / "b" / "model.safetensors", "pt") as f:
        assert f.metadata() == {"format": "pt"}
        assert "model1.0.weight" in list(f.keys())
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    assert config["model"] == {"name": "cifar10_quick", "kwargs": {}, "provider": "zoo", "weights_from": None}
    assert config["files"]["model.safetensors"]["bytes"] == (tmp_path / "b" / "model.safetensors").stat().st_size
    assert config["preprocess"]["input_size"] == [3, 32, 32]
    card = (tmp_path / "b" / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: zoo\n") and "zoo.load(" in card


def test_tied_weights_stay_tied(tmp_path):
    @zoo.register_model("tied_test_net", head="out", input_size=(3, 4, 4), num_classes=4, override=True)
    class Tied(nn.Module):
        def __init__(self, num_classes: int = 4):
            super().__init__()
            self.inp = nn.Linear(4, 4, bias=False)
            self.out = nn.Linear(4, num_classes, bias=False)
            self.out.weight = self.inp.weight

        def forward(self, x):
            return self.out(self.inp(x))

    zoo.save(zoo.build("tied_test_net"), tmp_path / "t")
    loaded = zoo.load(tmp_path / "t")
    assert loaded.out.weight is loaded.inp.weight


def test_tampered_and_truncated_weights_are_refused(tmp_path):
    zoo.save(zoo.build("cifar10_quick"), tmp_path / "b")
    weights = tmp_path / "b" / "model.safetensors"
    zoo.load(tmp_path / "b")  # verified once: the next checks must still notice changes
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="sha256"):
        zoo.load(tmp_path / "b")
    weights.write_bytes(bytes(data[:-10]))
    with pytest.raises(BundleError, match="truncated"):
        zoo.load(tmp_path / "b")


def test_bad_bundles_give_one_clear_sentence(tmp_path):
    with pytest.raises(BundleError, match="does not exist"):
        zoo.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError, match=r"has no config\.json"):
        zoo.load(tmp_path / "empty")
    zoo.save(zoo.build("cifar10_quick"), tmp_path / "b")
    config_path = tmp_path / "b" / "config.json"
    good = json.loads(config_path.read_text())
    config_path.write_text("{not json")
    with pytest.raises(BundleError, match="is not valid JSON"):
        zoo.load(tmp_path / "b")
    config_path.write_text(json.dumps({**good, "model": {"name": "resnet_by_acme", "provider": "acme-models"}}))
    with pytest.raises(UnknownNameError, match=r"needs model 'resnet_by_acme'.*\(acme-models\)"):
        zoo.load(tmp_path / "b")
    config_path.write_text(json.dumps({**good, "model": {"name": "cifar10_quick", "kwargs": {"num_classes": 3}}}))
    with pytest.raises(ZooError, match="do not fit"):
        zoo.load(tmp_path / "b")
    # a weights file that is not safetensors at all, with a config that vouches for it
    weights = tmp_path / "b" / "model.safetensors"
    weights.write_bytes(b"PK\x03\x04 this is a zip, not safetensors" * 10)
    from zoo.bundle.format import file_record

    config_path.write_text(json.dumps({**good, "files": {"model.safetensors": file_record(weights)}}))
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        zoo.load(tmp_path / "b")


def test_build_takes_a_bundle_as_weights_with_a_new_head(tmp_path):
    source = zoo.build("cifar10_quick")
    zoo.save(source, tmp_path / "b")
    model = zoo.build("cifar10_quick", num_classes=2, weights=tmp_path / "b")
    assert torch.equal(model.model1[0].weight, source.model1[0].weight)
    assert model.zoo_load_report.skipped == ["model1.8.weight", "model1.8.bias"]


def test_torchvision_tag_fails_clearly_offline(monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(ZooError, match=r"ZOO_OFFLINE=1 and 'vgg11-8a719046\.pth'.*is not in the cache"):
        zoo.build("vgg11", weights="IMAGENET1K_V1")


def test_torchvision_tag_checks_the_hash_of_the_cached_download(zoo_cache, monkeypatch):
    """A cached file under the tag's hash folder is used; its sha256 prefix must match the tag's."""
    import hashlib

    from zoo.weights.sources import fetch_file

    monkeypatch.setenv("ZOO_OFFLINE", "1")
    payload = b"some bytes"
    digest = hashlib.sha256(payload).hexdigest()[:8]
    target = zoo_cache / "files" / digest / "w.pth"
    target.parent.mkdir(parents=True)
    target.write_bytes(payload)
    assert fetch_file("https://example.invalid/w.pth", sha256=digest) == target


def test_kill_during_save_leaves_the_old_bundle_or_the_new_one(tmp_path):
    bundle = tmp_path / "big"
    old = zoo.build("vgg11", num_classes=2)
    zoo.save(old, bundle)
    torch.manual_seed(7)
    new = zoo.build("vgg11", num_classes=2)
    either = [outputs(old, (3, 32, 32)), outputs(new, (3, 32, 32))]
    child = textwrap.dedent(
        f"""
        import torch, zoo
        torch.manual_seed(7)
        model = zoo.build("vgg11", num_classes=2)
        print("ready", flush=True)
        while True:
            zoo.save(model, {str(bundle)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.time() + 60
    while not any(p.name.endswith(".saving") for p in tmp_path.iterdir()) and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # somewhere inside writing the weights
    proc.kill()
    proc.wait()
    loaded = zoo.load(bundle)  # never a half-written bundle, never an error: an interrupted swap is undone
    reloaded = outputs(loaded, (3, 32, 32))
    assert any(torch.equal(reloaded, out) for out in either)  # the old bundle or a complete new one


def test_cli_convert_makes_a_bundle_from_a_torchvision_state_dict(tmp_path, zoo_cli):
    import torchvision

    torch.manual_seed(0)
    reference = torchvision.models.resnet18(num_classes=3).eval()
    torch.save(reference.state_dict(), tmp_path / "r.pth")
    (tmp_path / "classes.txt").write_text("cat\ndog\nfox\n")
    result = zoo_cli(
        "convert", str(tmp_path / "r.pth"), str(tmp_path / "out"), "--model", "torchvision/resnet18",
        "--num-classes", "3", "--classes", str(tmp_path / "classes.txt"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = zoo.load(tmp_path / "out")
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), reference(x))
    assert loaded.zoo_config["classes"] == ["cat", "dog", "fox"]
    bad = zoo_cli("convert", str(tmp_path / "r.pth"), str(tmp_path / "o2"), "--model", "torchvision/resnet18")
    assert bad.returncode == 2 and "pass --num-classes" in bad.stderr


def test_push_rejects_a_target_that_is_not_hf_hub(tmp_path, zoo_cli):
    zoo.save(zoo.build("cifar10_quick"), tmp_path / "b")
    result = zoo_cli("push", str(tmp_path / "b"), "acme/model")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: push target 'acme/model' must look like hf-hub:org/name"


def test_offline_hf_hub_names_the_missing_repo(monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(ZooError, match=r"could not fetch hf-hub:acme/quick.*not in the cache"):
        zoo.load("hf-hub:acme/quick")


def test_saved_files_are_not_private(tmp_path):
    zoo.save(zoo.build("cifar10_quick"), tmp_path / "b")
    from zoo.atomic import current_umask

    assert os.stat(tmp_path / "b" / "config.json").st_mode & 0o777 == 0o666 & ~current_umask()
    assert Path(tmp_path / "b").stat().st_mode & 0o777 == 0o777 & ~current_umask()
