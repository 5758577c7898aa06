import json
from pathlib import Path

import pytest
import yaml

from zoo.errors import SpecError
from zoo.specs import TrainSpec

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BASE = {
    "model": {"name": "cifar10_quick"},
    "data": {"train": {"name": "shapes", "size": 20}, "val": {"name": "shapes", "size": 10, "split": "val"}},
}


def spec_error(data=None, overrides=None):
    with pytest.raises(SpecError) as info:
        TrainSpec.from_dict(data if data is not None else BASE, overrides=overrides)
    return str(info.value)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_and_round_trip(path):
    spec = TrainSpec.from_yaml(str(path))
    text = spec.to_yaml()
    again = TrainSpec.from_dict(yaml.safe_load(text))
    assert again == spec
    assert again.to_yaml() == text


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} >= {
        "quick_shapes.yaml",
        "cifar10_quick.yaml",
        "cifar10_quick_modern.yaml",
        "vgg16_finetune_folder.yaml",
    }


def test_the_default_spec_is_the_quick_shapes_example():
    packaged = ROOT / "zoo" / "specs" / "quick_shapes.yaml"
    assert packaged.read_text() == (ROOT / "examples" / "quick_shapes.yaml").read_text()


def test_the_course_recipe_is_the_course_recipe():
    spec = TrainSpec.from_yaml(str(ROOT / "examples" / "cifar10_quick.yaml"))
    assert (spec.optimizer.name, spec.optimizer.lr, spec.data.batch_size, spec.trainer.epochs) == ("sgd", 0.01, 64, 10)


def test_overrides_are_typed_by_the_schema():
    spec = TrainSpec.from_dict(
        BASE, overrides=["optimizer.lr=0.1", "trainer.epochs=3", "trainer.out_dir=2024", "data.train.cache=true"]
    )
    assert spec.optimizer.lr == 0.1 and isinstance(spec.optimizer.lr, float)
    assert spec.trainer.epochs == 3
    assert spec.trainer.out_dir == "2024"
    assert spec.data.train.cache is True
    spec = TrainSpec.from_dict(BASE, overrides=["optimizer.betas=[0.8, 0.9]", "optimizer.name=adam"])
    assert spec.optimizer.options()["betas"] == [0.8, 0.9]


def test_bad_override_path_names_the_closest_key():
    assert spec_error(overrides=["optimizer.lrr=0.1"]).endswith(
        "(did you mean 'lr'?); it accepts "
        + ("dampening, differentiable, foreach, fused, lr, maximize, momentum, nesterov, weight_decay")
    )
    assert spec_error(overrides=["trainer.epoch=3"]) == (
        "override key 'trainer.epoch' is not in the spec (did you mean 'trainer.epochs'?)"
    )
    assert "must look like key.path=value" in spec_error(overrides=["trainer.epochs"])


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"model": {"name": "vgg61"}}, "model.name: unknown model 'vgg61'; did you mean vgg19, vgg16, vgg13?"),
        ({"optimizer": {"name": "sgdd"}}, "optimizer: unknown optimizer 'sgdd'; did you mean sgd?"),
        ({"loss": {"name": "cross_entropi"}}, "loss: unknown loss 'cross_entropi'; did you mean cross_entropy"),
        ({"scheduler": {"name": "cosin"}}, "scheduler: unknown scheduler 'cosin'; did you mean cosine"),
        ({"trainer": {"device": "tpu9"}}, "trainer.device: unknown device 'tpu9'; use auto, cpu, cuda, cuda:N or mps"),
        ({"trainer": {"device": "cuda"}}, "trainer.device: device 'cuda' was asked for but this machine has no CUDA"),
        ({"trainer": {"epoch": 3}}, "unknown key 'trainer.epoch' (did you mean 'trainer.epochs'?)"),
        ({"trainer": {"epochs": "many"}}, "trainer.epochs: Input should be a valid integer"),
        ({"data": {"train": {"name": "shapes"}, "batch_size": -4}}, "data.batch_size: Input should be greater than 0"),
        ({"data": {"train": {"name": "imagefolder"}}}, "data.train: unknown dataset 'imagefolder'; did you mean"),
        (
            {"data": {"train": {"name": "shapes", "transforms": [{"name": "ToTensr"}]}}},
            "data.train.transforms.0: unknown transform 'ToTensr'; did you mean ToTensor",
        ),
        ({"model": {"name": "cifar10_quick", "num_classes": 0}}, "model.num_classes: Input should be greater than 0"),
        ({"model": None}, "model: Input should be a valid dictionary"),
        ({"trainer": {"monitor": "val_acc"}}, "trainer.monitor is 'val_acc' but there is no validation data"),
    ],
)
def test_bad_specs_name_the_field(patch, message):
    data = {**BASE, **patch}
    if "data" not in patch and "monitor" in patch.get("trainer", {}):
        data["data"] = {"train": BASE["data"]["train"]}
    assert message in spec_error(data)


def test_missing_section_is_named():
    assert spec_error({"model": {"name": "cifar10_quick"}}) == "'data' is required"


def test_yaml_syntax_error_reports_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: {name: cifar10_quick}\ndata:\n  train: {name: shapes\n  batch_size: 4\n")
    with pytest.raises(SpecError, match=r"bad\.yaml' has a YAML syntax error at line 4"):
        TrainSpec.from_yaml(str(path))
    with pytest.raises(SpecError, match=r"spec file '.*nope\.yaml' does not exist"):
        TrainSpec.from_yaml(str(tmp_path / "nope.yaml"))


def test_schema_command_prints_a_json_schema(zoo_cli, tmp_path):
    result = zoo_cli("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) == {"model", "data", "optimizer", "scheduler", "loss", "trainer"}
    assert "epochs" in schema["$defs"]["TrainerSpec"]["properties"]
