"""The composition root: what `takehome serve`, `takehome worker` and the CLI build from settings.

`Wiring(settings, pipeline_factory)` holds, each made on first use and then shared:

- `db`: the database (opened and migrated);
- `blobs`: the content-addressed blob store under `<data_dir>/blobs`;
- `queue`: the `RunQueue` over `db`, with the one set of arguments every process uses (lease,
  attempts, back-pressure limits, Retry-After);
- `challenges`: the challenge packs of `settings.challenge_dirs`;
- `event_dispatcher`: the outbound events' sender (`runner.events`), started by `takehome serve`;
- `pipeline()`: the grading pipeline, built once, under a lock, by `pipeline_factory`;
- `similarity`: the similarity index the workers feed after each report (`runner.similarity`).

Self-checks (DMOJ's executor self-test): **building the pipeline runs every registered grader's
`check()` once**, in the sandbox the pipeline grades in (`checked`). The production factory,
`docker_pipeline`, connects to Docker, makes sure the tools image exists and checks every grader
in it before it hands the pipeline out. A failing check raises `GraderChecksFailed`, naming each
failing grader; the failure is remembered, so the process never builds or uses that pipeline
(a grader does not heal by itself: fix it and restart). Any other failure to build (Docker not
reachable) is not remembered: the next `pipeline()` tries again.

When the checks run: where a process grades, at process start, before it takes any run:

- `takehome worker` builds the pipeline before it consumes a single message and exits with one
  line and exit code 1 when a grader fails its check (4 when Docker is unreachable);
- `takehome serve` with embedded worker threads (`EmbeddedWorkers`) builds it in a background
  thread when the app starts (start-up is not held up by the checks' containers) and starts the
  threads only once it is built: with a failing grader they never start, and `/readyz` answers
  503 naming the grader (`pipeline_state`);
- the CLI's `grade` and `challenges validate` build it when they run, so a report is never made
  by a grader that failed its check;
- `takehome serve` without worker threads (`workers = 0`, or the celery queue) never builds it.

A factory over a sandbox that cannot run the tools (the tests' `FakeSandbox`) skips the checks;
the tests of this module run them through a sandbox that can.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import cached_property

from graders import all_graders
from graders.base import GraderCheckFailed
from runner.blobs import LocalBlobStore
from runner.challenge import ChallengeRegistry
from runner.engine import open_engine
from runner.events import EventDispatcher
from runner.pipeline import Pipeline
from runner.queue import RunQueue
from runner.settings import Settings
from runner.similarity import SimilarityIndex
from runner.store import Database, open_database
from runner.worker import Worker, WorkerPool
from sandbox import Sandbox

__all__ = [
    "EmbeddedWorkers",
    "GraderChecksFailed",
    "PipelineFactory",
    "Wiring",
    "check_graders",
    "checked",
    "docker_pipeline",
]

_log = logging.getLogger("takehome.wiring")

#: Makes the grading pipeline from the settings (tests inject one over a `FakeSandbox`).
PipelineFactory = Callable[[Settings], Pipeline]


class GraderChecksFailed(Exception):
    """One or more registered graders failed their self-check: this process must take no runs.

    `failures` maps each failing grader's name to what its check said."""

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(failures)
        named = "; ".join(f"{name}: {reason}" for name, reason in self.failures.items())
        super().__init__(f"grader self-check failed, no runs are taken ({named})")


def check_graders(sandbox: Sandbox, image: str) -> dict[str, str]:
    """Run every registered grader's `check()` once, in registration order, in `sandbox` with
    `image`; the failures by grader name (empty: all passed). A `SandboxError` is not a grader's
    failure: it propagates."""
    failures = {}
    for name, grader in all_graders().items():
        try:
            grader.check(sandbox, image)
        except GraderCheckFailed as exc:
            failures[name] = str(exc)
    return failures


def checked(pipeline: Pipeline, sandbox: Sandbox, image: str) -> Pipeline:
    """`pipeline`, once every registered grader passed its check in `sandbox` (the one the
    pipeline grades in) with `image`; raises `GraderChecksFailed` otherwise."""
    failures = check_graders(sandbox, image)
    if failures:
        raise GraderChecksFailed(failures)
    return pipeline


def docker_pipeline(settings: Settings, log: Callable[[str], None] = _log.info) -> Pipeline:
    """The production pipeline over the Docker sandbox of `runner.engine`, every grader checked
    in the tools image (built if missing). Raises `GraderChecksFailed` or a `SandboxError`."""
    engine = open_engine(settings, log=log)
    return checked(engine.pipeline, engine.sandbox, engine.images.ensure_tools())


class _LazyPipeline:
    """The one pipeline of a process: built on first use, under a lock, checked once."""

    def __init__(self, settings: Settings, factory: PipelineFactory) -> None:
        self._settings = settings
        self._factory = factory
        self._lock = threading.Lock()
        self._pipeline: Pipeline | None = None
        self.failed: GraderChecksFailed | None = None

    def get(self) -> Pipeline:
        with self._lock:
            if self.failed is not None:
                raise self.failed
            if self._pipeline is None:
                try:
                    self._pipeline = self._factory(self._settings)
                except GraderChecksFailed as exc:
                    self.failed = exc
                    raise
            return self._pipeline

    @property
    def built(self) -> bool:
        return self._pipeline is not None


