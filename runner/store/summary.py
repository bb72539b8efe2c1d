"""A report's summary, stored next to it: what list views and the candidate are shown.

Written with the report (`RunQueue.complete`) into `reports.summary_json`, and backfilled for
older reports by migration 0006, so that the candidate status page, the dashboard, the compare
page and the JSON API's lists never parse a full report per request (a report may hold a few
thousand findings; issue 15, H4). It holds only what those views may use: the overall and
category scores, each hidden test's id and outcome (never its message), and the verdict kinds.
The candidate's view still applies the challenge's feedback policy to it (api/feedback.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from graders.model import Report

__all__ = ["ReportSummary"]


class ReportSummary(BaseModel):
    """The summary of one report (`of(report)`), as stored (`to_json`, `from_json`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    score: float
    categories: dict[str, float]
    """Each category's score (0-100), in the report's order."""
    tests: tuple[tuple[str, str], ...] = ()
    """Each hidden test's (id, outcome), as the tests category lists them."""
    verdicts: tuple[str, ...] = ()
    """The report's verdict kinds (`graders.model.VerdictKind` values), in order."""

    @classmethod
    def of(cls, report: Report) -> ReportSummary:
        """The summary of `report`."""
        tests = report.categories.get("tests")
        return cls(
            score=report.score,
            categories={name: c.score for name, c in report.categories.items()},
            tests=tuple((t.id, t.outcome.value) for t in (tests.tests if tests else ())),
            verdicts=tuple(v.kind.value for v in report.verdicts),
        )

    def to_json(self) -> str:
        """The stored form (compact JSON)."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> ReportSummary:
        """Read a stored summary (pydantic's `ValidationError` if it is not one)."""
        return cls.model_validate_json(text)
