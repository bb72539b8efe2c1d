"""Which of the candidate's Python files are production code and which are their tests.

Test code is decided here, by the grader, and every analyser uses the same answer: bandit's and
radon's targets, the files coverage measures, and the files style counts lines over. A path that
*looks* like a test (a `tests/` folder anywhere, `test_*.py`, `*_test.py`, `conftest.py`) is only a
hint; what decides is the import graph, worked out statically with `ast` over the snapshot (no
candidate code runs for this):

1. Production code is every file that does not look like a test, plus every module it imports,
   directly or transitively, wherever that module lives: `pkg/tests/helpers.py` imported by
   `pkg/calc.py` is production code.
2. The test run's entry points are the remaining files pytest would import by name (`test_*.py`,
   `*_test.py`, `conftest.py`); the candidate's tests are those plus the test-looking modules they
   import that production does not.
3. A test-looking file that neither production nor the tests import is production code too: the
   test run never loads it, so calling it a test would only hide it (for example behind an
   `importlib.import_module` with a computed name, which static analysis cannot follow).

An import is followed to every snapshot file it could load: `import a.b.c` loads `a/__init__.py`,
`a/b/__init__.py` and `a/b/c.py`; `from a.b import c` also `a/b/c.py` when `c` is a module;
relative imports resolve against the importer's package; importing a module also runs its packages'
`__init__.py`. Absolute names are looked up from the repository root, from `src/`, and from the
importer's own base folder (the first folder upwards without `__init__.py`, which is what pytest
and `python file.py` put on `sys.path`); a name found in none of them (a `sys.path` trick) matches
every file whose dotted path ends with it. `importlib.import_module("...")` and `__import__("...")`
with a literal name count as imports. A file `ast` cannot parse is scanned for import statements
line by line, so a syntax error cannot hide what it imports.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["CodeSet", "code_set", "looks_like_test"]

_TEST_DIR = "tests"
_ROOTS = ("", "src")
_DYNAMIC_IMPORTS = frozenset({"import_module", "__import__"})
_IMPORT_LINE = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.MULTILINE)
_FROM_LINE = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t(\\]+([\w\s,]+)", re.M)
_DYNAMIC_LINE = re.compile(r"(?:import_module|__import__)\(\s*['\"]([\w.]+)['\"]")


@dataclass(frozen=True)
class CodeSet:
    """The candidate's `.py` files split in two; each tuple is sorted, the two are disjoint."""

    production: tuple[str, ...]
    tests: tuple[str, ...]

    @property
    def python(self) -> tuple[str, ...]:
        """Every `.py` file of the snapshot (what style lints and counts lines over)."""
        return tuple(sorted((*self.production, *self.tests)))


def looks_like_test(path: str) -> bool:
    """True for a path named like test code: under a `tests/` folder, `test_*.py`, `*_test.py`
    or `conftest.py` (a hint only; `code_set` decides)."""
    *folders, base = path.split("/")
    return _TEST_DIR in folders or _is_entry_name(base)


def code_set(sources: Mapping[str, bytes]) -> CodeSet:
    """Split the snapshot's `.py` files into production code and tests (module docstring)."""
    return _code_set(tuple(sorted((p, c) for p, c in sources.items() if p.endswith(".py"))))


# Each grader asks for the same snapshot's split in `steps()` and `grade()`: parse it once.
@functools.lru_cache(maxsize=4)
def _code_set(python: tuple[tuple[str, bytes], ...]) -> CodeSet:
    graph = _Graph(dict(python))
    files = graph.files
    production = graph.closure(p for p in files if not looks_like_test(p))
    entries = [p for p in files if p not in production and _is_entry_name(p.rsplit("/", 1)[-1])]
    tests = graph.closure(entries) - production
    orphans = [p for p in files if p not in production and p not in tests]
    production = graph.closure([*production, *orphans])
    return CodeSet(production=tuple(sorted(production)), tests=tuple(sorted(tests - production)))


def _is_entry_name(base: str) -> bool:
    return base == "conftest.py" or (
        base.endswith(".py") and (base.startswith("test_") or base.endswith("_test.py"))
    )


@dataclass(frozen=True)
class _Import:
    """One import statement: `level` leading dots, the module, and the names taken from it."""

    level: int
    module: str
    names: tuple[str, ...] = ()


