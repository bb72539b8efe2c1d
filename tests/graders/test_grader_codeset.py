"""`graders._codeset`: test code is decided by the static import graph, not by file names."""

from __future__ import annotations

import pytest

from graders._codeset import code_set, looks_like_test


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_a.py", True),
        ("pkg/tests/helpers.py", True),
        ("pkg/test_helpers.py", True),
        ("pkg/helpers_test.py", True),
        ("conftest.py", True),
        ("pkg/helpers.py", False),
        ("pkg/testing.py", False),
        ("pkg/contest.py", False),
    ],
)
def test_looks_like_test(path: str, expected: bool) -> None:
    assert looks_like_test(path) is expected


def test_honest_layout() -> None:
    sources = {
        "calc/__init__.py": b"from calc.ops import add\n",
        "calc/ops.py": b"def add(a, b):\n    return a + b\n",
        "tests/__init__.py": b"",
        "tests/conftest.py": b"import pytest\n",
        "tests/helpers.py": b"",
        "tests/test_ops.py": b"from calc import add\nfrom tests.helpers import x\n",
        "README.md": b"# calc\n",
    }
    codes = code_set(sources)
    assert codes.production == ("calc/__init__.py", "calc/ops.py")
    tests = ("tests/__init__.py", "tests/conftest.py", "tests/helpers.py", "tests/test_ops.py")
    assert codes.tests == tests
    assert codes.python == tuple(sorted((*codes.production, *tests)))


@pytest.mark.parametrize(
    ("helper", "importer_line"),
    [
        ("calc/tests/helpers.py", b"from calc.tests.helpers import run\n"),
        ("calc/tests/helpers.py", b"from calc.tests import helpers\n"),
        ("calc/tests/helpers.py", b"from .tests import helpers\n"),
        ("calc/tests/helpers.py", b"import calc.tests.helpers\n"),
        ("calc/test_helpers.py", b"from calc.test_helpers import run\n"),
        ("calc/test_helpers.py", b"from . import test_helpers\n"),
        ("calc/conftest.py", b"from .conftest import run\n"),
        ("conftest.py", b"from conftest import run\n"),
        (
            "calc/helpers_test.py",
            b"import importlib\nimportlib.import_module('calc.helpers_test')\n",
        ),
        # sys.path tricks: a name found under no root matches by its dotted suffix.
        (
            "calc/tests/helpers.py",
            b"import sys\nsys.path.insert(0, 'calc/tests')\nimport helpers\n",
        ),
        # A file ast cannot parse (3.12 syntax on a 3.11 host) still shows its imports.
        (
            "calc/tests/helpers.py",
            b"type X = int\nfrom calc.tests.helpers import (\n    run,\n)\n",
        ),
    ],
)
def test_imported_by_production_is_production(helper: str, importer_line: bytes) -> None:
    sources = {
        "calc/__init__.py": b"",
        "calc/ops.py": importer_line,
        helper: b"import subprocess\nfrom calc.tests.deep import more\n",
        "calc/tests/deep.py": b"",
        "calc/tests/test_ops.py": b"import calc.ops\n",
    }
    if helper.startswith("calc/tests/"):
        sources["calc/tests/__init__.py"] = b""
    codes = code_set(sources)
    assert helper in codes.production
    assert "calc/tests/deep.py" in codes.production  # transitively
    assert "calc/tests/test_ops.py" in codes.tests
    if "calc/tests/__init__.py" in sources:
        assert "calc/tests/__init__.py" in codes.production  # the package it runs


def test_namespace_test_folder_and_pytest_base_folder() -> None:
    sources = {
        "app.py": b"from tests.util import helper\n",
        "tests/util.py": b"from fixtures import data\n",  # pytest puts tests/ on sys.path
        "tests/fixtures.py": b"",
        "tests/test_app.py": b"import app\n",
    }
    codes = code_set(sources)
    assert codes.production == ("app.py", "tests/fixtures.py", "tests/util.py")
    assert codes.tests == ("tests/test_app.py",)


def test_test_looking_file_nothing_loads_is_production() -> None:
    # The test run never imports it, so calling it a test would only hide it.
    sources = {"app.py": b"", "tests/orphan.py": b"import pickle\n", "tests/test_a.py": b""}
    codes = code_set(sources)
    assert codes.production == ("app.py", "tests/orphan.py")
    assert codes.tests == ("tests/test_a.py",)


def test_src_layout_and_non_python_files() -> None:
    sources = {
        "src/pkg/__init__.py": b"from pkg.tests import helpers\n",
        "src/pkg/tests/__init__.py": b"",
        "src/pkg/tests/helpers.py": b"",
        "src/pkg/tests/test_x.py": b"",
        "src/pkg/tests/data.json": b"{}",
    }
    codes = code_set(sources)
    assert "src/pkg/tests/helpers.py" in codes.production
    assert codes.tests == ("src/pkg/tests/test_x.py",)
    assert "src/pkg/tests/data.json" not in codes.python
