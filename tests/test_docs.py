"""Every code block marked ``<!-- run -->`` in docs/ and README.md is executed; a following block marked
``<!-- output -->`` must match what it printed. Blocks of one page share a namespace and a working folder."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md"))
FENCE = re.compile(r"<!-- (run|output) -->\s*\n```(\w+)[^\n]*\n(.*?)\n```", re.S)


def blocks(page: Path) -> list[tuple[str, str, str]]:
    """``(kind, language, code)`` for each marked block, in page order."""
    return [(m.group(1), m.group(2), m.group(3)) for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


def run_python(code: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<doc>", "exec"), namespace)
    return out.getvalue()


def run_bash(code: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-e", "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, f"doc command failed:\n{code}\n{result.stderr[-2000:]}"
    return result.stdout


def run_page(page: Path) -> int:
    """Execute the page's marked blocks; returns how many ran."""
    namespace: dict = {"__name__": "__doc__"}
    printed, ran = None, 0
    for kind, language, code in blocks(page):
        if kind == "output":
            assert printed is not None, f"{page.name}: an output block with no run block before it"
            assert printed.strip() == code.strip(), f"{page.name}: printed\n{printed}\nexpected\n{code}"
            continue
        ran += 1
        printed = run_python(code, namespace) if language == "python" else run_bash(code)
    return ran


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_doc_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    run_page(page)


def test_readme_examples_run(tmp_path, monkeypatch, hf_cache):
    """The README's snippets, each standalone: offline, with the pretrained tag's files in the HF cache (as
    huggingface_hub lays them out) and the repository's examples/ at hand, as in a checkout."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    assert run_page(ROOT / "README.md") == 4


def test_docs_have_runnable_examples():
    assert sum(len([b for b in blocks(p) if b[0] == "run"]) for p in PAGES) >= 20


def test_a_broken_example_fails(tmp_path, monkeypatch):
    """The harness really fails: a page whose printed output differs from its output block."""
    page = tmp_path / "broken.md"
    page.write_text("<!-- run -->\n```python\nprint(1 + 1)\n```\n<!-- output -->\n```text\n3\n```\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError) as failure:
        run_page(page)
    assert "broken.md: printed" in str(failure.value) and "3" in str(failure.value)
