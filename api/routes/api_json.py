"""The JSON API for scripts (bearer API token, or a session plus `X-CSRF-Token` for writes)."""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentReviewer
from api.blinding import blind_view, blind_views
from api.change_views import finding_origins
from api.exports import report_csv, report_junit, report_sarif_text
from api.gitsubmit import api_git_submission, read_git_fields
from api.journey import invite_mailed, service_base
from api.openapi import content, problems, upload_body
from api.review_views import review_summaries
from api.routes.reviewer import invite_link
from api.services import Services, Svc
from api.uploads import accepted, read_upload, submission_target
from api.views import list_submissions, load_submission, open_report_json, read_report
from graders import MAX_REPEAT
from graders.model import Report
from runner.challenge import UnknownChallenge
from runner.gradescope import report_gradescope
from runner.intake import IntakeLimits, snapshot_bytes
from runner.invites import InviteSpec, default_time_limit, open_invite
from runner.store.records import (
    NewSubmission,
    NotFound,
    add_submission,
    enqueue_regrade,
    set_graded_mail,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["json api"])
_VERSION = version("takehome")
_OBJECT = {"type": "object"}


class InviteRequest(BaseModel):
    """A new invite."""

    challenge: str
    candidate: str = Field(max_length=254)
    expires_days: float = Field(default=7, gt=0, le=365)
    max_submissions: int = Field(default=3, ge=1, le=100)
    time_limit_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    """The clock, started by the candidate; None (the default) is untimed."""
    strict: bool = False
    """Refuse submissions past the deadline (403) instead of marking them late."""
    blind: bool | None = None
    """Reviewers see a pseudonym until a decision; None (the default): the challenge's
    `[review] blind`."""
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    """The candidate's address: with SMTP configured, the invite link is e-mailed there."""


@router.get("/challenges", summary="List challenges")
def challenges(svc: Svc, reviewer: CurrentReviewer) -> list[dict[str, Any]]:
    """Every challenge: id, title, version, mode, feedback policy and time estimate (with the
    hours it suggests for an invite's `time_limit_hours`)."""
    del reviewer
    return [
        {
            "id": c.id,
            "title": c.manifest.title,
            "version": c.manifest.version,
            "mode": c.manifest.mode,
            "feedback": c.manifest.feedback.policy,
            "time_estimate": c.manifest.time_estimate,
            "default_time_limit_hours": default_time_limit(c),
        }
        for c in svc.challenges
    ]


