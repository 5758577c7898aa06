"""Property-based: any spec document — random types in every field, unknown keys, wrong nesting, huge numbers,
empty strings — is either a valid spec or a ``ZooError``; through ``zoo train --check`` it is one error line."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zoo
from zoo.errors import ZooError

BASE = {
    "model": {"name": "cifar10_quick"},
    "data": {"train": {"name": "shapes", "size": 16, "transforms": [{"name": "ToTensor"}]}, "batch_size": 8},
    "optimizer": {"name": "sgd", "lr": 0.01},
    "scheduler": {"name": "step", "step_size": 1},
    "loss": {"name": "cross_entropy"},
    "trainer": {"epochs": 1, "out_dir": "runs/fuzz", "progress": False, "tensorboard": False, "device": "cpu"},
}
PATHS = [
    ("model",), ("model", "name"), ("model", "num_classes"), ("model", "in_chans"), ("model", "weights"),
    ("model", "kwargs"), ("data",), ("data", "train"), ("data", "train", "name"), ("data", "train", "size"),
    ("data", "train", "image_size"), ("data", "train", "transforms"), ("data", "train", "transforms", 0),
    ("data", "train", "transforms", 0, "name"), ("data", "batch_size"), ("data", "val"), ("data", "val_split"),
    ("data", "num_workers"), ("optimizer",), ("optimizer", "name"), ("optimizer", "lr"), ("optimizer", "momentum"),
    ("scheduler", "name"), ("scheduler", "step_size"), ("loss", "name"), ("loss", "label_smoothing"),
    ("trainer", "epochs"), ("trainer", "monitor"), ("trainer", "freeze"), ("trainer", "accumulate"),
    ("trainer", "amp"), ("trainer", "early_stop"), ("trainer", "unknown_key"), ("surprise",),
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "cifar10_quick", "shapes", "sgd", "Resize", "cosine", "val_acc", "backbone", "1e9"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
mutations = st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3)


def _mutated(changes) -> dict:
    doc = copy.deepcopy(BASE)
    for path, value in changes:
        node = doc
        for key in path[:-1]:
            if isinstance(node, dict):
                node = node.setdefault(key, {})
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
            else:
                break
        else:
            fits_list = isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node)
            if isinstance(node, dict) or fits_list:
                node[path[-1]] = value
    return doc


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(mutations)
def test_any_spec_document_is_a_spec_or_a_zoo_error(changes):
    try:
        spec = zoo.TrainSpec.from_dict(_mutated(changes))
    except ZooError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(spec, zoo.TrainSpec)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(mutations)
def test_zoo_train_check_answers_any_spec_with_ok_or_one_error_line(tmp_path_factory, cli, changes):
    import json

    folder = tmp_path_factory.mktemp("fuzz")
    doc = _mutated(changes)
    path = folder / "spec.yaml"
    path.write_text(json.dumps(doc, allow_nan=True))
    code, out, err = cli("train", "--check", path)
    if code == 0:
        assert "spec OK" in out
    else:
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert code in (1, 2) and len(errors) == 1 and "Traceback" not in err, err
        assert "unexpected" not in errors[0], errors[0]  # every failure is a named ZooError, not the last net


def test_a_name_with_lone_surrogates_is_one_printable_error_line(tmp_path, cli):
    (tmp_path / "s.yaml").write_text('{"model": {"name": "\\ud800\\udc00"}, "data": {"train": {"name": "shapes"}}}')
    code, _, err = cli("train", "--check", tmp_path / "s.yaml")
    assert code == 2 and "model.name holds text that is not valid Unicode" in err and "unexpected" not in err
