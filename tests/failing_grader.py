"""A grader whose self-check always fails, registered through the real registry for one test."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from graders import registry
from graders.base import GraderCheckFailed, GradingInput
from graders.model import CategoryResult
from sandbox import Execution, RunSpec, Sandbox

NAME = "broken"
REASON = "broken self-check: expected F401 at mod.py:1, saw nothing"


class FailingGrader:
    """Runs no step, scores nothing, and fails its check (as a grader whose tool went wrong)."""

    name = NAME

    def steps(self, inp: GradingInput) -> list[RunSpec]:
        del inp
        return []

    def grade(self, inp: GradingInput, executions: Mapping[str, Execution]) -> CategoryResult:
        del inp, executions
        return CategoryResult(name=NAME, score=0.0, summary="never graded")

    def check(self, sandbox: Sandbox, image: str) -> None:
        del sandbox, image
        raise GraderCheckFailed(REASON)


def register_failing_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """`register()` a `FailingGrader` next to the built-ins, in a copy of the registry that
    `monkeypatch` puts back afterwards."""
    monkeypatch.setattr(registry, "_GRADERS", dict(registry.all_graders()))
    registry.register(FailingGrader())
