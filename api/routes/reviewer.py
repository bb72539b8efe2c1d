"""Reviewer pages: dashboard, invites, report, compare view and regrade (session or token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from api.auth import CurrentReviewer, csrf_page
from api.blinding import blind_view, blind_views, blinding
from api.change_views import finding_origins
from api.history_views import history_view
from api.journey import form_email, form_hours, invite_mailed
from api.openapi import problems, redirect
from api.review_views import decision_context, review_summaries
from api.services import Services, Svc
from api.similarity_views import report_similarity
from api.views import SubmissionView, list_submissions, load_submission
from graders import MAX_REPEAT
from graders.caps import TRUNCATED_RULE, more_findings
from graders.model import CATEGORIES, Report
from runner.blobs import BlobError
from runner.intake import IntakeError, Snapshot
from runner.invites import InviteSpec, default_time_limit, open_invite
from runner.starter import invite_starter_commit
from runner.store import Invite, Submission
from runner.store.records import enqueue_regrade

__all__ = ["invite_link", "router"]

router = APIRouter(prefix="/reviewer", tags=["reviewer pages"])
_CONTEXT_LINES = 2
_MAX_FINDINGS = 300
_LINE_CAP = 400
_LOG_CAP = 20_000


def invite_link(svc: Services, token: str) -> str:
    """The candidate's link for an invite token."""
    s = svc.settings
    base = s.public_url.rstrip("/") or f"http://{s.host}:{s.port}"
    return f"{base}/i/{token}"


@router.get("", summary="Dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    *,
    svc: Svc,
    reviewer: CurrentReviewer,
    challenge: str = "",
    state: str = "",
    sort: str = "-created",
) -> Response:
    """Challenges, invites and submissions (filter by challenge and state; sort by score/date)."""
    with svc.db.reading() as session:
        subs = list_submissions(session, challenge=challenge, state=state, sort=sort)
        subs = blind_views(session, svc, subs)
        invites = list(session.scalars(select(Invite).order_by(Invite.created_at.desc())))
        identities = blinding(session, svc.settings.secret_key, [i.id for i in invites])
        counts = session.execute(
            select(Submission.invite_id, func.count()).group_by(Submission.invite_id)
        )
        used = {invite_id: count for invite_id, count in counts}
        reviews = review_summaries(session, svc, subs, reviewer.id)
    context: dict[str, Any] = {
        "reviewer": reviewer,
        "challenges": list(svc.challenges),
        "time_limits": {c.id: default_time_limit(c) for c in svc.challenges},
        "invites": invites,
        "invite_names": {i.id: identities.of(i).name for i in invites},
        "used": used,
        "submissions": subs,
        "reviews": reviews,
        "filters": {"challenge": challenge, "state": state, "sort": sort},
    }
    return csrf_page(request, svc, "dashboard.html", context)


@router.post(
    "/invites",
    summary="Create an invite",
    status_code=201,
    response_class=HTMLResponse,
    responses=problems(404),
)
def new_invite(
    request: Request,
    *,
    svc: Svc,
    reviewer: CurrentReviewer,
    challenge: Annotated[str, Form(min_length=1)],
    candidate: Annotated[str, Form(min_length=1, max_length=254)],
    expires_days: Annotated[float, Form(gt=0, le=365)] = 7,
    max_submissions: Annotated[int, Form(ge=1, le=100)] = 3,
    clock: Annotated[str, Form(pattern="^(untimed|estimate|custom)$")] = "untimed",
    time_limit_hours: Annotated[str, Form(max_length=20)] = "",
    strict: Annotated[bool, Form()] = False,
    email: Annotated[str, Form(max_length=254)] = "",
    blind: Annotated[bool, Form()] = False,
) -> Response:
    """Create an invite; the page shows its link once (only a digest of the token is kept).

    `clock`: untimed, the challenge's `time_estimate` (its upper bound, in hours), or `custom`
    (`time_limit_hours`). `blind` checked makes it blind; unchecked, the challenge's
    `[review] blind` decides."""
    found = svc.challenges.get(challenge)
    hours = None
    if clock == "estimate":
        hours = default_time_limit(found)
    elif clock == "custom" or time_limit_hours.strip():
        hours = form_hours(time_limit_hours)
    spec = InviteSpec(
        candidate=candidate,
        expires_days=expires_days,
        max_submissions=max_submissions,
        created_by=reviewer.id,
        time_limit_hours=hours,
        strict=strict,
        email=form_email(email),
        blind=True if blind else None,
    )
    invite, token = open_invite(svc.db, svc.blobs, found, spec)
    link = invite_link(svc, token)
    invite_mailed(svc, invite, link)
    context = {"invite": invite, "link": link, "reviewer": reviewer}
    return csrf_page(request, svc, "invite_created.html", context, status_code=201)


