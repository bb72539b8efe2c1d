"""Exports of reports: JUnit XML (hidden tests), SARIF 2.1.0 (findings), Gradescope results and
CSV (a challenge). The report formats are built in runner/ (`runner.junit`, `runner.sarif`,
`runner.gradescope`: the CLI writes them too); the CSV of a challenge's submissions is built here.

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
from datetime import UTC, datetime

from api.views import SubmissionView
from graders.model import CATEGORIES, Report
from runner.junit import report_junit
from runner.sarif import report_sarif

__all__ = ["BOM", "report_csv", "report_junit", "report_sarif", "report_sarif_text"]

BOM = "\ufeff"
# A trigger at the start of the cell, or right after a separator a spreadsheet may split on.
_FORMULA = re.compile(r"(?:^|[,;\t\r\n]) *[=+\-@\t\r\x00]")


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


def report_csv(views: list[SubmissionView], *, bom: bool = False) -> str:
    """One row per submission: who, when, state, overall and category scores, then the clock:
    started at, time used (seconds, from Start to the submission; empty when never started)
    and late."""
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
        ]
    )
    for view in views:
        report = view.report()
        scores = [
            report.categories[c].score if report and c in report.categories else None
            for c in CATEGORIES
        ]
        row = [view.id, view.candidate, view.filename, _utc(view.created_at), view.state]
        started = _utc(view.started_at)
        used = None if view.time_used_seconds is None else round(view.time_used_seconds)
        times = (started, used, "true" if view.late else "false")
        writer.writerow([_cell(v) for v in (*row, view.score, *scores, *times)])
    return out.getvalue()
