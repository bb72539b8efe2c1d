"""The database is the queue: runs are claimed with a lease, completed or retried atomically.

A run moves `queued -> running -> done | failed`.`claim()` takes the oldest claimable run (queued
and due, or running with an expired lease: its worker died) with one conditional UPDATE, so two
workers never hold the same run. `complete()` stores the report, marks older reports of the
submission not current and the run done, in one transaction, and only while the caller still
holds the lease: a worker that lost its lease (another took the run over) changes nothing, so
each run yields exactly one report. An infrastructure fault sends the run back to the queue with
exponential backoff (`retry()`), until `max_attempts`, then marks it failed with the reason.

`claim_run(run_id)` takes one named run on the same terms (the Celery backend's messages carry
only a run id), and `claimable_keys()` lists what a dispatcher should (re)publish. Both consider
only `queued` runs and `running` runs whose lease expired: any other state (done, failed, or a
state added later) is never claimable.

Back-pressure: `admit(challenge_id)` raises `QueueFull` when the runs waiting or grading reach
the configured limit (per challenge, or overall), before anything is stored. The check is not
in the insert's transaction: concurrent uploads may overshoot a limit by their number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update

from graders.caps import fit_report
from graders.model import Report
from runner.store import events
from runner.store.db import Database
from runner.store.models import Run, StoredReport, Submission, utcnow
from runner.store.summary import ReportSummary

__all__ = ["Claim", "QueueFull", "RunKey", "RunQueue"]

#: A run as a dispatcher sees it: (id, attempts, state).
RunKey = tuple[str, int, str]


@dataclass(frozen=True)
class Claim:
    """A run a worker holds: what to grade and the attempt number (1 for the first)."""

    run_id: str
    submission_id: str
    challenge_id: str
    snapshot_digest: str
    attempt: int
    owner: str
    repeat: int = 1
    """How many times to run the hidden tests (`Run.repeat`)."""


class QueueFull(Exception):
    """Intake refused: too many runs wait or grade. `scope` is "challenge" or "overall"."""

    def __init__(self, message: str, *, scope: str, retry_after: int) -> None:
        super().__init__(message)
        self.scope = scope
        self.retry_after = retry_after


class RunQueue:
    """Claims, renews, completes and retries runs in `db`."""

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = 900.0,
        max_attempts: int = 3,
        backoff_seconds: float = 5.0,
        limit: int = 0,
        limit_per_challenge: int = 0,
        retry_after: int = 60,
        max_report_bytes: int = 2 * 1024 * 1024,
    ) -> None:
        self._db = db
        self.max_report_bytes = max_report_bytes
        self.limit = limit
        self.limit_per_challenge = limit_per_challenge
        self.retry_after = retry_after
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds

    def claim(self, owner: str, now: datetime | None = None) -> Claim | None:
        """Take the oldest claimable run for `owner`, or None when there is none."""
        now = now or utcnow()
        for _ in range(5):  # another worker may win the race for a candidate: try the next
            with self._db.reading() as session:
                run_id = session.scalar(
                    select(Run.id).where(_claimable(now)).order_by(Run.created_at, Run.id).limit(1)
                )
            if run_id is None:
                return None
            claim = self.claim_run(run_id, owner, now)
            if claim is not None:
                return claim
        return None

    def claim_run(self, run_id: str, owner: str, now: datetime | None = None) -> Claim | None:
        """Take the run `run_id` for `owner` if it is claimable (queued and due, or running with
        an expired lease), else None: it is done, failed, held by a live worker or unknown."""
        now = now or utcnow()
        with self._db.writing() as session:
            taken = session.execute(
                update(Run)
                .where(Run.id == run_id, _claimable(now))
                .values(
                    state="running",
                    attempts=Run.attempts + 1,
                    lease_owner=owner,
                    lease_expires_at=now + self.lease,
                    started_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            run = session.get_one(Run, run_id)
            sub = session.get_one(Submission, run.submission_id)
            return Claim(
                run.id,
                sub.id,
                sub.challenge_id,
                sub.snapshot_digest,
                run.attempts,
                owner,
                repeat=run.repeat,
            )

    def claimable_keys(self, limit: int = 10000, now: datetime | None = None) -> list[RunKey]:
        """(id, attempts, state) of the claimable runs, oldest first: a key changes when a run is
        retried or taken over, which is when a dispatcher must publish it again."""
        now = now or utcnow()
        with self._db.reading() as session:
            rows = session.execute(
                select(Run.id, Run.attempts, Run.state)
                .where(_claimable(now))
                .order_by(Run.created_at, Run.id)
                .limit(limit)
            )
            return [(run_id, attempts, state) for run_id, attempts, state in rows]

    def admit(self, challenge_id: str) -> None:
        """Raise `QueueFull` when a new run of `challenge_id` would pass a limit (0: none)."""
        if self.limit_per_challenge and self.depth(challenge_id) >= self.limit_per_challenge:
            raise QueueFull(
                f"{self.limit_per_challenge} submissions of {challenge_id!r} are waiting or being"
                " graded; try again later",
                scope="challenge",
                retry_after=self.retry_after,
            )
        if self.limit and self.depth() >= self.limit:
            raise QueueFull(
                f"the grading queue is full ({self.limit} runs); try again later",
                scope="overall",
                retry_after=self.retry_after,
            )

    def depth(self, challenge_id: str | None = None) -> int:
        """How many runs wait or are being graded (overall, or of one challenge)."""
        query = select(func.count()).select_from(Run).where(Run.state.in_(("queued", "running")))
        if challenge_id is not None:
            query = query.join(Submission, Submission.id == Run.submission_id).where(
                Submission.challenge_id == challenge_id
            )
        with self._db.reading() as session:
            return int(session.scalar(query) or 0)

    def renew(self, claim: Claim, now: datetime | None = None) -> bool:
        """Extend the lease; False when the run is no longer the caller's."""
        now = now or utcnow()
        with self._db.writing() as session:
            result = session.execute(
                update(Run)
                .where(*self._held(claim))
                .values(lease_expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def complete(self, claim: Claim, report: Report) -> bool:
        """Store the report as the submission's current one and mark the run done.

        The report is first fitted to `max_report_bytes` (`graders.caps.fit_report`: fewer
        findings listed, and a verdict saying so); its summary is stored with it. False (and
        nothing written) when the caller no longer holds the run."""
        now = utcnow()
        report = fit_report(report, self.max_report_bytes)
        summary = ReportSummary.of(report).to_json()
        with self._db.writing() as session:
            done = session.execute(
                update(Run)
                .where(*self._held(claim))
                .values(state="done", finished_at=now, lease_owner=None, error=None)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            session.execute(
                update(StoredReport)
                .where(StoredReport.submission_id == claim.submission_id)
                .values(current=False)
                .execution_options(synchronize_session=False)
            )
            session.add(
                StoredReport(
                    run_id=claim.run_id,
                    submission_id=claim.submission_id,
                    score=report.score,
                    json=report.to_json(),
                    summary_json=summary,
                    current=True,
                    created_at=now,
                )
            )
            events.graded(session, claim.submission_id, claim.run_id, report)
            return True

    def retry(self, claim: Claim, reason: str) -> str:
        """After an infrastructure fault: queue again with backoff, or fail after the last try.

        Returns the run's new state ("queued" or "failed"; "" if the run was not the caller's)."""
        if claim.attempt >= self.max_attempts:
            reason = f"gave up after {claim.attempt} attempt(s): {reason}"
            return "failed" if self.fail(claim, reason) else ""
        delay = timedelta(seconds=self.backoff_seconds * 2 ** (claim.attempt - 1))
        with self._db.writing() as session:
            result = session.execute(
                update(Run)
                .where(*self._held(claim))
                .values(
                    state="queued",
                    lease_owner=None,
                    lease_expires_at=None,
                    not_before=utcnow() + delay,
                    error=reason[:4000],
                )
                .execution_options(synchronize_session=False)
            )
            return "queued" if result.rowcount == 1 else ""  # type: ignore[attr-defined]

    def fail(self, claim: Claim, reason: str) -> bool:
        """Mark the run failed for good with `reason`."""
        with self._db.writing() as session:
            result = session.execute(
                update(Run)
                .where(*self._held(claim))
                .values(
                    state="failed", finished_at=utcnow(), lease_owner=None, error=reason[:4000]
                )
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    @staticmethod
    def _held(claim: Claim) -> tuple[ColumnElement[bool], ...]:
        return (Run.id == claim.run_id, Run.state == "running", Run.lease_owner == claim.owner)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        (Run.state == "queued") & (Run.not_before <= now),
        (Run.state == "running") & (Run.lease_expires_at < now),
    )
