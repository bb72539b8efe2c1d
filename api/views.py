"""Read models for the pages and the JSON API: submissions with their latest run and report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from graders.model import Report
from runner.store import Invite, Run, StoredReport, Submission
from runner.store.models import utcnow
from runner.store.records import NotFound
from runner.store.summary import ReportSummary

__all__ = [
    "Reader",
    "ReportUnreadable",
    "SubmissionView",
    "candidate_submission",
    "current_report",
    "current_report_json",
    "human_duration",
    "list_submissions",
    "load_submission",
    "open_report_json",
    "queue_position",
    "read_report",
]

#: What the read functions query through: an ORM session, or a plain connection (cheaper per
#: request: the hot reads select columns, never ORM objects).
Reader = Session | Connection

_SORTS = {"created", "-created", "score", "-score"}


class ReportUnreadable(ValueError):
    """A stored report this code cannot read: not JSON, a schema version it does not know
    (`graders.model.ReportSchemaError`) or a shape its version does not have (pydantic)."""


def read_report(stored: str) -> Report:
    """`Report.from_stored`, with every way a stored report can be unreadable raised as
    `ReportUnreadable` (mapped once to HTTP: `api.errors`)."""
    try:
        return Report.from_stored(stored)
    except ValueError as exc:  # JSONDecodeError, ReportSchemaError, ValidationError
        raise ReportUnreadable(f"the stored report cannot be read: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def human_duration(seconds: float) -> str:
    """`3 h 05 min`, `12 min`, `0 min`."""
    minutes = max(0, int(seconds // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class SubmissionView:
    """A submission, its newest run's state and its current report (if graded)."""

    id: str
    challenge_id: str
    candidate: str
    filename: str
    source_kind: str
    snapshot_digest: str
    created_at: datetime
    invite_id: str | None
    state: str
    attempts: int
    error: str | None
    score: float | None
    report_json: str | None
    repo_url: str | None = None
    git_ref: str | None = None
    commit_sha: str | None = None
    superseded_by: str | None = None
    started_at: datetime | None = None
    """When the candidate started the invite's clock (timed invites)."""
    late: bool = False
    starter_descent: str | None = None
    run_created_at: datetime | None = None

    @property
    def time_used_seconds(self) -> float | None:
        """From Start to this submission; None when the clock was not started before it."""
        if self.started_at is None or self.created_at < self.started_at:
            return None
        return (self.created_at - self.started_at).total_seconds()

    @property
    def time_used(self) -> str | None:
        """`time_used_seconds` for people: `3 h 05 min`."""
        seconds = self.time_used_seconds
        return None if seconds is None else human_duration(seconds)

    summary_json: str | None = None
    """The current report's summary as stored (`runner.store.summary`)."""

    def report(self) -> Report | None:
        """The current report, parsed (None in a view loaded without it)."""
        return read_report(self.report_json) if self.report_json else None

    def summary(self) -> ReportSummary | None:
        """The current report's summary: the stored one, or one made from the report JSON when
        none is stored (a report the migration could not read); None without a report."""
        if self.summary_json is not None:
            return ReportSummary.from_json(self.summary_json)
        report = self.report()
        return None if report is None else ReportSummary.of(report)

    def as_json(self) -> dict[str, Any]:
        """The reviewer's JSON summary (no report body)."""
        return {
            "id": self.id,
            "challenge": self.challenge_id,
            "candidate": self.candidate,
            "filename": self.filename,
            "source": self.source_kind,
            "snapshot": self.snapshot_digest,
            "submitted_at": self.created_at.isoformat(timespec="seconds") + "Z",
            "state": self.state,
            "attempts": self.attempts,
            "error": self.error,
            "score": self.score,
            "repository": self.repo_url,
            "ref": self.git_ref,
            "commit": self.commit_sha,
            "superseded_by": self.superseded_by,
            "started_at": self.started_at.isoformat(timespec="seconds") + "Z"
            if self.started_at
            else None,
            "time_used_seconds": self.time_used_seconds,
            "late": self.late,
            "starter_descent": self.starter_descent,
        }


# Each column under the name of the `SubmissionView` field it fills; the report's JSON only
# where a caller asks for it (the lists and the candidate read the summary instead).
_COLUMNS = (
    Submission.id,
    Submission.challenge_id,
    Invite.candidate,
    Submission.filename,
    Submission.source_kind,
    Submission.snapshot_digest,
    Submission.created_at,
    Submission.invite_id,
    Run.state,
    Run.attempts,
    Run.error,
    StoredReport.score,
    StoredReport.summary_json,
    Submission.repo_url,
    Submission.git_ref,
    Submission.commit_sha,
    Submission.superseded_by,
    Invite.started_at,
    Submission.late,
    Submission.starter_descent,
    Run.created_at.label("run_created_at"),
)


