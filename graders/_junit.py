"""Reading pytest's JUnit XML (xunit2) and matching its test cases to expected test ids.

pytest names a case by its node id: `tests/sub/test_x.py::TestA::test_y[1]` becomes classname
`tests.sub.test_x.TestA` and name `test_y[1]`. The mapping is done from the expected ids to that
form (never back from classnames, which are ambiguous: `a.b` could be a module or a class).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graders.model import Finding, Severity, TestOutcome

if TYPE_CHECKING:
    # Parsing happens in `_steps.parse_xml`, which refuses DTDs; this module only walks the tree.
    from graders._steps import XmlElement

__all__ = [
    "Case",
    "junit_key",
    "match",
    "outcome_counts",
    "read_cases",
    "summarise",
    "unmatched_findings",
]

_MAX_CASES = 50_000
_MESSAGE_CAP = 2000
_DETAIL_CAP = 500
_PY_SUFFIX = re.compile(r"\.py$")


@dataclass(frozen=True)
class Case:
    """One `<testcase>` as reported."""

    classname: str
    name: str
    outcome: TestOutcome
    message: str = ""
    seconds: float = 0.0
    credit: float = 1.0
    """Share of its points a passed case earns: a probe may report partial credit with
    `record_property("score", x)`, x in [0, 1] (performance probes grade on a scale)."""
    detail: str = ""
    """What a passed probe measured, from `record_property("detail", text)` (capped): the
    report shows it as the case's message, so a reviewer sees why a stage earned what it did."""


def read_cases(root: XmlElement) -> list[Case]:
    """Every `<testcase>` of a JUnit document (at most 50,000), with its outcome and message."""
    cases: list[Case] = []
    for element in root.iter("testcase"):
        if len(cases) >= _MAX_CASES:
            break
        outcome, message = TestOutcome.PASSED, ""
        # Precedence: an error (setup/teardown) outranks a failure, which outranks a skip.
        for tag, kind in (
            ("error", TestOutcome.ERROR),
            ("failure", TestOutcome.FAILED),
            ("skipped", TestOutcome.SKIPPED),
        ):
            child = element.find(tag)
            if child is not None:
                outcome, message = kind, _message(child)
                break
        cases.append(
            Case(
                classname=element.get("classname", ""),
                name=element.get("name", ""),
                outcome=outcome,
                message=message,
                seconds=_seconds(element.get("time", "")),
                credit=_credit(element),
                detail=_detail(element),
            )
        )
    return cases


def _credit(element: XmlElement) -> float:
    for prop in element.iter("property"):
        if prop.get("name") == "score":
            try:
                value = float(prop.get("value", ""))
            except ValueError:
                return 0.0
            return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0
    return 1.0


def _detail(element: XmlElement) -> str:
    for prop in element.iter("property"):
        if prop.get("name") == "detail":
            return prop.get("value", "")[:_DETAIL_CAP]
    return ""


def junit_key(test_id: str) -> tuple[str, str]:
    """The (classname, name) pytest's JUnit report gives the test with this node id."""
    path, *rest = test_id.split("::")
    module = _PY_SUFFIX.sub("", path.replace("/", "."))
    if not rest:
        return "", module
    return ".".join((module, *rest[:-1])), rest[-1]


def match(
    expected: Iterable[str], cases: Iterable[Case]
) -> tuple[dict[str, list[Case]], list[Case]]:
    """Cases grouped by the expected id they report on, and the cases no expected id claims.

    A case matches an id naming it exactly (`test_y[1]`), else the id of its base (`test_y`).
    """
    by_key = {junit_key(test_id): test_id for test_id in expected}
    matched: dict[str, list[Case]] = {}
    unmatched: list[Case] = []
    for case in cases:
        base = case.name.split("[", 1)[0]
        test_id = by_key.get((case.classname, case.name)) or by_key.get((case.classname, base))
        if test_id is None:
            unmatched.append(case)
        else:
            matched.setdefault(test_id, []).append(case)
    return matched, unmatched


def summarise(cases: list[Case]) -> tuple[TestOutcome, float, str, float]:
    """Outcome, fraction of cases passed, first problem message and total seconds of one id."""
    if not cases:
        return TestOutcome.MISSING, 0.0, "never reported", 0.0
    passed = [c for c in cases if c.outcome is TestOutcome.PASSED]
    fraction = sum(c.credit for c in passed) / len(cases)
    seconds = sum(c.seconds for c in cases)
    worst = _worst(cases)
    if worst is None:
        return TestOutcome.PASSED, fraction, _passed_message(passed, fraction), seconds
    message = worst.message
    if len(cases) > 1:
        message = f"{len(passed)}/{len(cases)} cases passed; {worst.name}: {message}"
    return worst.outcome, fraction, message[:_MESSAGE_CAP], seconds


def _passed_message(passed: list[Case], fraction: float) -> str:
    """The message of an id whose cases all passed: its partial credit, then their details."""
    details = "; ".join(c.detail for c in passed if c.detail)
    partial = f"partial credit {fraction:.2f}" if fraction < 1.0 else ""
    return ": ".join(part for part in (partial, details) if part)[:_MESSAGE_CAP]


def _worst(cases: list[Case]) -> Case | None:
    """The first case of the worst outcome (error, then failure, then skip); None if all passed."""
    for kind in (TestOutcome.ERROR, TestOutcome.FAILED, TestOutcome.SKIPPED):
        for case in cases:
            if case.outcome is kind:
                return case
    return None


def unmatched_findings(cases: list[Case]) -> list[Finding]:
    """Collection errors as MEDIUM findings; other unexpected cases as one INFO finding.

    pytest reports a module that fails to import as a case with an empty classname.
    """
    broken = [c for c in cases if not c.classname and c.outcome is TestOutcome.ERROR]
    findings = [
        Finding(
            rule="collection-error",
            message=f"{c.name}: {c.message.strip().split(chr(10), 1)[0]}",
            severity=Severity.MEDIUM,
        )
        for c in broken
    ]
    others = [c for c in cases if c not in broken]
    if others:
        names = ", ".join(f"{c.classname}::{c.name}" for c in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        findings.append(
            Finding(
                rule="unexpected-test",
                message=f"{len(others)} reported tests were not expected (ignored): {names}{more}",
                severity=Severity.INFO,
            )
        )
    return findings


def outcome_counts(cases: Iterable[Case]) -> Mapping[TestOutcome, int]:
    """How many cases had each outcome."""
    counts = dict.fromkeys(TestOutcome, 0)
    for case in cases:
        counts[case.outcome] += 1
    return counts


def _message(child: XmlElement) -> str:
    text = child.get("message", "")
    body = child.text or ""
    joined = f"{text}\n{body}" if text and body else text or body
    return joined[:_MESSAGE_CAP]


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        return 0.0
    return seconds if 0.0 <= seconds < 1e9 else 0.0
