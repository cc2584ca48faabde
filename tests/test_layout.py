"""The shape of the code: no module over 300 lines, no function over 40, no import cycle, and the sandbox written
apart from the client side it stands in for.

Imports count wherever they are written (under ``TYPE_CHECKING``, inside a function). Importing ``a.b.c`` runs the
packages ``a`` and ``a.b`` first, so an import also depends on those of the target's packages the importer is not
already inside: ``http`` importing ``providers.base`` depends on ``providers/__init__.py`` too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "server" / "agent_threads"
CHECKED = [PACKAGE, ROOT / "tests", ROOT / "bench", ROOT / "scripts"]
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40


def _files() -> Iterator[Path]:
    for folder in CHECKED:
        yield from sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> Iterator[str]:
    """The project modules one import statement names (a ``from x import y`` names ``x.y`` when that is a module)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        base = f"{anchor}.{base}" if base else anchor
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def _depends(module: str, target: str) -> set[str]:
    """The target and its packages, less the packages ``module`` is itself inside (those already run)."""
    inside = {module.rsplit(".", n)[0] for n in range(module.count(".") + 1)}
    chain = [target.rsplit(".", n)[0] for n in range(target.count(".") + 1)]
    return {m for m in chain if m not in inside}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, is_package, node, known):
                    edges |= {m for m in _depends(module, target) if m in known}
        graph[module] = edges - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_is_over_300_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _files() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_over_40_lines() -> None:
    long: dict[str, int] = {}
    for path in _files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if (size := (node.end_lineno or start) - start + 1) > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = size
    assert long == {}


def test_no_import_cycle_counting_type_checking_and_package_imports() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_a_cycle_through_a_package_init() -> None:
    graph = {"a.http": {"a.providers", "a.providers.base"}, "a.providers": {"a.http"}, "a.providers.base": set()}
    assert cycles(graph) == [["a.http", "a.providers"]]
    assert _depends("a.http", "a.providers.base") == {"a.providers", "a.providers.base"}
    assert _depends("a.tools.read", "a.tools.args") == {"a.tools.args"}


@pytest.mark.parametrize("forbidden", ["agent_threads.auth", "agent_threads.providers"])
def test_the_sandbox_imports_nothing_from_the_side_it_checks(forbidden: str) -> None:
    graph = import_graph()
    sandbox = [m for m in graph if m.startswith("agent_threads.sandbox")]
    assert sandbox and not [(m, t) for m in sandbox for t in graph[m] if t.startswith(forbidden)]
