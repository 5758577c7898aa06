"""Published image archives by URL (the course's ants and bees): download, trust on first use, safe extraction."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT, error_line
from PIL import Image

import zoo
from zoo.data import build_dataset
from zoo.errors import DataError, DownloadError
from zoo.specs import DatasetSpec


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hymenoptera_zip() -> bytes:
    """hymenoptera_data/{train,val}/{ants,bees}/*.png, as the tutorial's zip lays it out (tiny)."""
    members = {}
    for split, n in (("train", 4), ("val", 2)):
        for cls, colour in (("ants", (200, 40, 40)), ("bees", (230, 200, 20))):
            for i in range(n):
                members[f"hymenoptera_data/{split}/{cls}/{i}.png"] = _png(colour)
    return _zip(members)


@pytest.fixture
def server(tmp_path, hymenoptera_zip):
    www = tmp_path / "www"
    www.mkdir()
    (www / "hymenoptera_data.zip").write_bytes(hymenoptera_zip)
    (www / "evil.zip").write_bytes(_zip({"ok/a.png": _png((0, 0, 0)), "../../escaped.txt": b"x"}))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_hymenoptera_downloads_records_its_hash_and_reads_as_an_image_folder(server, tmp_path, zoo_cache):
    www, url = server
    spec = DatasetSpec(name="hymenoptera", split="val", root=str(tmp_path / "data"), url=f"{url}/hymenoptera_data.zip")
    dataset = build_dataset(spec)
    assert dataset.classes == ["ants", "bees"] and len(dataset) == 4
    record = json.loads((zoo_cache / "archives.json").read_text())[f"{url}/hymenoptera_data.zip"]
    assert record["sha256"] == hashlib.sha256((www / "hymenoptera_data.zip").read_bytes()).hexdigest()
    assert len(build_dataset(spec.model_copy(update={"split": "train"}))) == 8

    (www / "hymenoptera_data.zip").write_bytes(b"PK" + b"\0" * 100)  # the server changes the file
    cached = next((zoo_cache / "archives").rglob("hymenoptera_data.zip"))
    cached.write_bytes(b"PK" + b"\0" * 100)  # and so does somebody in the cache
    with pytest.raises(DownloadError, match="sha256"):  # trust on first use: the recorded hash is checked
        build_dataset(DatasetSpec(name="image_folder", root=str(tmp_path / "other"), url=f"{url}/hymenoptera_data.zip"))


def test_a_pinned_wrong_hash_is_refused_and_leaves_nothing(server, tmp_path, zoo_cache):
    _, url = server
    spec = DatasetSpec(name="hymenoptera", root=str(tmp_path / "data"), url=f"{url}/hymenoptera_data.zip",
                       sha256="0" * 64)  # fmt: skip
    with pytest.raises(DownloadError, match="sha256"):
        build_dataset(spec)
    assert not (tmp_path / "data").exists()
    assert not [p for p in zoo_cache.rglob("*") if p.is_file() and not p.name.endswith(".lock")]


def test_an_archive_member_outside_the_folder_is_refused(server, tmp_path):
    _, url = server
    spec = DatasetSpec(name="image_folder", root=str(tmp_path / "x" / "data"), url=f"{url}/evil.zip")
    with pytest.raises(DataError, match=r"'\.\./\.\./escaped\.txt', which would land outside"):
        build_dataset(spec)
    assert not list(tmp_path.rglob("escaped.txt")) and not (tmp_path / "x" / "data").exists()


def test_no_data_and_no_download_names_the_url_and_folder(tmp_path, cli):
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({"model": {"name": "cifar10_quick"},
                                "data": {"train": {"name": "hymenoptera", "download": False, "root": str(tmp_path)}}}))
    code, _, err = cli("train", "--check", spec)  # fmt: skip
    line = error_line(err)
    assert code == 2 and "hymenoptera_data.zip" in line and str(tmp_path) in line


def test_the_hymenoptera_recipe_trains_and_predicts_ants_or_bees(server, tmp_path, hf_cache, cli, monkeypatch):
    _, url = server
    data = str(tmp_path / "data")
    monkeypatch.delenv("ZOO_OFFLINE")  # the data comes from the loopback server once ...
    build_dataset(DatasetSpec(name="hymenoptera", root=data, url=f"{url}/hymenoptera_data.zip"))
    monkeypatch.setenv("ZOO_OFFLINE", "1")  # ... then everything is offline, weights included
    overrides = [f"data.{s}.root={data}" for s in ("train", "val")]
    overrides += [f"data.{s}.url={url}/hymenoptera_data.zip" for s in ("train", "val")]
    overrides += ["trainer.epochs=1", f"trainer.out_dir={tmp_path / 'run'}", "data.num_workers=0",
                  "trainer.tensorboard=false", "trainer.progress=false"]  # fmt: skip
    args = [a for o in overrides for a in ("--set", o)]
    code, out, err = cli("train", ROOT / "examples" / "hymenoptera_finetune.yaml", "--check", *args)
    assert code == 0 and "logits (4, 2)" in out, err
    code, _, err = cli("train", ROOT / "examples" / "hymenoptera_finetune.yaml", *args)
    assert code == 0, err
    assert "skipped fc.weight, fc.bias (head of another size)" in err
    best = tmp_path / "run" / "best"
    assert zoo.load(best).zoo_config["classes"] == ["ants", "bees"]
    code, out, err = cli("predict", best, _an_image(tmp_path))
    assert code == 0 and out.split(", ")[1] in ("ants", "bees"), err


def _an_image(tmp_path):
    path = tmp_path / "bee.png"
    Image.new("RGB", (40, 30), (230, 200, 20)).save(path)
    return path
