"""Import hygiene: the core runs without Textual or Rich, and the package has no import
circle. The layer contracts themselves live in pyproject.toml ([tool.importlinter]) and
are checked here too when `lint-imports` (the test extra's import-linter) is installed.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "tui_reader"

# The core: what the CLI, a future sync step or a web front end may use without a terminal.
CORE = (
    "tui_reader.store",
    "tui_reader.feeds",
    "tui_reader.feeds.refresh",
    "tui_reader.feeds.fetch",
    "tui_reader.feeds.parse",
    "tui_reader.feeds.subscribe",
    "tui_reader.feeds.fulltext",
    "tui_reader.models",
    "tui_reader.config",
    "tui_reader.text",
    "tui_reader.render",
    "tui_reader.query",
    "tui_reader.search",
    "tui_reader.opml",
    "tui_reader.importing",
    "tui_reader.podcasts.queue",
    "tui_reader.podcasts.player",
    "tui_reader.podcasts.setup",
    "tui_reader.notify",
    "tui_reader.bookmark",
    "tui_reader.external",
)


def _env() -> dict[str, str]:
    """The environment of a child Python that imports this checkout's sources first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_neither_textual_nor_rich(module: str) -> None:
    """Each core module, imported alone in a fresh interpreter, leaves Textual and Rich
    unloaded (a module cache shared with other tests would hide an import)."""
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module} imports {result.stdout.strip()}"


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere in its text (top level,
    functions and `TYPE_CHECKING` blocks alike: a circle there is still a circle)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    names = {name for name, _ in modules}
    graph: dict[str, set[str]] = {}
    for (name, is_package), path in modules.items():
        package = name.split(".") if is_package else name.split(".")[:-1]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = package[: len(package) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    if candidate in names:
                        edges.add(candidate)
                    elif base in names:
                        edges.add(base)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in names)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle() -> None:
    graph = import_graph()
    assert "tui_reader.screens.main.screen" in graph  # the graph was read
    assert cycles(graph) == []


def test_import_contracts() -> None:
    """The contracts in pyproject.toml: core below the UI, widgets below screens."""
    lint_imports = shutil.which("lint-imports") or shutil.which(
        "lint-imports", path=str(Path(sys.executable).parent)
    )
    if lint_imports is None:
        pytest.skip("lint-imports is not installed: pip install -e '.[test]' brings it")
    result = subprocess.run(
        [lint_imports, "--no-cache"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=SRC.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