def _query(*, with_report: bool) -> Select[*tuple[Any, ...]]:
    """Submissions with their invite's candidate, newest run and current report: one SELECT of
    columns (no ORM objects), with the report's JSON only if `with_report`."""
    newest_run = (
        select(Run.id)
        .where(Run.submission_id == Submission.id)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(1)
        .correlate(Submission)
        .scalar_subquery()
    )
    current = (StoredReport.submission_id == Submission.id) & StoredReport.current.is_(True)
    report = (StoredReport.json.label("report_json"),) if with_report else ()
    return (
        select(*_COLUMNS, *report)
        .select_from(Submission)
        .outerjoin(Invite, Invite.id == Submission.invite_id)
        .outerjoin(Run, Run.id == newest_run)
        .outerjoin(StoredReport, current)
    )


def _view(row: Row[Any]) -> SubmissionView:
    fields = row._asdict()
    fields["candidate"] = fields["candidate"] or "(reviewer upload)"
    fields["state"] = fields["state"] or "queued"
    fields["attempts"] = fields["attempts"] or 0
    fields.setdefault("report_json", None)
    return SubmissionView(**fields)


def list_submissions(
    session: Reader,
    *,
    challenge: str | None = None,
    state: str | None = None,
    invite_id: str | None = None,
    sort: str = "-created",
    limit: int = 500,
    with_reports: bool = False,
) -> list[SubmissionView]:
    """Submissions filtered by challenge, state or invite; sorted by `created` or `score`.

    Their `summary()` is there; their `report_json` only `with_reports` (exports)."""
    query = _query(with_report=with_reports).order_by(Submission.created_at.desc()).limit(limit)
    if challenge:
        query = query.where(Submission.challenge_id == challenge)
    if invite_id:
        query = query.where(Submission.invite_id == invite_id)
    if state == "queued":  # a submission without a run yet counts as queued
        query = query.where(or_(Run.state == state, Run.id.is_(None)))
    elif state:
        query = query.where(Run.state == state)
    views = [_view(row) for row in session.execute(query)]
    sort = sort if sort in _SORTS else "-created"
    key = sort.lstrip("-")
    views.sort(
        key=lambda v: (
            (v.score if v.score is not None else -1.0)
            if key == "score"
            else v.created_at.timestamp()
        ),
        reverse=sort.startswith("-"),
    )
    return views


def load_submission(
    session: Reader, submission_id: str, invite_id: str | None = None, *, with_report: bool = True
) -> SubmissionView:
    """One submission; with `invite_id`, only if it was made through that invite."""
    query = _query(with_report=with_report).where(Submission.id == submission_id)
    if invite_id is not None:
        query = query.where(Submission.invite_id == invite_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("no such submission")
    return _view(row)


def candidate_submission(
    reader: Reader, token_digest: str, submission_id: str
) -> SubmissionView | None:
    """The submission made through the invite whose token has `token_digest`, without its
    report (one SELECT, built once); None when there is no such invite or submission."""
    row = reader.execute(
        _CANDIDATE_SUBMISSION, {"submission_id": submission_id, "token_digest": token_digest}
    ).first()
    return None if row is None else _view(row)


def current_report_json(reader: Reader, submission_id: str) -> str | None:
    """The current report's JSON as stored (one SELECT of one column); None while it has none."""
    return reader.execute(_CURRENT_REPORT_JSON, {"submission_id": submission_id}).scalar()


def open_report_json(reader: Reader, submission_id: str) -> str | None:
    """The current report's JSON as stored, when its submission's invite is not blind (one
    SELECT, built once); None when there is no report, no such submission, or the invite is
    blind (a blind invite's report may need scrubbing: `api.blinding` decides)."""
    row = reader.execute(_OPEN_REPORT_JSON, {"submission_id": submission_id}).first()
    return None if row is None or row.blind else row.json


# The hot reads, built once (building a SELECT costs more than running it).
_CANDIDATE_SUBMISSION = _query(with_report=False).where(
    Submission.id == bindparam("submission_id"), Invite.token_hash == bindparam("token_digest")
)
_CURRENT_REPORT_JSON = select(StoredReport.json).where(
    StoredReport.submission_id == bindparam("submission_id"), StoredReport.current.is_(True)
)


_OPEN_REPORT_JSON = (
    select(StoredReport.json, Invite.blind)
    .select_from(StoredReport)
    .join(Submission, Submission.id == StoredReport.submission_id)
    .outerjoin(Invite, Invite.id == Submission.invite_id)
    .where(
        StoredReport.submission_id == bindparam("submission_id"), StoredReport.current.is_(True)
    )
)


def current_report(session: Session, submission_id: str) -> Report:
    """The submission's current report, or `NotFound` while it has none."""
    view = load_submission(session, submission_id)
    report = view.report()
    if report is None:
        raise NotFound(f"submission {submission_id} has no report yet (state: {view.state})")
    return report


def queue_position(session: Reader, view: SubmissionView) -> int:
    """1 + the number of queued runs ahead of this submission's (older, already due)."""
    if view.run_created_at is None:
        return 1
    ahead = session.scalar(
        select(func.count())
        .select_from(Run)
        .where(
            Run.state == "queued",
            Run.created_at < view.run_created_at,
            Run.not_before <= utcnow(),
        )
    )
    return 1 + (ahead or 0)
