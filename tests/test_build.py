import pytest
import timm
import torch
import torchvision
from safetensors.torch import save_file

import zoo
from zoo.errors import InvalidArgumentError, UnknownNameError, WeightsError


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [
        ("cifar10_quick", {}, 145_578),
        ("vgg16", {}, 138_357_544),
        ("vgg16", {"num_classes": 10}, 134_301_514),
    ],
)
def test_param_counts(name, kwargs, expected):
    assert n_params(zoo.build(name, **kwargs)) == expected


def test_adapter_param_counts_match_upstream():
    assert n_params(zoo.build("timm/resnet18", num_classes=10)) == n_params(
        timm.create_model("resnet18", num_classes=10)
    )
    assert n_params(zoo.build("torchvision/resnet18", num_classes=10)) == n_params(
        torchvision.models.resnet18(num_classes=10)
    )


def test_model_info_counts_on_meta_and_records_head():
    card = zoo.model_info("vgg16")
    assert card.num_params == 138_357_544
    assert card.head == "classifier.6" and card.first_conv == "features.0"
    assert zoo.model_info("cifar10_quick").input_size == (3, 32, 32)
    assert zoo.model_info("torchvision/mobilenet_v3_small").head == "classifier.3"
    assert zoo.model_info("timm/resnet18").source == "timm"


def test_quick_net_is_the_course_net():
    model = zoo.build("cifar10_quick")
    assert not any(isinstance(m, torch.nn.ReLU) for m in model.modules())
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert [k for k in model.state_dict()][:2] == ["model1.0.weight", "model1.0.bias"]


@pytest.fixture(scope="module")
def vgg16_file(tmp_path_factory):
    """A torchvision VGG16 state_dict saved the usual way (torch.save)."""
    torch.manual_seed(0)
    reference = torchvision.models.vgg16().eval()
    path = tmp_path_factory.mktemp("w") / "vgg16.pth"
    torch.save(reference.state_dict(), path)
    return reference, path


def test_torchvision_vgg16_state_dict_loads_with_identical_logits(vgg16_file):
    reference, path = vgg16_file
    model = zoo.build("vgg16", weights=path).eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))
    assert model.zoo_load_report.skipped == [] and model.zoo_load_report.missing == []


def test_new_head_keeps_the_backbone_and_reports(vgg16_file):
    reference, path = vgg16_file
    model = zoo.build("vgg16", num_classes=10, weights=path).eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(model.features(x), reference.features(x))
        assert model(x).shape == (1, 10)
    report = model.zoo_load_report
    assert report.skipped == ["classifier.6.weight", "classifier.6.bias"]
    assert report.missing == ["classifier.6.weight", "classifier.6.bias"]
    assert not any(p.is_meta for p in model.parameters())
    assert model.classifier[6].weight.std() > 0


def test_weights_build_does_no_random_init(vgg16_file, monkeypatch):
    """Init runs only on meta tensors (free); no real tensor is randomly initialised."""
    real_inits = []
    original = torch.nn.init.kaiming_normal_
    spy = lambda t, *a, **k: real_inits.append(not t.is_meta) or original(t, *a, **k)  # noqa: E731
    monkeypatch.setattr(torch.nn.init, "kaiming_normal_", spy)
    zoo.build("vgg16", weights=vgg16_file[1])
    assert not any(real_inits)
    zoo.build("vgg11")
    assert any(real_inits)  # the spy does see a normal build's init


def test_safetensors_weights_and_state_dict_mismatch(tmp_path):
    source = zoo.build("cifar10_quick")
    save_file(source.state_dict(), tmp_path / "q.safetensors")
    model = zoo.build("cifar10_quick", weights=tmp_path / "q.safetensors")
    assert torch.equal(model.model1[0].weight, source.model1[0].weight)

    wrong = {k: v for k, v in source.state_dict().items()}
    wrong["model1.2.weight"] = torch.zeros(32, 32, 3, 3)
    save_file(wrong, tmp_path / "bad.safetensors")
    with pytest.raises(WeightsError, match=r"shape mismatch in model1\.2\.weight"):
        zoo.build("cifar10_quick", weights=tmp_path / "bad.safetensors")

    del wrong["model1.2.weight"]
    save_file(wrong, tmp_path / "missing.safetensors")
    with pytest.raises(WeightsError, match=r"missing model1\.2\.weight"):
        zoo.build("cifar10_quick", weights=tmp_path / "missing.safetensors")


