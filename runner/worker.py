"""Grading workers: threads that take runs from the `RunQueue` and grade them with a `Pipeline`.

One `Worker.run_once()` claims a run, reads its snapshot from the blob store, grades it and stores
the report. Verdicts about the candidate's code are in the report; faults decide the run's fate:

- any other `SandboxError` (Docker down, an image missing): the run goes back to the queue with
  backoff;
- an unknown challenge, a missing or corrupted snapshot, image settings that cannot build the
  challenge's image (`SandboxMisconfigured`): the run fails at once (no retry helps; a regrade
  after the fix grades it);
- any other exception is a bug: the run fails with the exception named, and the worker goes on.

The lease is renewed on every progress event of the pipeline, so a long grading keeps its run
while a crashed worker's runs are taken over once their lease expires.

Once the report is stored, the submission's similarity check runs (`similarity`, when given:
`runner.similarity.SimilarityIndex.record`). It never raises: its failure is logged and recorded
on its own, and the run is done whatever it finds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable

from runner.blobs import BlobError, BlobStore
from runner.challenge import ChallengeError, ChallengeRegistry
from runner.intake import IntakeError, Snapshot
from runner.metrics import RUNS_SETTLED, SANDBOX_FAILURES, record_report
from runner.pipeline import Pipeline
from runner.queue import Claim, RunQueue
from runner.similarity import SimilarityIndex
from sandbox import SandboxError, SandboxMisconfigured

__all__ = ["Worker", "WorkerPool"]

_log = logging.getLogger("takehome.worker")


class Worker:
    """Grades queued runs, one at a time."""

    def __init__(
        self,
        queue: RunQueue,
        blobs: BlobStore,
        challenges: Callable[[], ChallengeRegistry],
        pipeline: Callable[[], Pipeline],
        name: str | None = None,
        *,
        similarity: SimilarityIndex | None = None,
    ) -> None:
        self._queue = queue
        self._similarity = similarity
        self._blobs = blobs
        self._challenges = challenges
        self._pipeline = pipeline
        self.name = name or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def run_once(self) -> str | None:
        """Claim and grade one run; returns the run's id, or None when nothing was due."""
        claim = self._queue.claim(self.name)
        if claim is None:
            return None
        self.run_claimed(claim)
        return claim.run_id

    def run_claimed(self, claim: Claim) -> None:
        """Grade a run this worker has claimed (`claim.owner` must be `self.name`) and settle it:
        report stored, queued again after an infrastructure fault, or failed."""
        if claim.attempt > self._queue.max_attempts:  # taken over too often: give up
            self._queue.fail(claim, f"gave up after {claim.attempt - 1} attempt(s)")
            return
        context = _context(claim)
        _log.info("run %s: grading (attempt %d)", claim.run_id, claim.attempt, extra=context)
        outcome = "failed"
        try:
            outcome = self._grade(claim)
        except SandboxMisconfigured as exc:
            SANDBOX_FAILURES.labels(type(exc).__name__).inc()
            self._queue.fail(claim, f"{type(exc).__name__}: {exc}")
            _log.error("run %s: failed: %s", claim.run_id, exc, extra=context)
        except SandboxError as exc:
            SANDBOX_FAILURES.labels(type(exc).__name__).inc()
            state = self._queue.retry(claim, f"{type(exc).__name__}: {exc}")
            outcome = "retried" if state == "queued" else "failed"
            _log.warning(
                "run %s: infrastructure fault (%s), now %s",
                claim.run_id,
                exc,
                state,
                extra=context,
            )
        except (ChallengeError, LookupError, BlobError, IntakeError) as exc:
            self._queue.fail(claim, f"{type(exc).__name__}: {exc}")
            _log.warning("run %s: failed: %s", claim.run_id, exc, extra=context)
        except Exception as exc:  # a bug: record it on the run, keep the worker alive
            _log.exception("run %s: internal error", claim.run_id, extra=context)
            self._queue.fail(claim, f"internal error: {type(exc).__name__}: {exc}")
        RUNS_SETTLED.labels(outcome).inc()

    def _grade(self, claim: Claim) -> str:
        started = time.monotonic()
        challenge = self._challenges().get(claim.challenge_id)
        snapshot = Snapshot.from_tar(self._blobs.get(claim.snapshot_digest))
        report = self._pipeline().grade(
            challenge,
            snapshot,
            run_id=claim.run_id,
            progress=lambda _step, _event: self._renew(claim),
            repeat=claim.repeat,
        )
        if not self._queue.complete(claim, report):
            _log.warning(
                "run %s: lease lost before completion; report discarded",
                claim.run_id,
                extra=_context(claim),
            )
            return "lost_lease"
        record_report(claim.challenge_id, report, time.monotonic() - started)
        if self._similarity is not None:
            self._similarity.record(claim.submission_id, challenge, snapshot)
        _log.info("run %s: done, score %.1f", claim.run_id, report.score, extra=_context(claim))
        return "done"

    def _renew(self, claim: Claim) -> None:
        if not self._queue.renew(claim):
            _log.warning("run %s: lease lost while grading", claim.run_id)


def _context(claim: Claim) -> dict[str, object]:
    """The `extra` of a log line about `claim` (fields of `runner.logs.JsonFormatter`)."""
    return {
        "run_id": claim.run_id,
        "submission_id": claim.submission_id,
        "challenge_id": claim.challenge_id,
        "attempt": claim.attempt,
        "worker": claim.owner,
    }


class WorkerPool:
    """`count` worker threads polling the queue every `poll_seconds` until `stop()`."""

    def __init__(
        self, make_worker: Callable[[int], Worker], count: int, poll_seconds: float = 1.0
    ) -> None:
        self._make = make_worker
        self._count = count
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the threads (daemon threads: a stuck grading never blocks shutdown)."""
        for index in range(self._count):
            worker = self._make(index)
            thread = threading.Thread(
                target=self._loop, args=(worker,), name=f"takehome-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _loop(self, worker: Worker) -> None:
        while not self._stop.is_set():
            try:
                busy = worker.run_once() is not None
            except Exception:  # the database being briefly unavailable must not kill a worker
                _log.exception("worker %s: cannot take a run", worker.name)
                busy = False
            if not busy:
                self._stop.wait(self._poll)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the threads to stop after their current run and wait up to `timeout` each."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
