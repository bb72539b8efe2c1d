"""Test helpers of the graders: a host sandbox running the real pinned tools, and fixture repos.

`HostSandbox` (tests/hostsandbox.py) makes tool output in these tests real output, not a
hand-written imitation. It isolates nothing: only ever give it fixture code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostsandbox import HostSandbox

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "graders"


def load_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` by POSIX relative path; `x.py.txt` is loaded as `x.py`.

    Fixture Python files carry `.txt` so that the project's own pytest, ruff and mypy never
    collect, lint or import them (some are hostile on purpose: a candidate `conftest.py`, ...).
    """
    tree: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            tree[rel.removesuffix(".txt") if rel.endswith(".py.txt") else rel] = path.read_bytes()
    return tree


@pytest.fixture
def host_sandbox(tmp_path_factory: pytest.TempPathFactory) -> HostSandbox:
    """A `HostSandbox` in a fresh temporary directory.

    Not `tmp_path`: its name contains the test's name (`test_...`). The graders decide test code
    on paths relative to the snapshot (graders/_codeset.py), but a host path that looks like a
    test folder must not be what makes a case pass.
    """
    return HostSandbox(tmp_path_factory.mktemp("hostsandbox"))


@pytest.fixture
def repo() -> Callable[[str], dict[str, bytes]]:
    """Load a fixture repository by its path under `tests/fixtures/graders/`."""
    return lambda name: load_tree(FIXTURES / name)
