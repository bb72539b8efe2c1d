"""The grader registry: a typed dict from name to grader, à la starlette's `convertors.py`.

The built-in graders are registered explicitly, in `_BUILT_INS` below, and nowhere else. Another
grader joins through `register()`; a name can be registered once.
"""

from __future__ import annotations

from graders.base import Grader
from graders.complexity import ComplexityGrader
from graders.coverage import CoverageGrader
from graders.security import SecurityGrader
from graders.style import StyleGrader
from graders.tests import TestsGrader

__all__ = ["DuplicateGrader", "UnknownGrader", "all_graders", "get", "register"]


class UnknownGrader(LookupError):
    """No grader is registered under the requested name."""


class DuplicateGrader(ValueError):
    """A grader with this name is already registered."""


_GRADERS: dict[str, Grader] = {}


def register(grader: Grader) -> None:
    """Add `grader` under `grader.name`; raises `DuplicateGrader` if the name is taken."""
    if grader.name in _GRADERS:
        raise DuplicateGrader(f"a grader named {grader.name!r} is already registered")
    _GRADERS[grader.name] = grader


def get(name: str) -> Grader:
    """The grader registered as `name`; raises `UnknownGrader` naming the known ones."""
    try:
        return _GRADERS[name]
    except KeyError:
        known = ", ".join(sorted(_GRADERS)) or "none"
        raise UnknownGrader(f"no grader named {name!r} (known: {known})") from None


def all_graders() -> dict[str, Grader]:
    """Every registered grader by name, in registration order (a copy)."""
    return dict(_GRADERS)


_BUILT_INS: list[Grader] = [
    TestsGrader(),
    CoverageGrader(),
    StyleGrader(),
    ComplexityGrader(),
    SecurityGrader(),
]
for _grader in _BUILT_INS:
    register(_grader)