class Wiring:
    """Database, blob store, queue, challenges and the lazily built pipeline of one process."""

    def __init__(
        self, settings: Settings, pipeline_factory: PipelineFactory = docker_pipeline
    ) -> None:
        self.settings = settings
        self._pipeline = _LazyPipeline(settings, pipeline_factory)

    @cached_property
    def db(self) -> Database:
        """The database, opened (and migrated) on first use."""
        return open_database(self.settings)

    @cached_property
    def blobs(self) -> LocalBlobStore:
        """The blob store under `<data_dir>/blobs`."""
        return LocalBlobStore(self.settings.data_dir / "blobs")

    @cached_property
    def queue(self) -> RunQueue:
        """The run queue over `db`, configured from the settings."""
        settings = self.settings
        return RunQueue(
            self.db,
            lease_seconds=settings.lease_seconds,
            max_attempts=settings.max_attempts,
            limit=settings.queue_limit,
            limit_per_challenge=settings.queue_limit_per_challenge,
            retry_after=settings.retry_after_seconds,
            max_report_bytes=settings.max_report_bytes,
        )

    @cached_property
    def event_dispatcher(self) -> EventDispatcher:
        """The outbound events' dispatcher over `db` (not started; `takehome serve` runs it)."""
        return EventDispatcher.from_settings(self.db, self.settings)

    @cached_property
    def challenges(self) -> ChallengeRegistry:
        """The challenge packs under `settings.challenge_dirs` (raises `ChallengeError`)."""
        return ChallengeRegistry.from_roots(*self.settings.challenge_dirs)

    @cached_property
    def similarity(self) -> SimilarityIndex | None:
        """The similarity index over `db` (None when `settings.similarity` is off)."""
        if not self.settings.similarity:
            return None
        return SimilarityIndex(self.db, self.settings.similarity_threshold)

    def open(self) -> None:
        """Open the database (migrating it) and read the challenge packs now, so that a broken
        setup fails at process start rather than on the first request or run."""
        _ = self.queue, self.challenges

    def pipeline(self) -> Pipeline:
        """The grading pipeline, built and checked on first use and shared by the workers;
        raises `GraderChecksFailed` (every time, once a check failed) or a `SandboxError`."""
        return self._pipeline.get()

    def pipeline_state(self) -> str:
        """What `/readyz` reports of the pipeline: "ok" once it is built, "pending" before, or
        "failed: <grader>, ..." once a grader failed its check."""
        failed = self._pipeline.failed
        if failed is not None:
            return "failed: " + ", ".join(failed.failures)
        return "ok" if self._pipeline.built else "pending"

    def worker(self, name: str | None = None) -> Worker:
        """A worker over this process's queue, blobs, challenges and pipeline."""
        return Worker(
            self.queue,
            self.blobs,
            lambda: self.challenges,
            self.pipeline,
            name=name,
            similarity=self.similarity,
        )

    def close(self) -> None:
        """Close the database if it was opened."""
        if "db" in self.__dict__:
            self.db.close()


class EmbeddedWorkers:
    """`count` grading threads in this process, started only once `wiring`'s pipeline is built
    (every grader checked). A build that fails for another reason (Docker not reachable) is tried
    again every `retry_seconds`; a failed grader check stops trying: no thread ever starts."""

    def __init__(self, wiring: Wiring, count: int, retry_seconds: float = 10.0) -> None:
        self._wiring = wiring
        self._count = count
        self._retry = retry_seconds
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the pool starts before stop() or not at all
        # Each worker gets a unique lease-owner name (host, pid, random): two processes must
        # never share one, or both would believe they hold the same run.
        self._pool = WorkerPool(lambda _index: wiring.worker(), count)
        self._starter = threading.Thread(
            target=self._build_then_start, name="takehome-pipeline", daemon=True
        )

    def start(self) -> None:
        """Build the pipeline in the background, then start the threads (none if `count` is 0)."""
        if self._count > 0:
            self._starter.start()

    def _build_then_start(self) -> None:
        while not self._stop.is_set():
            try:
                self._wiring.pipeline()
            except GraderChecksFailed as exc:
                _log.error("%s", exc)
                return
            except Exception as exc:  # Docker not reachable yet: the same as a run retrying
                name = type(exc).__name__
                _log.warning("cannot build the grading pipeline yet: %s: %s", name, exc)
                self._stop.wait(self._retry)
                continue
            with self._lock:
                if not self._stop.is_set():
                    self._pool.start()
            return

    def stop(self) -> None:
        """Stop the threads after their current runs (and the start-up, if it still runs)."""
        with self._lock:
            self._stop.set()
        if self._starter.is_alive():
            self._starter.join(self._retry)
        self._pool.stop()
