"""Exports of reports: JUnit XML (hidden tests), SARIF 2.1.0 (findings); CSV and JSON (challenge).

The challenge exports carry, per submission, what the exporting reviewer may see of its reviews
(`api.review_views.ReviewSummary`): the decision always; the rubric score, the overall score with
the rubric and the recommendation counts only for submissions whose review they have submitted.

XML is written by hand with every value escaped (and XML-invalid control characters dropped):
the values are candidate-influenced, and no XML parser is involved in writing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from html import escape
from typing import Any

from api.review_views import ReviewSummary, candidate_label
from api.views import SubmissionView
from graders.model import CATEGORIES, Report, Severity, TestOutcome

__all__ = [
    "REVIEW_COLUMNS",
    "report_csv",
    "report_junit",
    "report_sarif",
    "report_sarif_text",
    "review_export_json",
]

_XML_INVALID = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SARIF_LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RECOMMENDATIONS = ("strong_yes", "yes", "no", "strong_no")
#: The CSV's review columns, after the category scores.
REVIEW_COLUMNS = (
    "rubric_score",
    "overall_with_rubric",
    *_RECOMMENDATIONS,
    "decision",
    "decision_scope",
    "decision_reason",
    "decided_by",
    "decided_at",
)


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


def _review_cells(summary: ReviewSummary | None) -> list[object]:
    if summary is None:
        return [None] * len(REVIEW_COLUMNS)
    counts = summary.recommendations if summary.visible else {}
    decision = summary.decision
    return [
        summary.rubric_score,
        summary.overall,
        *(counts.get(value) for value in _RECOMMENDATIONS),
        decision.value if decision else None,
        ("invite" if decision.submission_id is None else "submission") if decision else None,
        decision.reason if decision else None,
        decision.reviewer.email if decision else None,
        decision.created_at.isoformat(timespec="seconds") if decision else None,
    ]


def report_csv(
    views: list[SubmissionView], summaries: Mapping[str, ReviewSummary] | None = None
) -> str:
    """One row per submission: who, when, state, overall and category scores, then the clock:
    started at, time used (seconds, from Start to the submission; empty when never started)
    and late; then the review columns (`REVIEW_COLUMNS`, empty without `summaries`)."""
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
            *REVIEW_COLUMNS,
        ]
    )
    for view in views:
        report = view.report()
        scores = [
            report.categories[c].score if report and c in report.categories else None
            for c in CATEGORIES
        ]
        row = [view.id, candidate_label(view), view.filename, view.created_at.isoformat()]
        started = view.started_at.isoformat() if view.started_at else None
        used = None if view.time_used_seconds is None else round(view.time_used_seconds)
        times = (started, used, "true" if view.late else "false")
        reviews = _review_cells((summaries or {}).get(view.id))
        cells = (*row, view.state, view.score, *scores, *times, *reviews)
        writer.writerow([_cell(v) for v in cells])
    return out.getvalue()


def review_export_json(views: list[SubmissionView], summaries: Mapping[str, ReviewSummary]) -> str:
    """The challenge export as JSON: per submission its scores and its review summary."""
    rows = []
    for view in views:
        report = view.report()
        row: dict[str, Any] = {
            "submission": view.id,
            "candidate": candidate_label(view),
            "submitted_at": view.created_at.isoformat(timespec="seconds") + "Z",
            "state": view.state,
            "score": view.score,
            "categories": {
                name: report.categories[name].score
                for name in CATEGORIES
                if report and name in report.categories
            },
        }
        if (summary := summaries.get(view.id)) is not None:
            row.update(summary.as_json())
        rows.append(row)
    return json.dumps(rows, indent=2)
