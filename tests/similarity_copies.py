"""Disguised copies of real code for the similarity tests: what a candidate copying a solution
would do to hide it.

`disguised(files)` renames every name the files define (functions, classes, parameters, local
and module variables, and the imports of them across the files) to meaningless ones through the
`ast` module, unparses the result (comments gone, quotes and line breaks redone) and formats it
with ruff at another line length and indent width: no line of the copy is left as it was.
"""

from __future__ import annotations

import ast
import builtins
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["disguised", "renamed"]

_KEEP = frozenset(dir(builtins)) | {"self", "cls", "__name__", "__all__", "__doc__"}


class _Definitions(ast.NodeVisitor):
    """Every name bound in the code: defs, classes, parameters, assignment targets."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.names.add(node.name)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.names.add(node.name)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self.names.add(node.arg)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self.names.add(node.id)


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.mapping.get(node.arg, node.arg)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node

    def visit_alias(self, node: ast.alias) -> ast.alias:
        node.name = self.mapping.get(node.name, node.name)
        return node


def renamed(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The Python files of `files` with every name they define renamed (`v0`, `v1`, ...) and
    unparsed by `ast`; other files as they are."""
    trees = {p: ast.parse(d) for p, d in files.items() if p.endswith(".py")}
    finder = _Definitions()
    for tree in trees.values():
        finder.visit(tree)
    mapping = {name: f"v{n}" for n, name in enumerate(sorted(finder.names - _KEEP))}
    out = dict(files)
    for path, tree in trees.items():
        out[path] = (ast.unparse(_Rename(mapping).visit(tree)) + "\n").encode()
    return out


def _ruff_format(files: dict[str, bytes], line_length: int, indent: int) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for path, data in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)
        config = f"line-length = {line_length}\nindent-width = {indent}\n"
        (root / "ruff.toml").write_text(config)
        ruff = Path(sys.executable).with_name("ruff")
        subprocess.run(
            [str(ruff), "format", "--config", str(root / "ruff.toml"), str(root)],
            check=True,
            capture_output=True,
        )
        return {path: (root / path).read_bytes() for path in files}


def disguised(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """`renamed(files)`, then formatted by ruff with line length 60 and a 2-space indent."""
    return _ruff_format(renamed(files), line_length=60, indent=2)
