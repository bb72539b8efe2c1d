"""What the routes share: the process's `Wiring` plus what only the web service needs.

`Services` is the api-side face of `runner.wiring.Wiring` (settings, database, blob store, queue,
challenges and the lazily built, self-checked pipeline): built once by `create_app`, stored on
`app.state.services`, and given to routes through the `services` dependency. On top of the
wiring it holds the Celery dispatcher and broker (celery queue only), this service's metrics and
its Git clone slots and submission rate limits.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from api.clones import CloneSlots
from api.ratelimit import SubmitLimits
from runner.dispatch import Dispatcher
from runner.metrics import QueueCollector
from runner.settings import Settings
from runner.wiring import PipelineFactory, Wiring, docker_pipeline

__all__ = ["PipelineFactory", "Services", "Svc", "docker_pipeline", "services"]


class Services(Wiring):
    """The service's shared state: the wiring, opened at once (database migrated, challenge
    packs read), plus the web service's own parts."""

    def __init__(
        self, settings: Settings, pipeline_factory: PipelineFactory = docker_pipeline
    ) -> None:
        super().__init__(settings, pipeline_factory)
        self.open()
        self.dispatcher: Dispatcher | None = None
        """Publishes runs to the broker (celery queue only; set by `create_app`)."""
        self.broker: Any = None
        """The publishing Celery app (celery queue only)."""
        self.metrics = CollectorRegistry()
        """This service's database-backed metrics (queue depth, runs by state)."""
        self.metrics.register(QueueCollector(lambda: self.db))
        self.clone_slots = CloneSlots(settings.clone_slots, settings.clones_per_invite)
        """The threads Git submissions are fetched on (`api.gitsubmit`)."""
        self.submit_limits = SubmitLimits.from_settings(settings)
        """Submission attempts per invite and per client address (`api.ratelimit`)."""

    @property
    def grading_threads(self) -> int:
        """Runs this process grades at once: none with the celery queue (this process only
        enqueues; `takehome worker` processes grade), else `settings.workers`."""
        return 0 if self.settings.queue == "celery" else self.settings.workers

    def enqueued(self) -> None:
        """Intake inserted a run: with the celery queue, publish it now rather than at the next
        poll (never blocks the request: the dispatcher's thread publishes)."""
        if self.dispatcher is not None:
            self.dispatcher.wake()


def services(request: Request) -> Services:
    """FastAPI dependency: the app's `Services`."""
    found: Services = request.app.state.services
    return found


#: A route parameter holding the app's `Services`.
Svc = Annotated[Services, Depends(services)]
