"""The grading tools' versions: the one table every other copy is derived from or tested against.

- The tools image installs `TOOL_PINS` (sandbox/images.py), so a pin is part of every image tag.
- Each grader's provenance string (`CategoryResult.tool`, the report's `provenance.tools`) is
  `tool_label(name)`, so a report names the version its image ran.
- The host copies in `pyproject.toml` (used by `takehome doctor`, the benchmark baseline and the
  graders' self-checks) cannot import this table; tests/graders/test_values.py fails when a pin
  there differs from the one here.

This module sits at the bottom of the layering (graders import it) and imports nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["TOOL_PINS", "TOOL_VERSIONS", "tool_label"]

#: Tool (its PyPI name) to the exact version graded with. Bump a version here only.
TOOL_VERSIONS: Mapping[str, str] = MappingProxyType(
    {
        "pytest": "9.2.0",
        "coverage": "7.17.3",
        "ruff": "0.17.5",
        "radon": "6.0.1",
        "bandit": "1.9.4",
    }
)

#: The same table as requirement specifiers (`name==version`), in the table's order.
TOOL_PINS: tuple[str, ...] = tuple(f"{name}=={version}" for name, version in TOOL_VERSIONS.items())


def tool_label(name: str) -> str:
    """`"<name> <version>"`, the provenance string of a pinned tool; `KeyError` if unpinned."""
    return f"{name} {TOOL_VERSIONS[name]}"
