"""The report model: findings, verdicts, category results and the whole report, as plain data.

Verdicts are data about a candidate's run (timed out, out of memory, forged results, ...); they are
never exceptions. Everything here serialises to the report JSON documented in the README.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CATEGORIES",
    "CategoryResult",
    "Finding",
    "Report",
    "Severity",
    "TestCase",
    "TestOutcome",
    "Verdict",
    "VerdictKind",
]

#: The five categories every report has, in display order.
CATEGORIES = ("tests", "coverage", "style", "complexity", "security")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(StrEnum):
    """How much a finding matters, lowest first."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Finding(_Frozen):
    """One piece of evidence, down to file and line where the tool gives them."""

    rule: str
    message: str
    severity: Severity = Severity.LOW
    file: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    url: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)
    """Tool-specific facts kept for the reviewer (CWE id, confidence, complexity rank, ...)."""


class TestOutcome(StrEnum):
    """Outcome of one expected hidden test. `missing`: expected but never reported (a failure)."""

    __test__ = False
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    MISSING = "missing"


class TestCase(_Frozen):
    """One hidden test case as the trusted side saw it."""

    __test__ = False
    id: str
    outcome: TestOutcome
    points: float = 1.0
    message: str = ""
    seconds: float = 0.0


class VerdictKind(StrEnum):
    """Verdicts about the run itself, recorded in the report for the reviewer."""

    TIMED_OUT = "timed_out"
    OOM_KILLED = "oom_killed"
    OUTPUT_TRUNCATED = "output_truncated"
    FILES_TRUNCATED = "files_truncated"
    TESTS_INCOMPLETE = "tests_incomplete"
    NO_RESULTS = "no_results"
    TOOL_ERROR = "tool_error"
    TAMPER_SUSPECTED = "tamper_suspected"
    FORGERY_DETECTED = "forgery_detected"
    """In-process hidden tests whose report contradicts the grader's canaries or pytest's exit
    code (graders/_canary.py): the tests category scores 0."""
    SERVICE_NOT_READY = "service_not_ready"
    SERVICE_EXITED = "service_exited"
    DEPENDENCY_NOT_ALLOWED = "dependency_not_allowed"


class Verdict(_Frozen):
    """A fact about how a step ran (which step, what happened, in words a reviewer understands)."""

    kind: VerdictKind
    step: str
    detail: str = ""


class CategoryResult(_Frozen):
    """What one grader concluded: a score out of 100, the evidence, and how the run went."""

    name: str
    score: float = Field(ge=0, le=100)
    summary: str
    findings: tuple[Finding, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    metrics: dict[str, float] = Field(default_factory=dict)
    tests: tuple[TestCase, ...] = ()
    tool: str = ""
    """Tool name and version, for provenance."""
    weight: float = 0.0
    """Set by the runner from the challenge's weights."""
    counted_score: float | None = Field(default=None, ge=0, le=100)
    """The score that counted towards the overall one (quality categories are capped by the
    hidden-tests score; see graders/scoring.py). Set by the runner."""


class Report(_Frozen):
    """A graded submission. `score` is the weighted mean of the category scores (0-100)."""

    score: float = Field(ge=0, le=100)
    categories: dict[str, CategoryResult]
    verdicts: tuple[Verdict, ...] = ()
    provenance: dict[str, Any] = Field(default_factory=dict)
    logs: dict[str, str] = Field(default_factory=dict)
    """Capped logs for the reviewer (service mode: the candidate app's output)."""

    def to_json(self) -> str:
        """The report JSON (stable key order, two-space indent)."""
        return self.model_dump_json(indent=2)
