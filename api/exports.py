"""Exports of reports: JUnit XML (hidden tests), SARIF 2.1.0 (findings), Gradescope results;
CSV and JSON (a challenge). The report formats are built in runner/ (`runner.junit`,
`runner.sarif`, `runner.gradescope`: the CLI writes them too); the challenge exports here.

The challenge exports carry, per submission, what the exporting reviewer may see of its reviews
(`api.review_views.ReviewSummary`): the decision always; the rubric score, the overall score with
the rubric and the recommendation counts only for submissions whose review they have submitted.

The CSV follows OWASP ASVS 5.0 V1.2.10 (CSV and formula injection): a cell is prefixed with a
single quote when it starts with `=`, `+`, `-`, `@`, a tab, a carriage return or NUL, or when
any of those follows a separator inside it (`,`, `;`, a tab, a line break: spreadsheets split on
them), spaces in between allowed, so no cell can start a formula. Numbers the export writes
itself (scores, seconds) are never prefixed. Timestamps are ISO 8601 UTC with `Z`. The file is
UTF-8; `bom=True` (`?bom=1`, the reviewer dashboard's link) starts it with a byte order mark, so
spreadsheets read non-ASCII names right. See docs/exports.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from api.review_views import ReviewSummary, candidate_label
from api.views import SubmissionView
from graders.model import CATEGORIES, Report
from runner.junit import report_junit
from runner.sarif import report_sarif

__all__ = [
    "BOM",
    "REVIEW_COLUMNS",
    "report_csv",
    "report_junit",
    "report_sarif",
    "report_sarif_text",
    "review_export_json",
]

BOM = "\ufeff"
# A trigger at the start of the cell, or right after a separator a spreadsheet may split on.
_FORMULA = re.compile(r"(?:^|[,;\t\r\n]) *[=+\-@\t\r\x00]")
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


def report_sarif_text(report: Report, **meta: str) -> str:
    """`report_sarif` serialised (`meta`: its `information_uri` and `version`)."""
    return json.dumps(report_sarif(report, **meta), indent=2)


def _utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with `Z` (a naive datetime is taken as UTC, as the store keeps them)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _cell(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula (ASVS V1.2.10; the rule above)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # our own numbers: a negative one stays a number
    text = str(value)
    return "'" + text if _FORMULA.search(text) else text


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
        _utc(decision.created_at) if decision else None,
    ]


def report_csv(
    views: list[SubmissionView],
    summaries: Mapping[str, ReviewSummary] | None = None,
    *,
    bom: bool = False,
) -> str:
    """One row per submission: who, when, state, overall and category scores, then the clock:
    started at, time used (seconds, from Start to the submission; empty when never started)
    and late; then the review columns (`REVIEW_COLUMNS`, empty without `summaries`)."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
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
        row = [view.id, candidate_label(view), view.filename, _utc(view.created_at)]
        started = _utc(view.started_at)
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
