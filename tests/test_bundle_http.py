"""Bundles over HTTP from a real server on 127.0.0.1, then offline from the cache."""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch

import zoo
from zoo.errors import DownloadError


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_load_over_http_then_offline_from_cache(server, monkeypatch, zoo_cache):
    root, url = server
    model = zoo.build("cifar10_quick", num_classes=3)
    zoo.save(model, root / "quick", classes=["a", "b", "c"])
    x = torch.randn(2, 3, 32, 32)
    loaded = zoo.load(f"{url}/quick")
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))
    assert loaded.zoo_config["classes"] == ["a", "b", "c"]

    (root / "quick" / "model.safetensors").unlink()  # the server can no longer serve it
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    again = zoo.load(f"{url}/quick/")
    with torch.no_grad():
        assert torch.equal(again(x), loaded(x))
    assert not list(zoo_cache.rglob("*.tmp"))

    with pytest.raises(DownloadError, match=r"ZOO_OFFLINE=1 and 'config\.json'.*/other/config\.json"):
        zoo.load(f"{url}/other")


def test_http_404_and_tampered_download(server):
    root, url = server
    with pytest.raises(DownloadError, match=r"download of .*/missing/config\.json failed: HTTP 404"):
        zoo.load(f"{url}/missing")
    zoo.save(zoo.build("cifar10_quick"), root / "q")
    data = bytearray((root / "q" / "model.safetensors").read_bytes())
    data[100] ^= 1
    (root / "q" / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(zoo.ZooError, match="sha256"):
        zoo.load(f"{url}/q")


def test_build_with_a_url_of_a_weights_file(server):
    root, url = server
    source = zoo.build("cifar10_quick")
    torch.save(source.state_dict(), root / "q.pth")
    model = zoo.build("cifar10_quick", weights=f"{url}/q.pth")
    assert torch.equal(model.model1[0].weight, source.model1[0].weight)


def test_a_server_that_never_answers_times_out_clearly(monkeypatch, zoo_cache):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never replies
    monkeypatch.setenv("ZOO_HTTP_TIMEOUT", "0.5")
    try:
        with pytest.raises(DownloadError, match=r"config\.json failed: no answer within 0\.5 s \(timed out\)"):
            zoo.load(f"http://127.0.0.1:{silent.getsockname()[1]}/quick")
    finally:
        silent.close()
    assert not list(zoo_cache.rglob("*.tmp")) and not list(zoo_cache.rglob("config.json"))


def test_a_damaged_cached_copy_is_downloaded_again(server, zoo_cache):
    root, url = server
    model = zoo.build("cifar10_quick")
    zoo.save(model, root / "q")
    zoo.load(f"{url}/q")
    cached = next(zoo_cache.rglob("model.safetensors"))
    data = bytearray(cached.read_bytes())
    data[200] ^= 1  # same size, different bytes
    cached.write_bytes(bytes(data))
    again = zoo.load(f"{url}/q")
    assert torch.equal(again.model1[0].weight, model.model1[0].weight)
    assert cached.read_bytes() == (root / "q" / "model.safetensors").read_bytes()
