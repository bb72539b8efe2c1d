"""The FastAPI application factory.

`create_app(settings, pipeline_factory=...)` checks the settings (no default secret key outside
dev mode), opens the database (migrating it), the blob store and the challenge packs, includes
the routers (listed explicitly below) and the error mapping, and, when `settings.workers > 0`,
runs that many grading worker threads for the app's lifetime. Tests pass a pipeline over a
`FakeSandbox`; production uses the Docker sandbox (`api.services.docker_pipeline`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import install_error_handlers
from api.routes import (
    api_json,
    bindings,
    candidate,
    ops,
    review_pages,
    reviewer,
    reviews,
    session,
    webhooks,
)
from api.services import PipelineFactory, Services, check_secrets, docker_pipeline
from runner.celery_app import TASK_NAME, make_celery
from runner.dispatch import Dispatcher
from runner.settings import Settings
from runner.worker import WorkerPool

__all__ = ["create_app", "from_environment"]

_ROUTERS = (
    candidate.router,
    session.router,
    reviewer.router,
    api_json.router,
    ops.router,
    bindings.router,
    webhooks.router,
    reviews.router,
    review_pages.router,
)
_DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
_SECURITY_HEADERS = {
    # The invite token is in the URL: never send it on to another site.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
        " frame-ancestors 'none'; form-action 'self'"
    ),
}


class _SecurityHeaders:
    """Pure ASGI middleware adding `_SECURITY_HEADERS` to every response (not to the docs' CSP,
    whose pages load Swagger UI and ReDoc from a CDN)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        docs = scope["path"] in _DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    if name not in headers and not (docs and name == "Content-Security-Policy"):
                        headers[name] = value
            await send(message)

        await self._app(scope, receive, send_with_headers)


def create_app(settings: Settings, pipeline_factory: PipelineFactory = docker_pipeline) -> FastAPI:
    """The takehome web service over `settings`; raises `UnsafeSettings` on unsafe secrets."""
    settings = check_secrets(settings)
    services = Services.open(settings, pipeline_factory)
    if settings.queue == "celery":
        _use_celery(services)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Each worker gets a unique lease-owner name (host, pid, random): two processes must
        # never share one, or both would believe they hold the same run.
        # With the celery queue this process only enqueues: no worker threads, a dispatcher.
        threads = 0 if settings.queue == "celery" else settings.workers
        pool = WorkerPool(lambda _index: services.worker(), threads)
        pool.start()
        if services.dispatcher is not None:
            services.dispatcher.start()
        try:
            yield
        finally:
            if services.dispatcher is not None:
                services.dispatcher.stop()
            pool.stop()
            services.db.close()

    app = FastAPI(
        title="takehome",
        summary="Sandboxed take-home challenges: intake, grading queue, reports.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = services
    for router in _ROUTERS:
        app.include_router(router)
    install_error_handlers(app)

    app.add_middleware(_SecurityHeaders)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/reviewer", status_code=303)

    @app.get("/healthz", tags=["service"], summary="Liveness")
    def healthz() -> dict[str, str]:
        """Answers while the service runs."""
        return {"status": "ok"}

    return app


def _use_celery(services: Services) -> None:
    """Publish runs to the Celery broker through a dispatcher (see `runner.dispatch`)."""
    settings = services.settings
    broker = make_celery(settings)

    def publish(run_id: str) -> None:
        broker.send_task(TASK_NAME, args=[run_id], retry=False)

    services.broker = broker
    services.dispatcher = Dispatcher(
        services.queue,
        publish,
        interval=settings.dispatch_seconds,
        republish_seconds=settings.republish_seconds,
    )


def from_environment() -> FastAPI:
    """The app over `Settings()` read from `TAKEHOME_*` (what `takehome serve` runs)."""
    return create_app(Settings())
