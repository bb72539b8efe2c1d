"""The report model: findings, verdicts, category results and the whole report, as plain data.

Verdicts are data about a candidate's run (timed out, out of memory, forged results, ...); they are
never exceptions. Everything here serialises to the report JSON documented in the README; a
stored report of an older shape is read through `Report.from_stored` (see `Report`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

__all__ = [
    "CATEGORIES",
    "SCHEMA_VERSION",
    "Category",
    "CategoryResult",
    "Finding",
    "Report",
    "ReportSchemaError",
    "Severity",
    "TestCase",
    "TestOutcome",
    "Verdict",
    "VerdictKind",
]

#: A category's name: the five every report has, in display order. The one home of the names:
#: `CATEGORIES`, the default weights (graders/scoring.py) and a challenge's `[weights]` follow it.
Category = Literal["tests", "coverage", "style", "complexity", "security"]

#: The five categories every report has, in display order.
CATEGORIES: tuple[Category, ...] = get_args(Category)


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
    runs: tuple[TestOutcome, ...] = ()
    """The outcome of each run, in order, when the hidden tests ran more than once (`takehome
    grade --repeat K`, a regrade's `repeat`); `outcome` is then the worst run's. Empty for a
    single run, and then left out of the JSON: a report of one run reads as before the field."""

    @property
    def flaky(self) -> bool:
        """Whether the runs disagree on this test's outcome."""
        return len(set(self.runs)) > 1

    @model_serializer(mode="wrap")
    def _drop_single_run(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.runs:
            data.pop("runs", None)
        return data


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
    REPORT_TRUNCATED = "report_truncated"
    """The report's JSON passed the stored-report size limit: fewer findings are listed (and,
    past that, hidden tests' messages and logs are shortened); see graders/caps.py. A new kind
    keeps every older report's meaning, so it needs no `SCHEMA_VERSION` bump."""
    FLAKY_TEST = "flaky_test"
    """A hidden test whose outcome differed between the runs of a repeated grading (`--repeat`):
    it is scored by its worst run; the detail names it and counts each outcome."""


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


#: The shape of the report JSON this code writes; see `Report` for when it changes.
SCHEMA_VERSION = 2


class ReportSchemaError(ValueError):
    """A stored report this code cannot read: not a JSON object, or a `schema_version` it does
    not know (newer than `SCHEMA_VERSION`, or not a whole number from 1)."""


class Report(_Frozen):
    """A graded submission. `score` is the weighted mean of the category scores (0-100).

    Every report carries `schema_version`, the shape of its JSON; a new report always has
    `SCHEMA_VERSION`. The rule:

    - Bump `SCHEMA_VERSION` when a stored report of the previous shape would no longer
      validate, or would validate but mean something else: a field removed, renamed, retyped
      or given a new meaning, anywhere in the tree. A new field with a default that keeps old
      reports' meaning needs no bump (a report without it reads as before).
    - With each bump, add to `_UPGRADES` the step that turns a stored report of the old shape
      (a plain JSON dict) into the new one, and keep a stored report of the old shape as
      `tests/fixtures/reports/report-v<old>.json`: a test reads every fixture with this code.
    - Stored reports are read with `Report.from_stored`, which applies the steps from the
      report's version up. A report without `schema_version` is version 1: it was written
      before the field existed, and has version 2's shape without it. A version this code does
      not know (a report written by newer code) is a `ReportSchemaError`, never a guess.
    """

    schema_version: int = Field(default=SCHEMA_VERSION, ge=SCHEMA_VERSION, le=SCHEMA_VERSION)
    """The shape of this report's JSON (`SCHEMA_VERSION` when written by this code)."""
    score: float = Field(ge=0, le=100)
    categories: dict[str, CategoryResult]
    verdicts: tuple[Verdict, ...] = ()
    provenance: dict[str, Any] = Field(default_factory=dict)
    logs: dict[str, str] = Field(default_factory=dict)
    """Capped logs for the reviewer (service mode: the candidate app's output)."""

    def to_json(self) -> str:
        """The report JSON (stable key order, two-space indent)."""
        return self.model_dump_json(indent=2)

    @classmethod
    def from_stored(cls, stored: str | bytes | Mapping[str, Any]) -> Report:
        """A report as stored (its JSON, or that JSON parsed), of any schema version this code
        knows, in the current shape. Raises `ReportSchemaError` for an unknown version and
        pydantic's `ValidationError` for a report that does not match its version's shape."""
        data = json.loads(stored) if isinstance(stored, str | bytes) else stored
        if not isinstance(data, Mapping):
            raise ReportSchemaError("a stored report must be a JSON object")
        version = data.get("schema_version", 1)
        if isinstance(version, bool) or not isinstance(version, int):
            raise ReportSchemaError(f"schema_version must be a whole number, got {version!r}")
        if not 1 <= version <= SCHEMA_VERSION:
            raise ReportSchemaError(
                f"report schema_version {version} is not one this code reads "
                f"(1 to {SCHEMA_VERSION}): written by a newer takehome?"
            )
        upgraded = dict(data)
        for old in range(version, SCHEMA_VERSION):
            upgraded = _UPGRADES[old](upgraded)
        return cls.model_validate(upgraded)


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 is version 2 without the field: nothing else to change.
    return {**data, "schema_version": 2}


#: Old version to the step that turns a stored report of it into the next version's shape.
_UPGRADES: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1}
