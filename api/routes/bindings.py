"""Repository bindings (a repository branch whose pushes become an invite's submissions) and the
timeline of an invite's pushes.

A reviewer binds through the JSON API or the invite page; a candidate through their invite page
(the invite token in the URL is their key, as for uploads). Each binding gets its own webhook
secret, shown once with set-up instructions for GitHub and GitLab, never stored (see
`runner.store.bindings`). An invite takes at most `max_bindings_per_invite` bindings (409
limit_reached past it); the URL is stored as `check_url` rebuilt it (canonical host).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.auth import CurrentReviewer, csrf_page
from api.blinding import Identity, blinding
from api.gitsubmit import git_policy
from api.openapi import HTML, Responses, problems
from api.pages import render, wants_html
from api.review_views import invite_decision_context
from api.services import Services, Svc
from api.views import SubmissionView, list_submissions
from runner.gitintake import check_ref, check_url
from runner.store import Invite, RepoBinding
from runner.store.bindings import PROVIDERS, new_binding
from runner.store.models import utcnow
from runner.store.records import InviteExpired, NotFound, invite_for_token

__all__ = ["router"]

router = APIRouter(tags=["repository bindings"])
#: Refusals of a binding: the invite's bindings used up, the invite expired.
_REFUSED = problems(409, 410)
#: A form's answer: the binding as JSON, or the page showing its secret once.
_CREATED: Responses = {
    201: {"description": "The binding, with its webhook secret.", "content": HTML}
}


class BindingRequest(BaseModel):
    """A repository branch to bind to an invite."""

    repo_url: str = Field(max_length=2048)
    branch: str = Field(default="main", max_length=200)
    provider: str = Field(default="github", pattern="^(github|gitlab)$")


def _base(svc: Services) -> str:
    s = svc.settings
    return s.public_url.rstrip("/") or f"http://{s.host}:{s.port}"


def _instructions(provider: str, hook: str, secret: str, branch: str) -> list[str]:
    if provider == "github":
        return [
            "On GitHub: the repository's Settings > Webhooks > Add webhook.",
            f"Payload URL: {hook}",
            "Content type: application/json",
            f"Secret: {secret}",
            "SSL verification: enabled. Events: Just the push event. Active: checked.",
            "Or with the GitHub CLI (OWNER/REPO is your repository):",
            f"gh api repos/OWNER/REPO/hooks -f name=web -F active=true -f 'events[]=push'"
            f" -f 'config[url]={hook}' -f 'config[content_type]=json'"
            f" -f 'config[secret]={secret}'",
            f"Pushes to branch {branch!r} are graded; GitHub's ping answers 'pong'.",
        ]
    return [
        "On GitLab: the project's Settings > Webhooks > Add new webhook.",
        f"URL: {hook}",
        f"Secret token: {secret}",
        f"Trigger: Push events, branch filter: {branch}",
        "Enable SSL verification: checked.",
        "Or with the API (PROJECT_ID and a token with the api scope):",
        f'curl --request POST --header "PRIVATE-TOKEN: $GITLAB_TOKEN"'
        f' "https://gitlab.com/api/v4/projects/PROJECT_ID/hooks"'
        f' --data-urlencode "url={hook}" --data "push_events=true"'
        f' --data-urlencode "push_events_branch_filter={branch}"'
        f' --data-urlencode "token={secret}" --data "enable_ssl_verification=true"',
    ]


def _bind(
    svc: Services, invite_id: str, body: BindingRequest, created_by: str | None
) -> dict[str, Any]:
    # Bound as checked: the canonical URL (lower-case host, no trailing dot), never as typed.
    repo_url = check_url(body.repo_url.strip(), git_policy(svc.settings), resolve=False).url
    branch = check_ref(body.branch.strip())
    with svc.db.writing() as session:
        invite = session.get(Invite, invite_id)
        if invite is None:
            raise NotFound("no such invite")
        if invite.expires_at <= utcnow():
            raise InviteExpired("this invite has expired")
        binding, secret = new_binding(
            session,
            svc.settings.secret_key,
            invite_id=invite_id,
            provider=body.provider,
            repo_url=repo_url,
            branch=branch,
            created_by=created_by,
            max_bindings=svc.settings.max_bindings_per_invite,
        )
    hook = f"{_base(svc)}/webhooks/{binding.provider}/{binding.id}"
    return {
        "id": binding.id,
        "provider": binding.provider,
        "repo_url": binding.repo_url,
        "branch": binding.branch,
        "webhook_url": hook,
        "secret": secret,
        "instructions": _instructions(binding.provider, hook, secret, binding.branch),
    }


@router.post(
    "/api/invites/{invite_id}/bindings",
    status_code=201,
    summary="Bind a repository",
    responses=_REFUSED,
)
def bind_json(
    invite_id: str, body: BindingRequest, svc: Svc, reviewer: CurrentReviewer
) -> dict[str, Any]:
    """Bind a repository branch to an invite; the webhook secret is in this answer only."""
    return _bind(svc, invite_id, body, reviewer.id)


def _timeline(
    svc: Services, invite_id: str, reviewer_id: str
) -> tuple[Invite, Identity, list[RepoBinding], list[SubmissionView]]:
    """The invite, who it is (shown to its creator, `api.blinding`), bindings, submissions."""
    with svc.db.reading() as session:
        invite = session.get(Invite, invite_id)
        if invite is None:
            raise NotFound("no such invite")
        bindings = list(
            session.scalars(select(RepoBinding).where(RepoBinding.invite_id == invite_id))
        )
        views = list_submissions(session, invite_id=invite_id, sort="created")
        found = blinding(session, svc.settings.secret_key, [invite_id], viewer=reviewer_id)
    return invite, found.of(invite), bindings, found.views(views)


def _entry(view: SubmissionView, latest: bool) -> dict[str, Any]:
    return {**view.as_json(), "latest": latest}


@router.get("/api/invites/{invite_id}/timeline", summary="An invite's submissions over time")
def timeline_json(invite_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Every submission of the invite, oldest first, with commit, state and score; the newest
    is marked `latest`."""
    _invite, who, bindings, views = _timeline(svc, invite_id, reviewer.id)
    return {
        "invite": invite_id,
        "candidate": who.name,
        "email": who.email,
        "bindings": [
            {
                "id": b.id,
                "provider": b.provider,
                "repo_url": who.repo(b.repo_url),
                "branch": b.branch,
            }
            for b in bindings
        ],
        "submissions": [_entry(v, i == len(views) - 1) for i, v in enumerate(views)],
    }