@router.post("/invites", status_code=201, summary="Create an invite", responses=problems(404))
def new_invite(body: InviteRequest, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Create an invite and return its link (shown once)."""
    spec = InviteSpec(
        candidate=body.candidate,
        expires_days=body.expires_days,
        max_submissions=body.max_submissions,
        created_by=reviewer.id,
        time_limit_hours=body.time_limit_hours,
        strict=body.strict,
        email=body.email,
        blind=body.blind,
    )
    invite, token = open_invite(svc.db, svc.blobs, svc.challenges.get(body.challenge), spec)
    link = invite_link(svc, token)
    invite_mailed(svc, invite, link)
    expires = invite.expires_at.isoformat(timespec="seconds") + "Z"
    return {
        "id": invite.id,
        "link": link,
        "expires_at": expires,
        "time_limit_hours": invite.time_limit_hours,
        "strict": invite.strict,
        "blind": invite.blind,
    }


class MailPreferences(BaseModel):
    """Which e-mails the reviewer gets (with SMTP configured)."""

    graded: bool
    """A "graded" message for each report of the invites this reviewer made."""


@router.put("/me/mail", summary="Opt in to or out of e-mails")
def mail_preferences(body: MailPreferences, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Set the reviewer's e-mail preferences; answers them with `smtp` (configured or not)."""
    found = set_graded_mail(svc.db, reviewer.id, body.graded)
    return {"graded": found.notify_graded_since is not None, "smtp": bool(svc.settings.smtp_url)}


@router.post(
    "/submissions",
    status_code=202,
    summary="Submit an archive",
    openapi_extra=upload_body(),
    responses=problems(404, 409, 410, 411, 415, 422, 429, 503),
)
async def submit(request: Request, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """Multipart: `archive` plus `challenge` (an id) or `invite` (an invite token). Or JSON or
    an urlencoded form with `git_url` (optional `ref`) instead of `archive`: the repository is
    fetched at that commit before the answer."""
    if (git := await read_git_fields(request)) is not None:
        return await api_git_submission(svc, git, reviewer.id)
    limit = svc.settings.max_upload_bytes
    upload = await read_upload(request, limit)
    invite_id, challenge_id = submission_target(svc, upload.fields)
    svc.challenges.get(challenge_id)
    await run_in_threadpool(svc.queue.admit, challenge_id)
    snapshot = await run_in_threadpool(
        snapshot_bytes, upload.data, upload.filename, IntakeLimits(max_archive_bytes=limit)
    )
    new = NewSubmission(
        challenge_id=challenge_id,
        snapshot=snapshot,
        filename=upload.filename,
        invite_id=invite_id,
        submitted_by=reviewer.id,
    )
    submission_id, run_id = await run_in_threadpool(add_submission, svc.db, svc.blobs, new)
    svc.enqueued()
    return accepted(submission_id, run_id)


@router.get("/submissions", summary="List submissions")
def submissions(
    svc: Svc,
    reviewer: CurrentReviewer,
    challenge: str = "",
    state: str = "",
    sort: str = "-created",
) -> list[dict[str, Any]]:
    """Submissions with state, score and review summary; filter by `challenge`, `state`; sort by
    score/date."""
    with svc.db.reading() as session:
        views = list_submissions(session, challenge=challenge, state=state, sort=sort)
        views = blind_views(session, svc, views)
        reviews = review_summaries(session, svc, views, reviewer.id)
    return [{**v.as_json(), "reviews": reviews[v.id].as_json()} for v in views]


@router.get("/submissions/{submission_id}", summary="One submission")
def submission(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """A submission's state, attempts, failure reason, score, review summary (decision) and,
    once graded, per category how many findings are introduced and inherited against the
    starter (`finding_origins`: null before grading)."""
    with svc.db.reading() as session:
        # With the report: `finding_origins` places its findings (None while there is none).
        view = blind_view(session, svc, load_submission(session, submission_id))
        reviews = review_summaries(session, svc, [view], reviewer.id)[view.id]
    origins = finding_origins(svc, view)
    return {**view.as_json(), "reviews": reviews.as_json(), "finding_origins": origins}


class RegradeRequest(BaseModel):
    """A regrade's options (the body is optional)."""

    model_config = ConfigDict(extra="forbid")
    repeat: int = Field(default=1, ge=1, le=MAX_REPEAT)
    """Run the hidden tests this many times; a test whose outcome differs is reported flaky."""


#: `?repeat=K`: the body's `repeat`, for clients that send no body.
RepeatQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_REPEAT, description="Run the hidden tests this many times (default 1)"),
]


@router.post("/submissions/{submission_id}/regrade", status_code=202, summary="Regrade")
def regrade(
    submission_id: str,
    svc: Svc,
    reviewer: CurrentReviewer,
    body: RegradeRequest | None = None,
    repeat: RepeatQuery = None,
) -> dict[str, str | int]:
    """Queue a new run of the submission, running the hidden tests `repeat` times (JSON body or
    query, 1-10, default 1); earlier reports are kept."""
    del reviewer
    times = _repeat(body, repeat)
    return {
        "run": enqueue_regrade(svc.db, submission_id, times),
        "state": "queued",
        "repeat": times,
    }


def _repeat(body: RegradeRequest | None, query: int | None) -> int:
    """The regrade's `repeat`: from the body or the query; both given, they must agree (422)."""
    if body is not None and query is not None and body.repeat != query:
        problem = {"type": "value_error", "loc": ("query", "repeat"), "input": query}
        problem["msg"] = f"the query's repeat ({query}) differs from the body's ({body.repeat})"
        raise RequestValidationError([problem])
    if body is not None and "repeat" in body.model_fields_set:
        return body.repeat
    return query or 1


def _open_report(svc: Services, submission_id: str) -> str | None:
    """The common case: a report, not blind; one SELECT on a plain connection."""
    with svc.db.single_read() as connection:
        return open_report_json(connection, submission_id)


def _report_text(svc: Services, submission_id: str) -> str:
    # The stored text as the engine wrote it; only a blind invite's provenance is scrubbed
    # (api.blinding), so the report is never re-serialised otherwise. Anything but the common
    # case (blind, no report yet, no such submission) takes the full read.
    stored = _open_report(svc, submission_id)
    if stored is not None:
        return stored
    with svc.db.reading() as session:
        view = blind_view(session, svc, load_submission(session, submission_id))
    if view.report_json is None:
        raise NotFound(f"submission {submission_id} has no report yet (state: {view.state})")
    return view.report_json  # as the engine wrote it (provenance scrubbed while blind)


def _report(svc: Services, submission_id: str) -> Report:
    return read_report(_report_text(svc, submission_id))


@router.get(
    "/submissions/{submission_id}/report",
    summary="Report (JSON)",
    response_class=Response,
    responses={200: content("The report.", "application/json", schema=_OBJECT)},
)
async def report_json(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """The current report, as the grading engine wrote it."""
    del reviewer
    # One indexed SELECT, run here on the event loop like the token check before it: sending
    # it to a worker thread and back (a GIL hand-off each way) costs about as much as the
    # query. The rest (blind, no report yet) goes to a thread.
    stored = _open_report(svc, submission_id)
    if stored is None:
        stored = await run_in_threadpool(_report_text, svc, submission_id)
    return Response(stored, media_type="application/json")


@router.get(
    "/submissions/{submission_id}/report.junit.xml",
    summary="Report (JUnit XML)",
    response_class=Response,
    responses={200: content("JUnit XML (`junit-10.xsd`).", "application/xml")},
)
def report_junit_xml(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """The hidden tests as JUnit XML."""
    del reviewer
    report = _report(svc, submission_id)
    return Response(report_junit(report, name=submission_id), media_type="application/xml")


@router.get(
    "/submissions/{submission_id}/report.sarif",
    summary="Report (SARIF 2.1.0)",
    response_class=Response,
    responses={200: content("A SARIF 2.1.0 log.", "application/sarif+json", schema=_OBJECT)},
)
def report_sarif(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """The findings in the candidate's code as SARIF 2.1.0 (never the hidden tests)."""
    del reviewer
    report = _report(svc, submission_id)  # provenance scrubbed while blind
    text = report_sarif_text(report, information_uri=f"{service_base(svc)}/", version=_VERSION)
    return Response(text, media_type="application/sarif+json")


@router.get(
    "/submissions/{submission_id}/report.gradescope.json",
    summary="Report (Gradescope results)",
    responses={200: content("Gradescope's results.json.", "application/json", schema=_OBJECT)},
)
def report_gradescope_json(
    submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> dict[str, Any]:
    """The report as a Gradescope autograder results.json (visibility from the feedback policy)."""
    del reviewer
    with svc.db.reading() as session:
        view = load_submission(session, submission_id, with_report=False)
    report = _report(svc, submission_id)  # provenance scrubbed while blind
    try:
        policy = svc.challenges.get(view.challenge_id).manifest.feedback.policy
    except UnknownChallenge:
        policy = "status"  # the challenge left the packs: show nothing before publishing
    return report_gradescope(report, policy)


@router.get(
    "/challenges/{challenge_id}/submissions.csv",
    summary="Challenge scores (CSV)",
    response_class=Response,
    responses={200: content("One row per submission (RFC 4180, UTF-8).", "text/csv")},
)
def challenge_csv(
    challenge_id: str, svc: Svc, reviewer: CurrentReviewer, bom: bool = False
) -> Response:
    """One row per submission of the challenge: category scores, rubric score, decision (UTF-8;
    `bom=1` adds the byte order mark spreadsheets need to read non-ASCII names)."""
    svc.challenges.get(challenge_id)
    with svc.db.reading() as session:
        views = list_submissions(session, challenge=challenge_id, sort="-score", with_reports=True)
        views = blind_views(session, svc, views)
        summaries = review_summaries(session, svc, views, reviewer.id)
    headers = {"Content-Disposition": f'attachment; filename="{challenge_id}.csv"'}
    return Response(
        report_csv(views, summaries, bom=bom),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )
