"""The sandbox package's shape: its modules import each other without a cycle, and
`DockerSandbox` shows nothing beyond the `Sandbox` protocol."""

from __future__ import annotations

import ast
import graphlib
import inspect
from pathlib import Path

import sandbox
from sandbox.docker import DockerSandbox
from sandbox.spec import Sandbox

_PACKAGE = Path(sandbox.__file__).parent


def _sandbox_imports(path: Path) -> set[str]:
    """The sandbox modules `path` imports anywhere in it (TYPE_CHECKING blocks and function
    bodies included: a cycle hidden there is still a cycle)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in _modules()}


def _modules() -> set[str]:
    return {
        "sandbox" if p.stem == "__init__" else f"sandbox.{p.stem}" for p in _PACKAGE.glob("*.py")
    }


def _graph() -> dict[str, set[str]]:
    return {
        "sandbox" if p.stem == "__init__" else f"sandbox.{p.stem}": _sandbox_imports(p)
        for p in _PACKAGE.glob("*.py")
    }


def test_the_graph_is_read() -> None:
    graph = _graph()
    # Known edges: if these were not found, an empty graph would pass the cycle test.
    assert "sandbox._engine" in graph["sandbox.docker"]
    assert "sandbox._engine" in graph["sandbox.service"]
    assert "sandbox.spec" in graph["sandbox._engine"]


def test_sandbox_modules_import_without_a_cycle() -> None:
    graph = _graph()
    order = list(graphlib.TopologicalSorter(graph).static_order())  # CycleError on a cycle
    assert set(order) == _modules()


def test_the_service_is_built_on_the_engine_not_on_docker_sandbox() -> None:
    assert "sandbox.docker" not in _graph()["sandbox.service"]


def test_docker_sandbox_shows_only_the_protocol() -> None:
    def public(cls: type) -> set[str]:
        return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}

    assert public(DockerSandbox) == public(Sandbox)