def test_bad_weights_files(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        zoo.build("cifar10_quick", weights=tmp_path / "nope.pth")
    (tmp_path / "text.pth").write_text("hello, not a checkpoint")
    with pytest.raises(WeightsError, match=r"text\.pth' is neither safetensors nor a PyTorch checkpoint"):
        zoo.build("cifar10_quick", weights=tmp_path / "text.pth")
    torch.save(zoo.build("cifar10_quick").state_dict(), tmp_path / "full.pth")
    data = (tmp_path / "full.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match=r"cut\.pth' is not a loadable"):
        zoo.build("cifar10_quick", weights=tmp_path / "cut.pth")
    save_file(zoo.build("cifar10_quick").state_dict(), tmp_path / "full.safetensors")
    data = (tmp_path / "full.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-100])
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        zoo.build("cifar10_quick", weights=tmp_path / "cut.safetensors")
    with pytest.raises(WeightsError, match="nearest tags: IMAGENET1K_V1"):
        zoo.build("vgg11", weights="IMAGENET1K_V9")


def test_pickled_whole_model_is_refused(tmp_path):
    torch.save(zoo.build("cifar10_quick"), tmp_path / "whole.pth")  # the course's pickled model
    with pytest.raises(WeightsError, match=r"holds a pickled model object \(zoo\.models\.cifar10_quick\.") as err:
        zoo.build("cifar10_quick", weights=tmp_path / "whole.pth")
    assert "torch.save(model.state_dict(), 'whole.pth')" in str(err.value) and "\x1b" not in str(err.value)


def test_unknown_names_and_arguments():
    with pytest.raises(UnknownNameError, match="vgg16"):
        zoo.build("vgg61")
    with pytest.raises(
        InvalidArgumentError,
        match=r"unknown argument 'dropuot' \(did you mean 'dropout'\?\); it accepts dropout, in_chans",
    ):
        zoo.build("vgg11", dropuot=0.1)
    with pytest.raises(InvalidArgumentError, match="unknown argument 'drop_rat'"):
        zoo.build("timm/resnet18", drop_rat=0.1)
    for bad in (0, -3, 2.5, "10", True):
        with pytest.raises(InvalidArgumentError, match="num_classes must be a positive integer"):
            zoo.build("cifar10_quick", num_classes=bad)


@pytest.mark.parametrize("name", ["cifar10_quick", "vgg11", "timm/resnet18", "torchvision/mobilenet_v3_small"])
def test_uniform_head_api(name):
    model = zoo.build(name, num_classes=7)
    head = model.get_classifier()
    assert head.out_features == 7
    model.reset_classifier(3)
    assert model.get_classifier().out_features == 3
    size = zoo.model_info(name).input_size[1:]
    model.eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, *size)).shape == (1, 3)


def test_in_chans_adapts_first_conv_like_timm(tmp_path):
    source = zoo.build("cifar10_quick")
    save_file(source.state_dict(), tmp_path / "q.safetensors")
    gray = zoo.build("cifar10_quick", in_chans=1, weights=tmp_path / "q.safetensors")
    w = source.model1[0].weight
    assert torch.allclose(gray.model1[0].weight, w.sum(1, keepdim=True))
    four = zoo.build("cifar10_quick", in_chans=4, weights=tmp_path / "q.safetensors")
    expected = w.repeat(1, 2, 1, 1)[:, :4] * (3 / 4)
    assert torch.allclose(four.model1[0].weight, expected)
    assert four(torch.zeros(1, 4, 32, 32)).shape == (1, 10)
    assert zoo.build("timm/resnet18", in_chans=1).conv1.in_channels == 1


def test_build_records_how_to_rebuild():
    model = zoo.build("vgg11", num_classes=5, dropout=0.1)
    assert model.zoo_build == {"name": "vgg11", "kwargs": {"num_classes": 5, "dropout": 0.1}, "weights_from": None}


@pytest.mark.parametrize("name", zoo.list_models(source="zoo"))
def test_builtin_cards_name_the_real_head_and_first_conv(name):
    from zoo.models.head import find_first_conv, find_head

    card = zoo.model_info(name)
    with torch.device("meta"):
        model = zoo.build(name, num_classes=7)
    assert card.head == find_head(model, 7)
    assert card.first_conv == find_first_conv(model)
