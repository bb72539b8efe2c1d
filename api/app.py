"""The FastAPI application factory.

`create_app(settings, pipeline_factory=...)` checks the settings (no default secret key outside
dev mode), opens the process's wiring (`api.services.Services` over `runner.wiring`: database,
blob store, queue, challenge packs), includes the routers (listed explicitly below) and the
error mapping, and, when `settings.workers > 0`, runs that many grading worker threads for the
app's lifetime, started once the pipeline is built and every grader passed its self-check
(`runner.wiring.EmbeddedWorkers`). Tests pass a pipeline over a `FakeSandbox`; production uses
the Docker sandbox (`runner.wiring.docker_pipeline`). `takehome serve` hands its settings to
`create_app` directly; `from_environment` is the factory for `uvicorn api.app:from_environment`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.apidocs import install_docs, openapi_url
from api.errors import install_error_handlers
from api.journey import mail_sender
from api.limits import BodyLimits, RouteLimits
from api.openapi import install_openapi
from api.routes import (
    api_json,
    bindings,
    candidate,
    changes,
    events,
    history,
    ops,
    review_pages,
    reviewer,
    reviews,
    session,
    similarity,
    webhooks,
)
from api.services import PipelineFactory, Services, docker_pipeline
from runner.celery_app import TASK_NAME, make_celery
from runner.dispatch import Dispatcher
from runner.settings import Settings, check_secrets
from runner.wiring import EmbeddedWorkers

__all__ = ["create_app", "from_environment"]

_ROUTERS = (
    candidate.router,
    session.router,
    reviewer.router,
    api_json.router,
    changes.router,
    ops.router,
    bindings.router,
    webhooks.router,
    reviews.router,
    review_pages.router,
    history.router,
    similarity.router,
    events.router,
)
_SECURITY_HEADERS = {
    # The invite token is in the URL: never send it on to another site.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Reports, submissions, exports and candidate pages are private and change on regrade: no
    # browser or proxy keeps a copy. A route that sets its own Cache-Control keeps it.
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
        " frame-ancestors 'none'; form-action 'self'"
    ),
}


class _SecurityHeaders:
    """Pure ASGI middleware adding `_SECURITY_HEADERS` to every response, the API docs' included
    (their assets are self-hosted: `api.apidocs`)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self._app(scope, receive, send_with_headers)


def create_app(settings: Settings, pipeline_factory: PipelineFactory = docker_pipeline) -> FastAPI:
    """The takehome web service over `settings`; raises `UnsafeSettings` on unsafe secrets."""
    settings = check_secrets(settings)
    services = Services(settings, pipeline_factory)
    if settings.queue == "celery":
        _use_celery(services)
    mail = mail_sender(services)  # None unless TAKEHOME_SMTP_URL is set

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        workers = EmbeddedWorkers(services, services.grading_threads)
        workers.start()
        services.event_dispatcher.start()
        if services.dispatcher is not None:
            services.dispatcher.start()
        if mail is not None:
            mail.start()
        try:
            yield
        finally:
            if mail is not None:
                mail.stop()
            if services.dispatcher is not None:
                services.dispatcher.stop()
            services.event_dispatcher.stop()
            workers.stop()
            services.close()

    app = FastAPI(
        title="takehome",
        summary="Sandboxed take-home challenges: intake, grading queue, reports.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's loads Swagger UI from a CDN: api.apidocs serves its own
        redoc_url=None,
        openapi_url=openapi_url(settings),
        # Form parameters are text only: a file part is refused at its headers, unread.
        form_limits={
            "max_files": 0,
            "max_fields": settings.max_form_fields,
            "max_part_size": settings.form_max_bytes,
        },
    )
    install_docs(app)
    app.state.services = services
    app.state.mail = mail
    for router in _ROUTERS:
        app.include_router(router)
    install_error_handlers(app)

    app.add_middleware(BodyLimits, limits=RouteLimits.from_settings(settings))
    app.add_middleware(_SecurityHeaders)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/reviewer", status_code=303)

    @app.get("/healthz", tags=["service"], summary="Liveness")
    def healthz() -> dict[str, str]:
        """Answers while the service runs."""
        return {"status": "ok"}

    install_openapi(app)  # last: it completes every route's error answers and security
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
    """The app over `Settings()` read from `TAKEHOME_*`, for `uvicorn --factory
    api.app:from_environment` (`takehome serve` gives `create_app` its settings directly)."""
    return create_app(Settings())
