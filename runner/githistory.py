"""Signals from a Git submission's history, for a reviewer to weigh; they never change a score.

`history_signals(history, context)` marks each commit and sums the marks into `Signal`s:

- `one_commit`: one counted commit holds at least `BULK_SHARE` (80 %) of the lines changed
  (added plus removed) in the history's counted commits, and those total at least
  `context.bulk_lines` (`Settings.git_history_bulk_lines`, 200 by default). Not counted: the
  starter commit, a commit at the shallow boundary (its parents were not fetched), merges (git
  shows no diff for them, so they count 0) and binary files (0 lines).
- `before_invite`, `before_start`: a commit whose earlier date (author or committer) is before
  the invite was created, or before the candidate pressed Start (by more than `GRACE`).
- `after_deadline`: a commit whose later date is after the invite's deadline (Start plus the
  time limit; by more than `GRACE`).
- `no_starter`: the history does not contain the invite's starter commit (the starter download
  exists); from the submission's recorded descent, else from the history when it is complete.

The starter commit itself (dated 2000-01-01 by design, `runner.starter`) is never marked. Every
date and author in a commit is written by the candidate's own git: these are signals, not proof
(docs/git-intake.md, History).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from runner.gitintake import Commit, GitHistory
from runner.store.models import SubmissionHistory

__all__ = [
    "BULK_SHARE",
    "GRACE",
    "HistoryContext",
    "Signal",
    "commit_marks",
    "commit_times",
    "history_signals",
    "load_history",
]

BULK_SHARE = 0.8
"""The share of all lines changed that makes one commit "most of the work"."""
GRACE = timedelta(minutes=1)
"""A date this close to a boundary is not marked: git keeps whole seconds, clocks drift."""

_MESSAGES = {
    "one_commit": "Most of the work is in one commit",
    "before_invite": "Commits dated before the invite was created",
    "before_start": "Commits dated before the clock started",
    "after_deadline": "Commits dated after the deadline",
    "no_starter": "The history does not contain the starter commit",
}


@dataclass(frozen=True)
class HistoryContext:
    """What a history is read against: the invite's times (naive UTC, as stored) and starter."""

    invite_created_at: datetime | None = None
    started_at: datetime | None = None
    deadline: datetime | None = None
    starter_commit: str | None = None
    starter_descent: str | None = None
    bulk_lines: int = 200


@dataclass(frozen=True)
class Signal:
    """One flag for the reviewer: a code, a sentence, and the commits it is about."""

    code: str
    message: str
    detail: str = ""
    commits: list[str] = field(default_factory=list)


def load_history(session: Session, submission_id: str) -> GitHistory | None:
    """The stored history of a submission; None for an upload or a submission made before
    histories were recorded."""
    row = session.get(SubmissionHistory, submission_id)
    return None if row is None else GitHistory.from_json(row.json)


#: A date closer than this to the ends of `datetime`'s range is unknown: UTC conversion or
#: `GRACE` would overflow (git accepts year 9999 with any offset).
_EDGE = timedelta(days=2)


def _utc(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    if not datetime.min + _EDGE <= moment <= datetime.max - _EDGE:
        return None
    return moment


def commit_times(commit: Commit) -> tuple[datetime, datetime] | None:
    """The earlier and the later of the commit's two dates, naive UTC; None if unreadable."""
    found = [t for t in (_utc(commit.authored_at), _utc(commit.committed_at)) if t is not None]
    return (min(found), max(found)) if found else None


def _time_marks(commit: Commit, context: HistoryContext) -> list[str]:
    times = commit_times(commit)
    if times is None:
        return []
    earliest, latest = times[0] + GRACE, times[1] - GRACE
    marks = []
    if context.invite_created_at is not None and earliest < context.invite_created_at:
        marks.append("before_invite")
    elif context.started_at is not None and earliest < context.started_at:
        marks.append("before_start")
    if context.deadline is not None and latest > context.deadline:
        marks.append("after_deadline")
    return marks


def _bulk(commits: list[Commit], context: HistoryContext) -> Signal | None:
    counted = [c for c in commits if c.counted and c.sha != context.starter_commit]
    total = sum(c.lines for c in counted)
    if not counted or total < context.bulk_lines:
        return None
    biggest = max(counted, key=lambda c: c.lines)
    if biggest.lines < BULK_SHARE * total:
        return None
    share = round(100 * biggest.lines / total)
    detail = f"{biggest.sha[:12]} holds {share} % of {total} lines changed"
    return Signal("one_commit", _MESSAGES["one_commit"], detail, [biggest.sha])


def _descent(history: GitHistory, context: HistoryContext) -> str | None:
    if context.starter_commit is None:
        return None
    if context.starter_descent is not None:
        return context.starter_descent
    if any(c.sha == context.starter_commit for c in history.commits):
        return "descends"
    return "unrelated" if history.complete else "unknown"


def commit_marks(history: GitHistory, context: HistoryContext) -> dict[str, list[str]]:
    """Each commit's time marks (`before_invite`, `before_start`, `after_deadline`)."""
    return {
        c.sha: _time_marks(c, context) for c in history.commits if c.sha != context.starter_commit
    }


def history_signals(history: GitHistory, context: HistoryContext) -> list[Signal]:
    """The signals of `history` (see the module docstring), in a fixed order."""
    signals: list[Signal] = []
    if (bulk := _bulk(history.commits, context)) is not None:
        signals.append(bulk)
    marks = commit_marks(history, context)
    for code in ("before_invite", "before_start", "after_deadline"):
        shas = [sha for sha, found in marks.items() if code in found]
        if shas:
            detail = f"{len(shas)} commit{'s' if len(shas) != 1 else ''}"
            signals.append(Signal(code, _MESSAGES[code], detail, shas))
    if _descent(history, context) == "unrelated":
        detail = f"starter commit {context.starter_commit}"
        signals.append(Signal("no_starter", _MESSAGES["no_starter"], detail))
    return signals
