"""The shape of the house: no import circles inside zoo/, no module over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ZOO = Path(__file__).resolve().parents[1] / "zoo"


def modules() -> dict[str, tuple[Path, bool]]:
    """``{"zoo.training.trainer": (path, is_package)}`` for every module of zoo/."""
    found = {}
    for path in ZOO.rglob("*.py"):
        parts = list(path.relative_to(ZOO.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def imports(name: str, path: Path, package: bool, known: dict) -> set[str]:
    """The zoo modules ``name`` imports when it runs (function-level imports too; ``if TYPE_CHECKING:`` blocks,
    which never run, not)."""
    found: set[str] = set()

    def absolute(level: int, module: str | None) -> str:
        if not level:
            return module or ""
        base = name.split(".") if package else name.split(".")[:-1]
        base = base[: len(base) - level + 1]
        return ".".join([*base, module] if module else base)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            target = absolute(node.level, node.module)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in known and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return found


def test_the_import_graph_has_no_circles():
    known = modules()
    graph = {name: imports(name, path, package, known) for name, (path, package) in known.items()}
    assert graph["zoo.training.trainer"] >= {"zoo.training.run_folder", "zoo.data.build"}  # the reader works
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(ZOO)): len(p.read_text(encoding="utf-8").splitlines()) for p in ZOO.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 400} == {}
