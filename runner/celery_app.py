"""The Celery queue backend: Redis carries run ids, the database stays the record of every run.

Intake inserts the run (state `queued`) and the dispatcher (`runner.dispatch`) publishes a
message holding only the run id. The task `takehome.grade_run` claims that run in the database
with a lease (`RunQueue.claim_run`): a run that is not claimable (done, failed, held by a live
worker, unknown) is acknowledged and dropped, so a duplicate or redelivered message never grades
twice, and `RunQueue.complete` keeps the one-report guarantee. A claim of a run whose earlier
attempt died (attempt > 1) first removes that attempt's containers and volumes, found by the
run-id label. While grading, a heartbeat thread renews the lease, so a short lease can detect a
dead worker quickly without cutting a long grading short.

Long-job settings: late acknowledgement (`task_acks_late`), requeue when a worker process dies
(`task_reject_on_worker_lost`), prefetch of one, and a broker visibility timeout longer than the
longest run. Workers use the thread pool: the grading happens in containers, a worker only waits
for them, and a `kill -9` of a worker stops all of its gradings at once (a prefork child orphaned
by its dead parent would go on grading).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from contextlib import closing
from types import TracebackType

from celery import Celery
from prometheus_client import start_http_server

from runner.logs import configure_logging
from runner.queue import Claim, RunQueue
from runner.settings import Settings
from runner.wiring import PipelineFactory, Wiring, docker_pipeline
from sandbox import SandboxError
from sandbox.docker import connect
from sandbox.reaper import reap

__all__ = ["QUEUE_NAME", "TASK_NAME", "Heartbeat", "RunGrader", "make_celery", "run_worker"]

TASK_NAME = "takehome.grade_run"
QUEUE_NAME = "takehome.runs"

_log = logging.getLogger("takehome.celery")


def make_celery(settings: Settings, grader: RunGrader | None = None) -> Celery:
    """The Celery app over `settings.broker_url`; with `grader`, the task grades through it
    (a worker), without it the app can only publish (the service)."""
    app = Celery("takehome", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_default_queue=QUEUE_NAME,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_enable_remote_control=True,
    )
    if grader is not None:

        @app.task(name=TASK_NAME, bind=False, ignore_result=True)  # type: ignore[untyped-decorator]
        def grade_run(run_id: str) -> str:
            return grader.grade(run_id)

    return app


class Heartbeat:
    """Renews a claim's lease every `interval` seconds until the block ends."""

    def __init__(self, queue: RunQueue, claim: Claim, interval: float) -> None:
        self._queue = queue
        self._claim = claim
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="takehome-lease")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._queue.renew(self._claim):
                    return  # the run is no longer ours: completion will be refused
            except Exception:  # the database briefly away: try again on the next beat
                _log.warning("run %s: lease renewal failed", self._claim.run_id, exc_info=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(5)


class RunGrader:
    """What a Celery worker process holds: its `Wiring` (database, queue, blobs, challenges and
    the checked pipeline) and one `Worker` over it."""

    def __init__(self, wiring: Wiring) -> None:
        self.settings = wiring.settings
        self.queue = wiring.queue
        self._worker = wiring.worker()
        self._host = f"{os.uname().nodename}:{os.getpid()}"

    def grade(self, run_id: str) -> str:
        """Claim `run_id` and grade it; "dropped" when it is not claimable, else "graded"."""
        owner = f"{self._host}:{uuid.uuid4().hex[:8]}"
        claim = self.queue.claim_run(run_id, owner)
        if claim is None:
            _log.info("run %s: not claimable, message dropped", run_id, extra={"run_id": run_id})
            return "dropped"
        if claim.attempt > 1:  # an earlier attempt may have died mid-run: clear its leftovers
            try:
                with closing(connect()) as client:
                    leftovers = reap(client, run_id=run_id)
            except SandboxError as exc:
                self.queue.retry(claim, f"{type(exc).__name__}: {exc}")
                return "retried"
            if leftovers.total:
                _log.info(
                    "run %s: removed %d leftover(s) of an earlier attempt",
                    run_id,
                    leftovers.total,
                    extra={"run_id": run_id},
                )
        interval = max(0.5, min(30.0, self.settings.lease_seconds / 3))
        with Heartbeat(self.queue, claim, interval):
            self._worker.run_claimed(claim)
        return "graded"


def run_worker(
    settings: Settings,
    concurrency: int,
    hostname: str | None = None,
    pipeline_factory: PipelineFactory = docker_pipeline,
) -> None:
    """`takehome worker`: a Celery worker of `concurrency` threads until stopped (SIGTERM: warm
    shutdown, current gradings finish; a second SIGTERM or SIGKILL: their runs are taken over
    when their leases expire).

    The pipeline is built, and so every grader checked, before the worker consumes anything:
    `GraderChecksFailed` (or a `SandboxError`: Docker not reachable) is raised instead, and no
    message is taken."""
    configure_logging(settings.log_format)
    wiring = Wiring(settings, pipeline_factory)
    wiring.open()
    _log.info("checking the graders before taking runs")
    wiring.pipeline()
    if settings.metrics_port:
        start_http_server(settings.metrics_port)
    app = make_celery(settings, RunGrader(wiring))
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={concurrency}",
        f"--queues={QUEUE_NAME}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
