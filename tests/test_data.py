import pickle  # only to write CIFAR-10's own on-disk format as test input; zoo itself never pickles
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.data import build_dataset
from zoo.errors import DataError, SpecError
from zoo.specs import DatasetSpec

COLOURS = {"ants": (255, 0, 0), "bees": (0, 0, 255), "cats": (0, 255, 0)}


def image(path, colour, size=(12, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def dataset(**spec):
    return build_dataset(DatasetSpec(**spec))


def colour_of(img):
    return tuple(int(c) for c in np.array(img)[0, 0])


def test_image_folder_labels_come_from_folder_names(tmp_path):
    for i, ext in enumerate(["jpg", "png", "bmp", "webp"]):
        image(tmp_path / "ants" / f"a{i}.{ext}", COLOURS["ants"])
    image(tmp_path / "bees" / "b0.png", COLOURS["bees"])
    ds = dataset(name="image_folder", root=str(tmp_path))
    assert ds.classes == ["ants", "bees"] and ds.base.class_to_idx == {"ants": 0, "bees": 1}
    assert len(ds) == 5
    for i in range(len(ds)):
        img, label = ds[i]
        assert img.mode == "RGB"
        expected = COLOURS[ds.classes[label]]
        assert all(abs(a - b) < 8 for a, b in zip(colour_of(img), expected, strict=True))  # jpg is lossy
    gray = dataset(name="image_folder", root=str(tmp_path), mode="L")
    assert gray[0][0].mode == "L"


def test_label_files_pairs_images_with_txt_labels(tmp_path):
    for cls in ("ants", "bees"):
        for i in range(2):
            image(tmp_path / f"{cls}_image" / f"{cls}{i}.jpg", COLOURS[cls])
            (tmp_path / f"{cls}_label").mkdir(exist_ok=True)
            (tmp_path / f"{cls}_label" / f"{cls}{i}.txt").write_text(f"{cls}\n")
    ds = dataset(name="label_files", root=str(tmp_path))
    assert ds.classes == ["ants", "bees"] and len(ds) == 4
    assert [ds.classes[ds[i][1]] for i in range(4)] == ["ants", "ants", "bees", "bees"]
    explicit = dataset(name="label_files", root=str(tmp_path), image_dir="bees_image", label_dir="bees_label")
    assert len(explicit) == 2 and explicit.classes == ["bees"]

    (tmp_path / "bees_label" / "bees1.txt").write_text("wasps")
    with pytest.raises(DataError, match=r"'bees1\.jpg' has label 'wasps', which is not one of the classes"):
        dataset(name="label_files", root=str(tmp_path), classes=["ants", "bees"])
    (tmp_path / "bees_label" / "bees1.txt").unlink()
    with pytest.raises(DataError, match=r"bees1\.jpg' has no label file"):
        dataset(name="label_files", root=str(tmp_path))


def test_label_in_name_reads_the_label_group(tmp_path):
    image(tmp_path / "cats_001.png", COLOURS["cats"])
    image(tmp_path / "ants_002.png", COLOURS["ants"])
    image(tmp_path / "ants_003.png", COLOURS["ants"])
    ds = dataset(name="label_in_name", root=str(tmp_path))
    assert ds.classes == ["ants", "cats"]
    assert [colour_of(ds[i][0]) == COLOURS[ds.classes[ds[i][1]]] for i in range(3)] == [True] * 3
    custom = dataset(name="label_in_name", root=str(tmp_path), pattern=r"_(?P<label>\d)\d\d$")
    assert custom.classes == ["0"]
    with pytest.raises(DataError, match=r"pattern '\(\\d\+\)' has no \(\?P<label>\.\.\.\) group"):
        dataset(name="label_in_name", root=str(tmp_path), pattern=r"(\d+)")
    with pytest.raises(DataError, match=r"'ants_002\.png' does not match pattern"):
        dataset(name="label_in_name", root=str(tmp_path), pattern=r"^(?P<label>cats)")


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(DataError, match=r"data folder '.*nowhere' does not exist"):
        dataset(name="image_folder", root=str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="has no class sub-folders with images"):
        dataset(name="image_folder", root=str(tmp_path / "empty"))


def test_corrupt_image_is_named_or_skipped_with_a_warning(tmp_path):
    image(tmp_path / "ants" / "good.png", COLOURS["ants"])
    (tmp_path / "ants" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    ds = dataset(name="image_folder", root=str(tmp_path))
    with pytest.raises(DataError, match=r"image '.*broken\.png' cannot be decoded"):
        [ds[i] for i in range(len(ds))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = dataset(name="image_folder", root=str(tmp_path), skip_corrupt=True)
    assert len(ds) == 1
    assert any("skipped 1 corrupt image" in str(w.message) for w in caught)


def test_cache_keeps_decoded_images(tmp_path):
    image(tmp_path / "ants" / "a.png", COLOURS["ants"])
    ds = dataset(name="image_folder", root=str(tmp_path), cache=True, transforms=[{"name": "ToTensor"}])
    first = ds[0][0]
    (tmp_path / "ants" / "a.png").unlink()
    assert torch.equal(ds[0][0], first)  # served from memory, the file is gone


def _write_fake_cifar10(root, n_per_batch=4):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    labels = {}
    for name in names:
        data = rng.integers(0, 256, (n_per_batch, 3 * 32 * 32), dtype=np.uint8)
        labels[name] = [int(x) for x in rng.integers(0, 10, n_per_batch)]
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels[name]}, f)
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": classes}, f)
    return labels


def test_fake_cifar10_in_torchvision_format_loads_through_the_spec(tmp_path):
    labels = _write_fake_cifar10(tmp_path)
    train = dataset(name="cifar10", root=str(tmp_path), verify=False, transforms=[{"name": "ToTensor"}])
    test = dataset(name="cifar10", root=str(tmp_path), train=False, verify=False)
    assert len(train) == 20 and len(test) == 4
    assert train.classes[0] == "airplane"
    assert [train[i][1] for i in range(4)] == labels["data_batch_1"]
    assert train[0][0].shape == (3, 32, 32)
    with pytest.raises(DataError, match=r"CIFAR10 data not found or corrupted.*set download: true"):
        dataset(name="cifar10", root=str(tmp_path))  # md5 check of the real files stays on by default


def _write_idx(path, array, magic):
    path.parent.mkdir(parents=True, exist_ok=True)
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_fake_mnist_loads_and_feeds_a_three_channel_model(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    for prefix, n in (("train", 6), ("t10k", 3)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", np.full((n, 28, 28), 200), 2051)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10, 2049)
    from zoo.data import preprocess_transform

    ds = build_dataset(
        DatasetSpec(name="mnist", root=str(tmp_path)), preprocess_transform((3, 32, 32), [0.5] * 3, [0.5] * 3)
    )
    assert len(ds) == 6 and ds[5][1] == 5
    assert ds[0][0].shape == (3, 32, 32)
    generic = dataset(name="torchvision/MNIST", root=str(tmp_path), train=False)
    assert len(generic) == 3


def test_shapes_is_deterministic_and_balanced():
    a = dataset(name="shapes", size=50, seed=3, transforms=[{"name": "ToTensor"}])
    b = dataset(name="shapes", size=50, seed=3, transforms=[{"name": "ToTensor"}])
    c = dataset(name="shapes", size=50, seed=4, transforms=[{"name": "ToTensor"}])
    assert all(torch.equal(a[i][0], b[i][0]) for i in range(50))
    assert not torch.equal(a[7][0], c[7][0])
    assert np.bincount([a[i][1] for i in range(50)]).tolist() == [5] * 10
    assert a[0][0].shape == (3, 32, 32) and len(a.classes) == 10
    val = dataset(name="shapes", size=50, seed=3, split="val", transforms=[{"name": "ToTensor"}])
    assert not torch.equal(val[0][0], a[0][0])


def test_presets_and_default_transforms():
    ds = dataset(name="shapes", size=10, transforms="cifar10_train")
    assert ds[0][0].shape == (3, 32, 32) and ds[0][0].dtype == torch.float32
    with pytest.raises(SpecError, match="unknown transform 'cifar10_trian'"):
        from zoo.specs.base import validate

        validate(DatasetSpec, {"name": "shapes", "transforms": "cifar10_trian"})