@router.get(
    "/reviewer/invites/{invite_id}",
    summary="Invite page: pushes and bindings",
    response_class=HTMLResponse,
)
def invite_page(request: Request, invite_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """The invite's timeline of submissions with scores (latest marked), its bindings and the
    decision on the invite as a whole."""
    invite, who, bindings, views = _timeline(svc, invite_id, reviewer.id)
    context = {
        "reviewer": reviewer,
        "invite": invite,
        "who": who,
        "bindings": bindings,
        "timeline": list(reversed(views)),
        "providers": PROVIDERS,
        "decisions": invite_decision_context(svc, invite_id),
    }
    return csrf_page(request, svc, "invite_timeline.html", context)


def _created(request: Request, made: dict[str, Any], back: str) -> Response:
    if not wants_html(request):
        return JSONResponse(made, status_code=201)
    return render(request, "binding_created.html", {"b": made, "back": back}, status_code=201)


def _binding_form(
    repo_url: Annotated[str, Form(min_length=1, max_length=2048)],
    branch: Annotated[str, Form(max_length=200)] = "main",
    provider: Annotated[str, Form(pattern="^(github|gitlab)$")] = "github",
) -> BindingRequest:
    return BindingRequest(repo_url=repo_url, branch=branch, provider=provider)


#: The binding form's fields (the reviewer's invite page and the candidate's page).
BindingForm = Annotated[BindingRequest, Depends(_binding_form)]


@router.post(
    "/reviewer/invites/{invite_id}/bindings",
    summary="Bind a repository (form)",
    status_code=201,
    responses={**_CREATED, **_REFUSED},
)
def bind_form(
    request: Request,
    invite_id: str,
    *,
    svc: Svc,
    reviewer: CurrentReviewer,
    body: BindingForm,
) -> Response:
    """Bind a repository; the page shows the webhook secret once."""
    made = _bind(svc, invite_id, body, reviewer.id)
    return _created(request, made, f"/reviewer/invites/{invite_id}")


@router.post(
    "/i/{token}/bindings",
    summary="Bind my repository (candidate)",
    status_code=201,
    responses={**_CREATED, **_REFUSED},
)
async def bind_candidate(
    token: str,
    request: Request,
    *,
    svc: Svc,
    body: BindingForm,
) -> Response:
    """Bind the candidate's repository to their invite; the webhook secret is shown once."""

    def bind() -> dict[str, Any]:
        with svc.db.reading() as session:
            invite = invite_for_token(session, token)
        if invite is None:
            raise NotFound("no such invite")
        return _bind(svc, invite.id, body, None)

    made = await run_in_threadpool(bind)
    return _created(request, made, f"/i/{token}")
