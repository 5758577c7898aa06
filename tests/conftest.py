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
    """Every test gets its own empty ZOO_CACHE_DIR and starts online."""
    cache = tmp_path_factory.mktemp("zoo-cache")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(cache))
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
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
