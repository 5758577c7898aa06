"""Export to ONNX and .pt2: checked against eager PyTorch at other batch sizes, self-describing, and runnable by
``zoo predict`` without the model's code."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import error_line
from PIL import Image

import zoo
from zoo.errors import ExportError
from zoo.exporting import onnx_format, pt2_format


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("export") / "quick"
    zoo.save(zoo.build("cifar10_quick", num_classes=3), folder, classes=["ant", "bee", "cat"])
    return folder


@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_a_bundle_exports_in_place_checked_and_self_describing(bundle, fmt):
    before = (bundle / "model.safetensors").read_bytes()
    result = zoo.export(bundle, format=fmt)
    assert result.path == bundle / f"model.{fmt}"
    assert set(result.max_abs_diff) == {1, 5} and max(result.max_abs_diff.values()) <= 1e-4
    config = json.loads((bundle / "config.json").read_text())
    assert config["files"][f"model.{fmt}"]["bytes"] == result.path.stat().st_size
    assert (bundle / "model.safetensors").read_bytes() == before
    assert zoo.load(bundle).zoo_config["classes"] == ["ant", "bee", "cat"]  # the bundle still verifies
    meta = (onnx_format if fmt == "onnx" else pt2_format).read_metadata(result.path)
    assert json.loads(meta["zoo.classes"]) == ["ant", "bee", "cat"]
    assert json.loads(meta["zoo.preprocess"])["input_size"] == [3, 32, 32]
    assert json.loads(meta["zoo.source_sha256"]) == config["files"]["model.safetensors"]["sha256"]
    assert meta["zoo.input_name"] == "input"


def test_predict_with_the_onnx_file_names_the_same_label(bundle, tmp_path, cli):
    zoo.export(bundle, format="onnx")
    image = tmp_path / "img.png"
    Image.new("RGB", (40, 40), (200, 30, 30)).save(image)
    code, with_torch, err = cli("predict", bundle, image, "--json")
    assert code == 0, err
    code, with_onnx, err = cli("predict", bundle / "model.onnx", image, "--json")
    assert code == 0, err
    torch_row, onnx_row = json.loads(with_torch)[0], json.loads(with_onnx)[0]
    assert onnx_row["label"] == torch_row["label"] and onnx_row["label"] in ("ant", "bee", "cat")
    assert onnx_row["score"] == pytest.approx(torch_row["score"], abs=1e-4)


def test_the_cli_exports_a_registered_name_to_a_file(tmp_path, cli):
    code, out, err = cli("export", "cifar10_quick", "--format", "pt2", "--out", tmp_path / "q.pt2", "--batch", "3")
    assert code == 0, err
    assert "largest difference from PyTorch: batch 1:" in out and (tmp_path / "q.pt2").is_file()
    code, _, err = cli("export", "cifar10_quick")
    assert code == 2 and "needs an output path (--out FILE)" in error_line(err)


def test_an_export_that_fails_its_check_leaves_the_previous_file(bundle):
    zoo.export(bundle, format="pt2")
    before = (bundle / "model.pt2").read_bytes()
    with pytest.raises(ExportError, match=r"differs from PyTorch by .* at batch 1 .*was not written"):
        zoo.export(bundle, format="pt2", tolerance=-1.0)  # no file can pass: the check must refuse it
    assert (bundle / "model.pt2").read_bytes() == before
    assert not [p for p in bundle.iterdir() if p.name.startswith(".")]
    assert zoo.load(bundle).zoo_config["files"]["model.pt2"]["bytes"] == len(before)


class DataDependent(torch.nn.Module):
    """Control flow on tensor values: no exporter can capture it (dynamo: data-dependent branch; TorchScript
    tracing would silently freeze one branch, which the parity check catches)."""

    def forward(self, x):
        if x.sum() > 0:
            return x.flatten(1)[:, :3]
        return -x.flatten(1)[:, :3]


def test_a_model_that_cannot_be_exported_is_one_clear_error(tmp_path, cli):
    zoo.register_model("data_dependent", input_size=(3, 4, 4), num_classes=3, override=True)(DataDependent)
    with pytest.raises(ExportError, match=r"data_dependent could not be exported with torch\.export: "):
        zoo.export(zoo.build("data_dependent"), tmp_path / "d.pt2", format="pt2")
    code, _, err = cli("export", "data_dependent", "--format", "pt2", "--out", tmp_path / "d.pt2")
    line = error_line(err)
    assert code == 1 and line.startswith("error: data_dependent could not be exported with torch.export: ")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow  # four real architectures in two formats (~1 min): CI runs it in its slow pass
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("vgg11", {}), ("timm/resnet18", {"num_classes": 7}), ("torchvision/mobilenet_v3_small", {})],
)
@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_real_architectures_export_and_match_pytorch(tmp_path, name, kwargs, fmt):
    torch.manual_seed(0)
    model = zoo.build(name, **kwargs).eval()
    result = zoo.export(model, tmp_path / f"m.{fmt}", format=fmt)
    assert set(result.max_abs_diff) == {1, 5} and max(result.max_abs_diff.values()) <= 1e-4
