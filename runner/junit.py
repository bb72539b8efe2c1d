"""A report's hidden tests as JUnit XML, valid against the Jenkins `junit-10.xsd`.

That schema is the one pytest's own test suite checks its `--junitxml` output against, and what
CI servers (Jenkins, GitLab, GitHub test reporters) read. What it allows, and so what is written:
`<testsuites>` carries `name`, `tests`, `failures`, `errors` and `time` (no `skipped`); each
`<testsuite>` also carries `skipped`; a `<testcase>` holds `<failure>` or `<skipped>`. The
schema has no `<error>` child (pytest writes one; the schema would reject it), so a test that
errored is a `<failure type="error">`, counted in `errors`, not in `failures`; a test that never
reported (`missing`) is a `<failure type="missing">`. The counts are those of the JSON report.
A test of a repeated grading (`--repeat K`) is its worst run, with each run's outcome in a
`<system-out>` (`flaky: 3 runs: passed, failed, passed`).

Names follow pytest: the test id `tests/test_x.py::TestA::test_y` becomes classname
`tests.test_x.TestA` and name `test_y`; a failure's `message` is its first line (the assertion),
its text the whole message. XML is written by hand with every value escaped (and XML-invalid
control characters dropped): the values are candidate-influenced.
"""

from __future__ import annotations

import re
from html import escape

from graders._junit import junit_key
from graders.model import Report, TestCase, TestOutcome

__all__ = ["report_junit"]

_XML_INVALID = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FAILED = (TestOutcome.FAILED, TestOutcome.MISSING)


def _x(text: object) -> str:
    return escape(_XML_INVALID.sub("", str(text)), quote=True)


def _seconds(value: float) -> str:
    # SUREFIRE_TIME: digits with at most three decimals, no exponent.
    return f"{max(0.0, value):.3f}"


def _case(case: TestCase) -> list[str]:
    classname, name = junit_key(case.id)
    attrs = f'classname="{_x(classname)}" name="{_x(name)}" time="{_seconds(case.seconds)}"'
    children = _runs(case)
    if case.outcome is not TestOutcome.PASSED:
        tag = "skipped" if case.outcome is TestOutcome.SKIPPED else "failure"
        first = _XML_INVALID.sub("", case.message).strip().split("\n", 1)[0].strip()
        message = first or f"test {case.outcome.value}"
        kind = f' type="{case.outcome.value}"' if tag == "failure" else ""
        body = _x(case.message) if case.message else ""
        children.insert(0, f'      <{tag}{kind} message="{_x(message)}">{body}</{tag}>')
    if not children:
        return [f"    <testcase {attrs}/>"]
    return [f"    <testcase {attrs}>", *children, "    </testcase>"]


def _runs(case: TestCase) -> list[str]:
    """A repeated grading's runs of the test, as a `<system-out>` note (the schema's
    `<flakyFailure>` means a test that passed in the end; a flaky test here counts as failed)."""
    if not case.runs:
        return []
    outcomes = ", ".join(o.value for o in case.runs)
    note = f"{'flaky: ' if case.flaky else ''}{len(case.runs)} runs: {outcomes}"
    return [f"      <system-out>{_x(note)}</system-out>"]


def report_junit(report: Report, name: str = "takehome") -> str:
    """The hidden tests as a JUnit XML `<testsuites>` document with one `<testsuite>`."""
    tests = report.categories.get("tests")
    cases = tests.tests if tests else ()
    failed = sum(c.outcome in _FAILED for c in cases)
    errors = sum(c.outcome is TestOutcome.ERROR for c in cases)
    skipped = sum(c.outcome is TestOutcome.SKIPPED for c in cases)
    seconds = _seconds(sum(c.seconds for c in cases))
    counts = f'tests="{len(cases)}" failures="{failed}" errors="{errors}" time="{seconds}"'
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="{_x(name)}" {counts}>',
        f'  <testsuite name="{_x(name)}" {counts} skipped="{skipped}">',
    ]
    for case in cases:
        lines += _case(case)
    lines += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines)
