"""Shared fixtures: an isolated zoo cache, small helpers to run the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
def zoo_cli():
    return run_zoo


@pytest.fixture
def cli(capsys):
    """Run ``zoo ARGS`` in this process (argparse, error printing and exit codes as in the console script).

    Returns ``(exit_code, stdout, stderr)``; much faster than a subprocess for checking one error line.
    """
    from zoo.cli import main

    def run(*args: str):
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse rejects bad arguments this way
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


def error_line(err: str) -> str:
    """The single ``error:`` line a failing command printed (log lines before it are fine; no traceback)."""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert err.rstrip().splitlines()[-1] == errors[0], err  # the error is the last thing said
    return errors[0]
