"""Exports of reports: JUnit XML (hidden tests), SARIF 2.1.0 (findings) and CSV (a challenge).

XML is written by hand with every value escaped (and XML-invalid control characters dropped):
the values are candidate-influenced, and no XML parser is involved in writing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import escape
from typing import Any

from api.views import SubmissionView
from graders.model import CATEGORIES, Report, Severity, TestOutcome

__all__ = ["report_csv", "report_junit", "report_sarif", "report_sarif_text"]

_XML_INVALID = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SARIF_LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _x(text: object) -> str:
    return escape(_XML_INVALID.sub("", str(text)), quote=True)


def report_junit(report: Report, name: str = "takehome") -> str:
    """The hidden tests as a JUnit XML `<testsuites>` document."""
    tests = report.categories.get("tests")
    cases = tests.tests if tests else ()
    failed = sum(c.outcome in (TestOutcome.FAILED, TestOutcome.MISSING) for c in cases)
    errors = sum(c.outcome is TestOutcome.ERROR for c in cases)
    skipped = sum(c.outcome is TestOutcome.SKIPPED for c in cases)
    head = f'tests="{len(cases)}" failures="{failed}" errors="{errors}" skipped="{skipped}"'
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<testsuites {head}>",
        f'  <testsuite name="{_x(name)}" {head}>',
    ]
    for case in cases:
        classname, _, test = case.id.rpartition("::")
        attrs = f'classname="{_x(classname)}" name="{_x(test or case.id)}" time="{case.seconds}"'
        if case.outcome is TestOutcome.PASSED:
            lines.append(f"    <testcase {attrs}/>")
            continue
        tag = {
            TestOutcome.ERROR: "error",
            TestOutcome.SKIPPED: "skipped",
        }.get(case.outcome, "failure")
        lines += [
            f"    <testcase {attrs}>",
            f'      <{tag} message="{_x(case.outcome.value)}">{_x(case.message)}</{tag}>',
            "    </testcase>",
        ]
    lines += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines)


def report_sarif(report: Report) -> dict[str, Any]:
    """Every finding of every category as one SARIF 2.1.0 run."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for category, result in report.categories.items():
        for finding in result.findings:
            rule_id = f"{category}/{finding.rule}"
            rule: dict[str, Any] = {"id": rule_id, "name": finding.rule}
            if finding.url:
                rule["helpUri"] = finding.url
            rules.setdefault(rule_id, rule)
            locations = []
            if finding.file:
                region = {"startLine": finding.line} if finding.line else {}
                if finding.line and finding.column:
                    region["startColumn"] = finding.column
                location: dict[str, Any] = {"artifactLocation": {"uri": finding.file}}
                if region:
                    location["region"] = region
                locations.append({"physicalLocation": location})
            results.append(
                {
                    "ruleId": rule_id,
                    "level": _SARIF_LEVEL[finding.severity],
                    "message": {"text": finding.message or finding.rule},
                    "locations": locations,
                    "properties": {"category": category, "severity": finding.severity.value},
                }
            )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "takehome", "rules": list(rules.values())}},
                "results": results,
                "properties": {"score": report.score},
            }
        ],
    }


def report_sarif_text(report: Report) -> str:
    """`report_sarif` serialised."""
    return json.dumps(report_sarif(report), indent=2)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula would run in a spreadsheet (CSV injection): make it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def report_csv(views: list[SubmissionView]) -> str:
    """One row per submission: who, when, state, overall and category scores, then the clock:
    started at, time used (seconds, from Start to the submission; empty when never started)
    and late."""
    out = io.StringIO()
    writer = csv.writer(out)
    clock = ["started_at", "time_used_seconds", "late"]
    writer.writerow(
        [
            "submission",
            "candidate",
            "filename",
            "submitted_at",
            "state",
            "score",
            *CATEGORIES,
            *clock,
        ]
    )
    for view in views:
        report = view.report()
        scores = [
            report.categories[c].score if report and c in report.categories else None
            for c in CATEGORIES
        ]
        row = [view.id, view.candidate, view.filename, view.created_at.isoformat(), view.state]
        started = view.started_at.isoformat() if view.started_at else None
        used = None if view.time_used_seconds is None else round(view.time_used_seconds)
        times = (started, used, "true" if view.late else "false")
        writer.writerow([_cell(v) for v in (*row, view.score, *scores, *times)])
    return out.getvalue()
