"""Shared fixtures: an isolated zoo cache, small helpers to run the CLI in a subprocess."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if os.environ.get("PYTEST_XDIST_WORKER"):  # two test processes share the cores: one thread each, children too
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def zoo_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty ZOO_CACHE_DIR and Hugging Face cache, and starts online."""
    cache = tmp_path_factory.mktemp("zoo-cache")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(cache))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path_factory.mktemp("hf-cache")))
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return cache


def run_zoo(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300):
    """Run ``python -m zoo ARGS`` in a fresh process; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "zoo", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def zoo_cli(capsys):
    """Run ``zoo ARGS`` through ``zoo.cli.main`` in this process, as the console script does (argparse, error
    printing, exit codes), with ``cwd`` and ``env`` applied for the call; returns a CompletedProcess.

    A fresh interpreter costs ~5 s here (importing torch); tests that need a real process (kill -9, torchrun,
    pipes, two processes at once) start one themselves with ``run_zoo`` or ``subprocess``.
    """
    import traceback

    from zoo.cli import main

    def run(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float | None = None):
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        os.environ.update(env or {})
        if cwd is not None:
            os.chdir(cwd)
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own exits
            code = exc.code if isinstance(exc.code, int) else 2
        except Exception:  # noqa: BLE001 - printed as the interpreter would (zoo --debug)
            print(traceback.format_exc(), file=sys.stderr)
            code = 1
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


@pytest.fixture
def cli(zoo_cli):
    """``zoo ARGS`` in this process as ``(exit_code, stdout, stderr)``."""

    def run(*args: str):
        result = zoo_cli(*args)
        return result.returncode, result.stdout, result.stderr

    return run


def error_line(err: str) -> str:
    """The single ``error:`` line a failing command printed (log lines before it are fine; no traceback)."""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert err.rstrip().splitlines()[-1] == errors[0], err  # the error is the last thing said
    return errors[0]


# -- a Hugging Face cache as huggingface_hub lays it out, holding a checkpoint timm itself wrote ----------------
def hf_cache_layout(cache: Path, repo_id: str, files: Path, commit: str = "0" * 40) -> Path:
    """``files`` placed as huggingface_hub caches a repo: blobs named by hash, snapshot symlinks, refs/main."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    for path in files.iterdir():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()  # LFS blobs are named by their sha256
        shutil.copyfile(path, repo / "blobs" / digest)
        (snapshot / path.name).symlink_to(Path("..") / ".." / "blobs" / digest)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


@pytest.fixture(scope="session")
def resnet18_files(tmp_path_factory) -> Path:
    """A resnet18 checkpoint as timm publishes it (``save_for_hf``), with known random weights."""
    import timm
    import torch

    torch.manual_seed(0)
    model = timm.create_model("resnet18", num_classes=1000)
    folder = tmp_path_factory.mktemp("hf-upload")
    timm.models.save_for_hf(model, str(folder), safe_serialization=True)
    return folder


@pytest.fixture
def hf_cache(resnet18_files, monkeypatch, tmp_path):
    """The Hugging Face cache (HF_HUB_CACHE) holding timm/resnet18.a1_in1k; offline, as in every test here."""
    import huggingface_hub.constants as constants

    cache = Path(os.environ["HF_HUB_CACHE"])
    hf_cache_layout(cache, "timm/resnet18.a1_in1k", resnet18_files)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))  # timm's calls read it from huggingface_hub
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    return cache
