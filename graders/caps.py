"""Bounds on what a report lists: findings per category, and a stored report's size.

A candidate controls some tool output (coverage's JSON is written by their own process, ruff and
bandit report on files they wrote), so the evidence a report lists is bounded here, once, for
every grader: a category lists at most `MAX_FINDINGS` findings, followed by one `truncated` note
counting the rest ("N more findings not listed", the count also in `extra["more"]`). Scores are
computed before the cap and count every finding.

`fit_report` bounds the whole report's JSON (the service's `max_report_bytes`): past the limit it
lists fewer findings per category (halving down to none), then shortens hidden tests' messages
and the logs, and records a `report_truncated` verdict saying what was left out. Scores, test
ids and outcomes are never changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from graders.model import CategoryResult, Finding, Report, Severity, Verdict, VerdictKind

__all__ = ["MAX_FINDINGS", "TRUNCATED_RULE", "cap_findings", "fit_report", "more_findings"]

#: Most findings one category lists (the score still counts them all).
MAX_FINDINGS = 500
#: The rule of the note that counts the findings a category does not list.
TRUNCATED_RULE = "truncated"
_STEP = "report"
_SHORT_MESSAGE = 200
_SHORT_LOG = 4000


def _is_note(finding: Finding) -> bool:
    return finding.rule == TRUNCATED_RULE and "more" in finding.extra


def more_findings(findings: Sequence[Finding]) -> int:
    """How many findings the `truncated` note of `findings` says are not listed (0: none)."""
    return sum(int(f.extra["more"]) for f in findings if _is_note(f) and f.extra["more"].isdigit())


def cap_findings(findings: Sequence[Finding], limit: int = MAX_FINDINGS) -> tuple[Finding, ...]:
    """At most `limit` findings, plus one INFO note counting those left out (including any an
    earlier cap already left out). Every grader builds its result's findings through this."""
    listed = [f for f in findings if not _is_note(f)]
    rest = more_findings(findings) + max(0, len(listed) - limit)
    if not rest:
        return tuple(listed)
    note = Finding(
        rule=TRUNCATED_RULE,
        message=f"{rest} more findings not listed",
        severity=Severity.INFO,
        extra={"more": str(rest)},
    )
    return (*listed[:limit], note)


def _size(report: Report) -> int:
    return len(report.to_json().encode())


def _trimmed(report: Report, limit: int, message_chars: int | None) -> Report:
    categories: dict[str, CategoryResult] = {}
    for name, result in report.categories.items():
        update: dict[str, object] = {"findings": cap_findings(result.findings, limit)}
        if message_chars is not None:
            update["tests"] = tuple(
                t.model_copy(update={"message": t.message[:message_chars]}) for t in result.tests
            )
        categories[name] = result.model_copy(update=update)
    update = {"categories": categories}
    if message_chars is not None:
        keep = _SHORT_LOG if message_chars else 0
        update["logs"] = {k: v[-keep:] if keep else "" for k, v in report.logs.items()}
    return report.model_copy(update=update)


def _plan() -> list[tuple[int, int | None]]:
    """Ever smaller reports: fewer findings listed, then short test messages and logs."""
    steps: list[tuple[int, int | None]] = []
    limit = MAX_FINDINGS
    while limit:
        steps.append((limit, None))
        limit //= 2
    return [*steps, (0, None), (0, _SHORT_MESSAGE), (0, 0)]


def fit_report(report: Report, max_bytes: int) -> Report:
    """`report` if its JSON fits in `max_bytes`; else the largest trimmed copy that fits (or the
    smallest one, when even that does not), with a `report_truncated` verdict. Trusted data (the
    hidden tests' ids, scores, provenance) is never trimmed."""
    size = _size(report)
    if size <= max_bytes:
        return report
    before = sum(more_findings(r.findings) for r in report.categories.values())
    fitted: Report = report
    shown: tuple[int, int | None] = (0, None)
    for shown in _plan():
        fitted = _trimmed(report, *shown)
        if _size(fitted) <= max_bytes:
            break
    left_out = sum(more_findings(r.findings) for r in fitted.categories.values()) - before
    limit, messages = shown
    detail = (
        f"the report's JSON was {size} bytes, over the {max_bytes}-byte limit: at most {limit} "
        f"findings listed per category ({left_out} more left out)"
    )
    if messages is not None:
        detail += f"; hidden tests' messages cut to {messages} characters, logs to their end"
    verdict = Verdict(kind=VerdictKind.REPORT_TRUNCATED, step=_STEP, detail=detail)
    return fitted.model_copy(update={"verdicts": (*fitted.verdicts, verdict)})
