"""Operations: liveness, readiness and Prometheus metrics (no authentication: keep these paths
off the public proxy, or allow only the scraper and the orchestrator to reach them)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text

from api.openapi import content
from api.services import Services, Svc
from sandbox.docker import connect

__all__ = ["router"]

router = APIRouter(tags=["service"])
_log = logging.getLogger("takehome.ops")
_READINESS = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"enum": ["ready", "not ready"]},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _database(svc: Services) -> None:
    with svc.db.reading() as session:
        session.execute(text("SELECT 1"))


def _broker(svc: Services) -> None:
    if svc.broker is None:
        return
    with svc.broker.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)


def _docker(_svc: Services) -> None:
    connect(timeout=5).close()


def checks(svc: Services) -> dict[str, str]:
    """Each dependency this process needs, "ok" or the exception type of its failure (the
    details, which may name hosts and users, go to the log only): the database always, the
    broker with the celery queue, Docker when this process grades (embedded worker threads),
    and then also the graders' self-checks: "ok", "pending" (the pipeline is not built yet) or
    "failed: <grader>, ..." (the threads take no runs; the log says why)."""
    wanted: list[tuple[str, Callable[[Services], None]]] = [("database", _database)]
    if svc.settings.queue == "celery":
        wanted.append(("broker", _broker))
    elif svc.grading_threads > 0:
        wanted.append(("docker", _docker))
    results = {}
    for name, check in wanted:
        try:
            check(svc)
        except Exception as exc:  # any failure means "not ready": say which, log why
            _log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = type(exc).__name__
        else:
            results[name] = "ok"
    if svc.grading_threads > 0:
        results["graders"] = svc.pipeline_state()
    return results


@router.get(
    "/readyz",
    summary="Readiness",
    responses={
        200: content("Ready: every check is ok.", "application/json", schema=_READINESS),
        503: content("Not ready: the failing checks.", "application/json", schema=_READINESS),
    },
)
async def readyz(svc: Svc) -> Response:
    """200 when the database, the broker or Docker, and the graders' self-checks pass; else 503."""
    results = await run_in_threadpool(checks, svc)
    ready = all(value == "ok" for value in results.values())
    body = {"status": "ready" if ready else "not ready", "checks": results}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: content("The Prometheus text format.", "text/plain")},
)
def metrics(svc: Svc) -> Response:
    """Queue depth and runs by state (from the database); grading counters of this process."""
    body = generate_latest(REGISTRY) + generate_latest(svc.metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
