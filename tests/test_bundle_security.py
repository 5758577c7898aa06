"""A bundle is data: hostile bundles over HTTP, on disk and in the cache never touch files outside the cache,
never make zoo fetch anything they do not list, and never reach the network through a builder's kwargs."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from PIL import Image

import zoo
from zoo.errors import BundleError, DownloadError, InvalidArgumentError


class _Recording(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Recording, directory=str(root)))
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", httpd.requests
    httpd.shutdown()


@pytest.fixture(scope="module")
def quick_bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundles") / "quick"
    zoo.save(zoo.build("cifar10_quick", num_classes=3), folder, classes=["a", "b", "c"])
    return folder


def _hostile_copy(source: Path, dest: Path, *, files=None, kwargs=None) -> Path:
    """A copy of ``source`` whose config.json lists ``files`` / ``model.kwargs`` as an attacker wrote them."""
    dest.mkdir(parents=True)
    config = json.loads((source / "config.json").read_text())
    weights = (source / "model.safetensors").read_bytes()
    (dest / "model.safetensors").write_bytes(weights)
    if files is not None:
        record = {"sha256": hashlib.sha256(weights).hexdigest(), "bytes": len(weights)}
        config["files"] = {name: record for name in files}
    if kwargs is not None:
        config["model"]["kwargs"] = kwargs
    (dest / "config.json").write_text(json.dumps(config))
    return dest


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("label", "files", "kwargs", "words"),
    [
        ("absolute", "VICTIM", None, "not a plain relative path"),
        ("dotdot", ["model.safetensors", "../../../escaped.txt"], None, "'../../../escaped.txt'"),
        ("backslash", ["model.safetensors", "..\\..\\x.txt"], None, "not a plain relative path"),
        ("drive", ["model.safetensors", "C:/x.txt"], None, "'C:/x.txt'"),
        ("pretrained", None, {"num_classes": 3, "pretrained": True}, "model.kwargs.pretrained"),
        (
            "overlay",
            None,
            {"num_classes": 3, "pretrained_cfg_overlay": {"url": "http://127.0.0.1:9/evil.pth"}},
            "model.kwargs.pretrained_cfg_overlay",
        ),
        ("url-valued", None, {"num_classes": 3, "init": "https://example.org/evil.pth"}, "model.kwargs.init"),
    ],
)
def test_a_hostile_http_bundle_is_refused_before_any_file_is_touched(
    server, quick_bundle, tmp_path, zoo_cache, zoo_cli, label, files, kwargs, words
):
    root, url, requests = server
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    if files == "VICTIM":
        files = ["model.safetensors", str(victim)]
    _hostile_copy(quick_bundle, root / label, files=files, kwargs=kwargs)
    image = tmp_path / "img.png"
    Image.new("RGB", (32, 32)).save(image)
    outside = tmp_path / "outside"
    outside.mkdir()
    before = _snapshot(tmp_path)

    result = zoo_cli("predict", f"{url}/{label}", str(image), cwd=outside, env={"ZOO_CACHE_DIR": str(zoo_cache)})

    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], result.stderr
    assert victim.read_text() == "precious"
    after = {p: v for p, v in _snapshot(tmp_path).items() if not p.startswith(str(zoo_cache))}
    assert after == {p: v for p, v in before.items() if not p.startswith(str(zoo_cache))}
    assert not (tmp_path / "escaped.txt").exists() and not list(tmp_path.parent.glob("escaped.txt"))
    assert requests == [f"/{label}/config.json"]  # nothing beyond the bundle's own config was asked for


def test_a_symlink_out_of_a_local_bundle_is_refused(quick_bundle, tmp_path):
    outside = tmp_path / "secret.safetensors"
    outside.write_bytes((quick_bundle / "model.safetensors").read_bytes())
    bundle = tmp_path / "linked"
    bundle.mkdir()
    (bundle / "config.json").write_text((quick_bundle / "config.json").read_text())
    (bundle / "model.safetensors").symlink_to(outside)
    with pytest.raises(BundleError, match=r"'model\.safetensors', which resolves outside the bundle folder"):
        zoo.load(bundle)
    with pytest.raises(BundleError, match="resolves outside"):
        zoo.build("cifar10_quick", num_classes=3, weights=bundle)


def test_a_symlink_served_over_http_is_refused(server, quick_bundle, tmp_path, zoo_cache):
    root, url, _ = server
    (tmp_path / "elsewhere.bin").write_bytes(b"x" * 10)
    _hostile_copy(quick_bundle, root / "linky", files=["model.safetensors", "link.bin"])
    (root / "linky" / "link.bin").symlink_to(tmp_path / "elsewhere.bin")
    with pytest.raises(DownloadError, match="sha256"):  # served bytes are whatever the link held: hash-checked
        zoo.load(f"{url}/linky")
    assert (tmp_path / "elsewhere.bin").read_bytes() == b"x" * 10
    assert all(str(p).startswith(str(zoo_cache)) for p in zoo_cache.rglob("*"))


def test_local_bundle_with_pretrained_kwargs_is_refused_offline_without_network(quick_bundle, tmp_path, monkeypatch):
    hub = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(hub))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    evil = {"pretrained": True, "pretrained_cfg_overlay": {"url": "http://127.0.0.1:9/evil.pth"}}
    bundle = _hostile_copy(quick_bundle, tmp_path / "evil", kwargs={"num_classes": 3, **evil})
    with pytest.raises(BundleError, match=r"model\.kwargs\.pretrained would load weights"):
        zoo.load(bundle)
    with pytest.raises(BundleError, match=r"model\.kwargs\.pretrained"):
        zoo.build("cifar10_quick", num_classes=3, weights=bundle)
    assert not hub.exists()


def test_build_refuses_kwargs_that_fetch_weights_and_save_records_the_source_as_data(tmp_path):
    for kwargs in ({"pretrained": True}, {"checkpoint_path": "x.pth"}, {"pretrained_cfg_overlay": {"file": "x"}}):
        with pytest.raises(InvalidArgumentError, match="would make the builder fetch weights itself; pass weights="):
            zoo.build("timm/resnet18", **kwargs)
    source = zoo.build("cifar10_quick")
    torch.save(source.state_dict(), tmp_path / "w.pth")
    model = zoo.build("cifar10_quick", num_classes=3, weights=tmp_path / "w.pth")
    config = json.loads((zoo.save(model, tmp_path / "b") / "config.json").read_text())
    assert config["model"]["kwargs"] == {"num_classes": 3}
    assert config["model"]["weights_from"] == str(tmp_path / "w.pth")


def test_a_tampered_cached_download_is_refused_offline(server, quick_bundle, zoo_cache, monkeypatch):
    root, url, _ = server
    _hostile_copy(quick_bundle, root / "q")
    zoo.load(f"{url}/q")
    cached = next(zoo_cache.rglob("model.safetensors"))
    data = bytearray(cached.read_bytes())
    data[300] ^= 1
    cached.write_bytes(bytes(data))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(DownloadError, match="failed its sha256 check and ZOO_OFFLINE=1"):
        zoo.load(f"{url}/q")


def test_a_tampered_torch_hub_style_file_is_refused(server, zoo_cache):
    from zoo.weights.sources import fetch_file

    root, url, _ = server
    (root / "w.bin").write_bytes(b"good bytes")
    digest = hashlib.sha256(b"good bytes").hexdigest()
    path = fetch_file(f"{url}/w.bin", sha256=digest[:8])
    path.write_bytes(b"evil bytes")
    (root / "w.bin").unlink()  # cannot be fetched again
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_file(f"{url}/w.bin", sha256=digest[:8])


def test_bundle_files_are_readable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        folder = zoo.save(zoo.build("cifar10_quick"), tmp_path / "shared")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert modes == {"model.safetensors": 0o644, "config.json": 0o644, "README.md": 0o644}


def test_concurrent_loads_of_one_url_never_see_half_written_files(server, quick_bundle, zoo_cache):
    import subprocess
    import sys

    root, url, _ = server
    _hostile_copy(quick_bundle, root / "q")  # an honest copy
    script = (
        "import sys, zoo\n"
        "for _ in range(6):\n"
        "    assert zoo.load(sys.argv[1]).zoo_config['classes'] == ['a', 'b', 'c']\n"
    )
    env = {**os.environ, "ZOO_CACHE_DIR": str(zoo_cache)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, f"{url}/q"], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert not list(zoo_cache.rglob("*.tmp"))
