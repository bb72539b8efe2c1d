"""Prometheus metrics of grading, recorded where the grading happens.

Counters and the duration histogram live in the process that grades: the service with the
embedded queue (scraped at its `/metrics`), each `takehome worker` with the Celery queue (scraped
at its `TAKEHOME_METRICS_PORT`). Queue depth and runs by state come from the database at scrape
time (`QueueCollector`), so any service replica reports the same, whole picture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from graders.model import Report
from runner.store.db import Database
from runner.store.models import RUN_STATES, Run, utcnow

__all__ = [
    "GRADING_SECONDS",
    "RUNS_GRADED",
    "RUNS_SETTLED",
    "SANDBOX_FAILURES",
    "QueueCollector",
    "record_report",
]

GRADING_SECONDS = Histogram(
    "takehome_grading_seconds",
    "Wall-clock time of one grading, from claim to stored report.",
    ["challenge"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600),
)
RUNS_GRADED = Counter(
    "takehome_runs_graded",
    "Reports stored, by challenge and verdict (`none` when the report has no verdict).",
    ["challenge", "verdict"],
)
RUNS_SETTLED = Counter(
    "takehome_runs_settled",
    "Runs a worker finished handling, by outcome: done, retried, failed, lost_lease.",
    ["outcome"],
)
SANDBOX_FAILURES = Counter(
    "takehome_sandbox_failures",
    "Infrastructure faults of the sandbox (Docker down, image missing), by exception.",
    ["kind"],
)


def record_report(challenge_id: str, report: Report, seconds: float) -> None:
    """Count a stored report and its duration."""
    GRADING_SECONDS.labels(challenge_id).observe(seconds)
    kinds = sorted({v.kind.value for v in report.verdicts}) or ["none"]
    for kind in kinds:
        RUNS_GRADED.labels(challenge_id, kind).inc()


class QueueCollector(Collector):
    """Queue depth, runs by state and the age of the oldest waiting run, read from `db`."""

    def __init__(self, db: Callable[[], Database]) -> None:
        self._db = db

    def collect(self) -> Iterator[Metric]:
        """Called by the registry on every scrape."""
        now = utcnow()
        with self._db().reading() as session:
            rows = session.execute(select(Run.state, func.count()).group_by(Run.state))
            counts = {state: int(count) for state, count in rows}
            due = session.scalar(
                select(func.count())
                .select_from(Run)
                .where(Run.state == "queued", Run.not_before <= now)
            )
            oldest = session.scalar(select(func.min(Run.created_at)).where(Run.state == "queued"))
        depth = GaugeMetricFamily(
            "takehome_queue_depth", "Runs queued and due, waiting for a worker."
        )
        depth.add_metric([], float(due or 0))
        yield depth
        states = GaugeMetricFamily("takehome_runs", "Runs by state.", labels=["state"])
        for state in sorted(set(RUN_STATES) | set(counts)):
            states.add_metric([state], float(counts.get(state, 0)))
        yield states
        age = GaugeMetricFamily(
            "takehome_queue_oldest_seconds", "Age of the oldest queued run (0: none)."
        )
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield age