def _code_context(snapshot: Snapshot | None, report: Report) -> dict[str, list[tuple[int, str]]]:
    """Source lines around each finding shown, keyed "file:line". Each file is decoded once
    (not once per finding), and each line shown is cut to `_LINE_CAP` characters."""
    found: dict[str, list[tuple[int, str]]] = {}
    if snapshot is None:
        return found
    decoded: dict[str, list[str]] = {}
    for result in report.categories.values():
        for finding in result.findings[:_MAX_FINDINGS]:
            if not finding.file or not finding.line or finding.file not in snapshot.files:
                continue
            lines = decoded.get(finding.file)
            if lines is None:
                text = snapshot.files[finding.file].decode("utf-8", "replace")
                lines = decoded[finding.file] = text.splitlines()
            first = max(1, finding.line - _CONTEXT_LINES)
            last = min(len(lines), finding.line + _CONTEXT_LINES)
            found[f"{finding.file}:{finding.line}"] = [
                (n, lines[n - 1][:_LINE_CAP]) for n in range(first, last + 1)
            ]
    return found


def _not_shown(report: Report) -> dict[str, int]:
    """Per category, how many findings the page does not list: past `_MAX_FINDINGS`, plus those
    the report itself left out (its `truncated` note)."""
    hidden: dict[str, int] = {}
    for name, result in report.categories.items():
        listed = [f for f in result.findings if f.rule != TRUNCATED_RULE]
        count = max(0, len(listed) - _MAX_FINDINGS) + more_findings(result.findings)
        if count:
            hidden[name] = count
    return hidden


def _snapshot(svc: Services, view: SubmissionView) -> Snapshot | None:
    try:
        return Snapshot.from_tar(svc.blobs.get(view.snapshot_digest))
    except (BlobError, IntakeError):
        return None


@router.get("/submissions/{submission_id}", summary="Report page", response_class=HTMLResponse)
def report_page(
    request: Request, submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """The full report: scores, chart, per category the findings introduced and inherited (against
    the starter), hidden tests, findings with code, verdicts, provenance."""
    with svc.db.reading() as session:
        view = blind_view(session, svc, load_submission(session, submission_id))
        review = review_summaries(session, svc, [view], reviewer.id)[view.id]
        history = history_view(session, svc, view)
    report = view.report()
    context: dict[str, Any] = {
        "reviewer": reviewer,
        "view": view,
        "report": report,
        "categories": CATEGORIES,
        "code": _code_context(_snapshot(svc, view), report) if report else {},
        "max_findings": _MAX_FINDINGS,
        "not_shown": _not_shown(report) if report else {},
        "truncated_rule": TRUNCATED_RULE,
        "logs": {k: v[-_LOG_CAP:] for k, v in report.logs.items()} if report else {},
        "starter_commit": invite_starter_commit(svc.db, view.invite_id),
        "review": review,
        "decisions": decision_context(svc, view),
        "origins": finding_origins(svc, view),
        "history": history,
        "similarity": report_similarity(svc, view.id),
    }
    return csrf_page(request, svc, "report.html", context)


@router.post(
    "/submissions/{submission_id}/regrade",
    summary="Regrade a submission",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: redirect("Queued: back to the report page.")},
)
def regrade(
    submission_id: str,
    svc: Svc,
    reviewer: CurrentReviewer,
    repeat: Annotated[int, Form(ge=1, le=MAX_REPEAT)] = 1,
) -> Response:
    """Queue a new run (the hidden tests run `repeat` times); the old reports are kept. The
    form's body (its `repeat` and the CSRF token) is documented by FastAPI from `repeat`."""
    del reviewer  # required for access only
    enqueue_regrade(svc.db, submission_id, repeat)
    return RedirectResponse(f"/reviewer/submissions/{submission_id}", status_code=303)


@router.get(
    "/challenges/{challenge_id}/compare",
    summary="Compare submissions of a challenge",
    response_class=HTMLResponse,
)
def compare(request: Request, challenge_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """Every graded submission of a challenge side by side, by category, best first."""
    challenge = svc.challenges.get(challenge_id)
    with svc.db.reading() as session:
        views = list_submissions(session, challenge=challenge_id, sort="-score")
        views = blind_views(session, svc, views)
        reviews = review_summaries(session, svc, views, reviewer.id)
    rows = [(v, v.summary()) for v in views]
    context = {
        "reviewer": reviewer,
        "challenge": challenge,
        "rows": rows,
        "categories": CATEGORIES,
        "reviews": reviews,
    }
    return csrf_page(request, svc, "compare.html", context)
