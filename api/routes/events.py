"""Outbound event endpoints and their delivery log (reviewers only): JSON API and a page.

A reviewer adds an endpoint (URL, events, optionally their own secret): the URL is checked and
its host resolved before anything is stored (`runner.events`: the Git intake's address rules),
and the signing secret is in the answer (and the page) once. The delivery log lists the newest
deliveries with every attempt; Redeliver sends a past delivery again now, with its id and body.
See docs/events.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.auth import CurrentReviewer, csrf_page
from api.openapi import content, problems, redirect
from api.pages import wants_html
from api.services import Services, Svc
from runner.events import (
    EVENTS,
    Answer,
    EventPolicy,
    add_endpoint,
    delivery_log,
    list_endpoints,
    remove_endpoint,
)
from runner.store.events import EventEndpoint, iso

__all__ = ["router"]

router = APIRouter(tags=["events"])


class EndpointRequest(BaseModel):
    """An endpoint to send events to."""

    url: str = Field(max_length=2048)
    events: list[str] = Field(default_factory=lambda: list(EVENTS), max_length=len(EVENTS))
    secret: str | None = Field(default=None, max_length=200)
    """Your own signing secret (16 to 200 characters); left out, one is made."""


def _endpoint_json(endpoint: EventEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.subscribed()),
        "created_at": iso(endpoint.created_at),
    }


def _add(svc: Services, body: EndpointRequest, reviewer_id: str) -> dict[str, Any]:
    endpoint, secret = add_endpoint(
        svc.db,
        EventPolicy.from_settings(svc.settings),
        body.url.strip(),
        body.events,
        secret=body.secret,
        created_by=reviewer_id,
    )
    return {**_endpoint_json(endpoint), "secret": secret}


def _answer_json(delivery_id: str, answer: Answer) -> dict[str, Any]:
    return {
        "delivery": delivery_id,
        "delivered": answer.ok,
        "status_code": answer.status,
        "error": answer.error,
        "duration_ms": answer.duration_ms,
    }


@router.get("/api/events/endpoints", summary="List event endpoints")
def endpoints_json(svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Every endpoint with its events; never a secret."""
    del reviewer
    return {"endpoints": [_endpoint_json(e) for e in list_endpoints(svc.db)]}


@router.post("/api/events/endpoints", status_code=201, summary="Add an event endpoint")
def add_json(body: EndpointRequest, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Add an endpoint; its signing secret is in this answer only."""
    return _add(svc, body, reviewer.id)


@router.delete("/api/events/endpoints/{endpoint_id}", status_code=204, summary="Remove one")
def remove_json(endpoint_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """Remove an endpoint and its delivery log; nothing more is sent to it."""
    del reviewer
    remove_endpoint(svc.db, endpoint_id)
    return Response(status_code=204)


@router.get("/api/events/deliveries", summary="The delivery log", responses=problems(404))
def deliveries_json(
    svc: Svc,
    reviewer: CurrentReviewer,
    endpoint: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The newest deliveries (of one endpoint, or all), each with its attempts."""
    del reviewer
    return {"deliveries": [log.as_json() for log in delivery_log(svc.db, endpoint, limit)]}


@router.post("/api/events/deliveries/{delivery_id}/redeliver", summary="Redeliver")
def redeliver_json(delivery_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Send a past delivery again now (same id and body); says how the attempt went."""
    del reviewer
    return _answer_json(delivery_id, svc.event_dispatcher.redeliver(delivery_id))


@router.get("/reviewer/events", summary="Event endpoints page", response_class=HTMLResponse)
def events_page(request: Request, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """The endpoints, a form to add one, and the delivery log with Redeliver buttons."""
    context = {
        "reviewer": reviewer,
        "endpoints": list_endpoints(svc.db),
        "log": delivery_log(svc.db, None, 100),
        "events": EVENTS,
        "answer": None,
        "created": None,
    }
    return csrf_page(request, svc, "events.html", context)


@router.post(
    "/reviewer/events/endpoints",
    summary="Add an event endpoint (form)",
    status_code=201,
    responses={
        201: content("The endpoint; its secret shown once.", "application/json", "text/html")
    },
)
def add_form(
    request: Request,
    *,
    svc: Svc,
    reviewer: CurrentReviewer,
    url: Annotated[str, Form(max_length=2048)],
    events: Annotated[list[str] | None, Form(max_length=len(EVENTS))] = None,
    secret: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add an endpoint; the page shows its signing secret once."""
    body = EndpointRequest(url=url, events=events or [], secret=secret or None)
    made = _add(svc, body, reviewer.id)
    if not wants_html(request):
        return JSONResponse(made, status_code=201)
    context = {"reviewer": reviewer, "created": made}
    return csrf_page(request, svc, "event_endpoint_created.html", context, status_code=201)


@router.post(
    "/reviewer/events/endpoints/{endpoint_id}/remove",
    summary="Remove (form)",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: redirect("Removed: back to the events page.")},
)
def remove_form(endpoint_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """Remove an endpoint and its delivery log."""
    del reviewer
    remove_endpoint(svc.db, endpoint_id)
    return RedirectResponse("/reviewer/events", status_code=303)


@router.post(
    "/reviewer/events/deliveries/{delivery_id}/redeliver",
    summary="Redeliver (form)",
    responses={200: content("How the new attempt went.", "application/json", "text/html")},
)
def redeliver_form(
    request: Request, delivery_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """Send a past delivery again now; the page shows how it went."""
    answer = _answer_json(delivery_id, svc.event_dispatcher.redeliver(delivery_id))
    if not wants_html(request):
        return JSONResponse(answer)
    context = {
        "reviewer": reviewer,
        "endpoints": list_endpoints(svc.db),
        "log": delivery_log(svc.db, None, 100),
        "events": EVENTS,
        "answer": answer,
        "created": None,
    }
    return csrf_page(request, svc, "events.html", context)