class _Graph:
    """The snapshot's static import graph: which files each file loads."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = frozenset(files)
        self._folders = frozenset(f for path in files for f in _folders_of(path))
        self._sources = files
        self._edges: dict[str, frozenset[str]] = {}
        self._suffixes: dict[str, set[str]] | None = None

    def closure(self, seeds: Iterable[str]) -> set[str]:
        """`seeds` and every file they load, transitively."""
        seen: set[str] = set()
        todo = list(seeds)
        while todo:
            path = todo.pop()
            if path not in seen:
                seen.add(path)
                todo.extend(self._loads(path) - seen)
        return seen

    def _loads(self, path: str) -> frozenset[str]:
        if path not in self._edges:
            found = set(self._packages_of(path))
            for imp in _imports(self._sources[path]):
                found |= self._resolve(path, imp)
            self._edges[path] = frozenset(found)
        return self._edges[path]

    def _packages_of(self, path: str) -> Iterator[str]:
        """The `__init__.py` files importing `path` as a module runs, up to its base folder."""
        folder = _parent(path)
        while f"{folder}__init__.py" in self.files:
            yield f"{folder}__init__.py"
            if not folder:
                return
            folder = _parent(folder.rstrip("/"))

    def _base(self, path: str) -> str:
        folder = _parent(path)
        while folder and f"{folder}__init__.py" in self.files:
            folder = _parent(folder.rstrip("/"))
        return folder

    def _resolve(self, importer: str, imp: _Import) -> set[str]:
        if imp.level:
            package = _parent(importer)
            for _ in range(imp.level - 1):
                package = _parent(package.rstrip("/"))
            return self._module(package, imp.module, imp.names)
        bases = {f"{root}/" if root else "" for root in _ROOTS} | {self._base(importer)}
        found: set[str] = set()
        for base in bases:
            found |= self._module(base, imp.module, imp.names)
        return found or self._by_suffix(imp.module, imp.names)

    def _module(self, base: str, module: str, names: tuple[str, ...]) -> set[str]:
        """Files that `from <module> import <names>` loads with `base` on `sys.path`."""
        found: set[str] = set()
        folder = base
        for part in module.split(".") if module else ():
            files = self._one(folder, part)
            if not files and f"{folder}{part}" not in self._folders:
                return found
            found |= files
            folder = f"{folder}{part}/"
        for name in names:
            found |= self._one(folder, name)
        if not module:
            found |= {f"{folder}__init__.py"} & self.files
        return found

    def _one(self, folder: str, name: str) -> set[str]:
        return {f"{folder}{name}.py", f"{folder}{name}/__init__.py"} & self.files

    def _by_suffix(self, module: str, names: tuple[str, ...]) -> set[str]:
        if not module:
            return set()
        if self._suffixes is None:
            self._suffixes = {}
            for path in self.files:
                parts = path.removesuffix(".py").removesuffix("/__init__").split("/")
                for start in range(len(parts)):
                    self._suffixes.setdefault(".".join(parts[start:]), set()).add(path)
        found: set[str] = set()
        for wanted in (module, *(f"{module}.{n}" for n in names)):
            found |= self._suffixes.get(wanted, set())
        return found


def _folders_of(path: str) -> Iterator[str]:
    """`a/b/c.py` -> `a/b`, `a`."""
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        yield path


def _parent(path: str) -> str:
    """The folder of `path` with a trailing slash, `""` at the root."""
    return path.rsplit("/", 1)[0] + "/" if "/" in path else ""


def _imports(source: bytes) -> list[_Import]:
    if b"import" not in source and b"coding" not in source:
        # No import statement, `import_module` or `__import__`, and no encoding cookie that
        # could spell one differently (a `# coding: utf-7` file): nothing to parse.
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _scan(source.decode("utf-8", errors="replace"))
    found = [imp for node in _statements(tree.body) for imp in _statement_imports(node)]
    # Walking every expression is the slow part: only for a file that names a dynamic import.
    if b"import_module" in source or b"__import__" in source:
        found += [_literal_import(name) for name in _dynamic_imports(tree)]
    return found


def _dynamic_imports(tree: ast.Module) -> Iterator[str]:
    """The literal names of `import_module("...")` and `__import__("...")` calls."""
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and _is_dynamic_import(call):
            arg = call.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value


def _statement_imports(node: ast.stmt) -> list[_Import]:
    if isinstance(node, ast.Import):
        return [_Import(0, alias.name) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        names = tuple(alias.name for alias in node.names if alias.name != "*")
        return [_Import(node.level, node.module or "", names)]
    return []


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in `body` and in the blocks nested in it (not inside expressions)."""
    todo = list(body)
    while todo:
        node = todo.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, ()):
                if isinstance(child, ast.stmt):
                    todo.append(child)
                elif isinstance(child, ast.ExceptHandler | ast.match_case):
                    todo.extend(child.body)


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name in _DYNAMIC_IMPORTS and bool(node.args)


def _literal_import(name: str) -> _Import:
    module = name.lstrip(".")
    return _Import(len(name) - len(module), module)


def _scan(text: str) -> list[_Import]:
    """Import statements of a file `ast` cannot parse, found line by line."""
    found = [
        _Import(0, name.split()[0])
        for match in _IMPORT_LINE.finditer(text)
        for name in match[1].split(",")
        if name.split()
    ]
    for match in _FROM_LINE.finditer(text):
        names = tuple(n.split()[0] for n in match[3].split(",") if n.split())
        found.append(_Import(len(match[1]), match[2], names))
    found += [_literal_import(m[1]) for m in _DYNAMIC_LINE.finditer(text)]
    return found
