"""What the routes share: settings, database, blob store, queue, challenges and the pipeline.

Built once by `create_app` and stored on `app.state.services`; routes get it through the
`services` dependency. The pipeline is made on first use (connecting to Docker is slow and not
needed to take submissions), through the factory the app was given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from runner.blobs import LocalBlobStore
from runner.challenge import ChallengeRegistry
from runner.dispatch import Dispatcher
from runner.engine import open_engine
from runner.metrics import QueueCollector
from runner.pipeline import Pipeline
from runner.queue import RunQueue
from runner.settings import Settings
from runner.store import Database, open_database
from runner.store.secrets import UnsafeSettings, check_secrets
from runner.worker import Worker

__all__ = [
    "PipelineFactory",
    "Services",
    "Svc",
    "UnsafeSettings",
    "check_secrets",
    "docker_pipeline",
    "services",
]

#: Makes the grading pipeline from the settings (tests inject one over a `FakeSandbox`).
PipelineFactory = Callable[[Settings], Pipeline]


def docker_pipeline(settings: Settings) -> Pipeline:
    """The production pipeline: the Docker sandbox of `runner.engine`."""
    return open_engine(settings, log=lambda _message: None).pipeline


@dataclass
class Services:
    """The service's shared state."""

    settings: Settings
    db: Database
    blobs: LocalBlobStore
    queue: RunQueue
    challenges: ChallengeRegistry
    pipeline_factory: PipelineFactory
    dispatcher: Dispatcher | None = None
    """Publishes runs to the broker (celery queue only; set by `create_app`)."""
    broker: Any = None
    """The publishing Celery app (celery queue only)."""
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry, repr=False)
    """This service's database-backed metrics (queue depth, runs by state)."""
    _pipeline: Pipeline | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings, pipeline_factory: PipelineFactory) -> Services:
        """Open the database (migrating it), the blob store and the challenge packs."""
        db = open_database(settings)
        found = cls(
            settings=settings,
            db=db,
            blobs=LocalBlobStore(settings.data_dir / "blobs"),
            queue=RunQueue(
                db,
                lease_seconds=settings.lease_seconds,
                max_attempts=settings.max_attempts,
                limit=settings.queue_limit,
                limit_per_challenge=settings.queue_limit_per_challenge,
                retry_after=settings.retry_after_seconds,
            ),
            challenges=ChallengeRegistry.from_roots(*settings.challenge_dirs),
            pipeline_factory=pipeline_factory,
        )
        found.metrics.register(QueueCollector(lambda: found.db))
        return found

    def pipeline(self) -> Pipeline:
        """The grading pipeline, made on first use and shared by the workers."""
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self.pipeline_factory(self.settings)
            return self._pipeline

    def enqueued(self) -> None:
        """Intake inserted a run: with the celery queue, publish it now rather than at the next
        poll (never blocks the request: the dispatcher's thread publishes)."""
        if self.dispatcher is not None:
            self.dispatcher.wake()

    def worker(self, name: str | None = None) -> Worker:
        """A worker over this service's queue, blobs, challenges and pipeline."""
        return Worker(self.queue, self.blobs, lambda: self.challenges, self.pipeline, name=name)


def services(request: Request) -> Services:
    """FastAPI dependency: the app's `Services`."""
    found: Services = request.app.state.services
    return found


#: A route parameter holding the app's `Services`.
Svc = Annotated[Services, Depends(services)]
