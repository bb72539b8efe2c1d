"""The candidate's declared dependencies against what the challenge allows.

Candidate code runs with no network, so only the challenge's `[dependencies] allowed` (baked
into its image) and the grading tools can be imported. A requirement the candidate declares
beyond that set is not installed; rather than a mysterious `ImportError` deep in a test log, the
report carries a verdict naming each one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping

from graders.model import Verdict, VerdictKind
from sandbox.images import TOOL_PINS

__all__ = ["declared_requirements", "undeclared_verdicts"]

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_FILES = (
    "requirements.txt",
    "requirements-dev.txt",
    "requirements/base.txt",
    "requirements/dev.txt",
)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names_from_lines(lines: Iterable[str]) -> set[str]:
    names = set()
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue  # options (-r, -e, --index-url) are not followed: nothing is fetched
        match = _NAME.match(line)
        if match:
            names.add(_normalise(match.group(1)))
    return names


def declared_requirements(sources: Mapping[str, bytes]) -> set[str]:
    """Normalised names the repository asks for in requirements files and `pyproject.toml`."""
    names: set[str] = set()
    for path in _FILES:
        if path in sources:
            names |= _names_from_lines(sources[path].decode(errors="replace").splitlines())
    if "pyproject.toml" in sources:
        try:
            project = tomllib.loads(sources["pyproject.toml"].decode(errors="replace")).get(
                "project", {}
            )
        except tomllib.TOMLDecodeError:
            project = {}
        deps = project.get("dependencies", []) if isinstance(project, dict) else []
        names |= _names_from_lines(d for d in deps if isinstance(d, str))
    return names


def undeclared_verdicts(sources: Mapping[str, bytes], allowed: Iterable[str]) -> list[Verdict]:
    """One verdict listing the declared requirements the grading image does not have."""
    available = _names_from_lines([*allowed, *TOOL_PINS])
    missing = sorted(declared_requirements(sources) - available)
    if not missing:
        return []
    allows = ", ".join(sorted(_names_from_lines(allowed))) or "nothing beyond the standard library"
    detail = (
        f"not installed in the grading image (no network at run time): {', '.join(missing)}; "
        f"the challenge allows: {allows}"
    )
    return [Verdict(kind=VerdictKind.DEPENDENCY_NOT_ALLOWED, step="intake", detail=detail)]
