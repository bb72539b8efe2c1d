"""Blind review: before a decision, no reviewer route names the candidate of a blind invite.

The sweep takes every route from `app.routes`, fills its path parameters with the blind
invite's and submission's ids (a route with a parameter it cannot fill fails the test, so a new
reviewer route is covered or noticed), fetches each as a reviewer who did not create the invite,
with a cookie session and with a bearer token, as HTML and as JSON, and searches the bytes for
the candidate's name, e-mail address and repository owner. Writes are listed one by one: each is
either exercised (its answer searched too) or says why its answer cannot name the candidate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.blinding import HIDDEN, Identity, pseudonym
from api.services import Services
from runner._manifest import Manifest, ManifestError, parse_manifest
from runner.cli import cli
from runner.gitintake import Commit, GitHistory
from runner.intake import snapshot_bytes
from runner.invites import InviteSpec, open_invite
from runner.settings import Settings
from runner.store import Invite, StoredReport, open_database
from runner.store.bindings import GitProvenance, new_binding
from runner.store.records import (
    NewSubmission,
    add_submission,
    create_api_token,
    create_reviewer,
)
from tests.fakeservice import CHALLENGES, grade_all, reference_archive

NAME = "Ada Lovelace"
EMAIL = "ada.lovelace@example.org"
OWNER = "ada-lovelace-gh"
REPO = f"https://github.com/{OWNER}/{OWNER}-takehome"
SHA = "abcdef0123456789abcdef0123456789abcdef01"
NEEDLES = (NAME.lower(), EMAIL.lower(), OWNER.lower())
PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}


@dataclass(frozen=True)
class World:
    invite: str
    token: str
    git_sub: str
    upload_sub: str
    review: str
    creator: dict[str, str]
    viewer: dict[str, str]


def _reviewer(svc: Services, email: str) -> dict[str, str]:
    create_reviewer(svc.db, email, PASSWORD)
    return {"Authorization": f"Bearer {create_api_token(svc.db, email)}"}


def _invite(client: TestClient, headers: dict[str, str], **extra: Any) -> tuple[str, str]:
    body = {"challenge": "calculator", "candidate": NAME, "email": EMAIL, **extra}
    made = client.post("/api/invites", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["link"].rsplit("/", 1)[1]


#: The commit's author is the candidate, and its subject names their address and repository.
_HISTORY = GitHistory(
    commits=[
        Commit(
            sha=SHA,
            parents=[],
            authored_at="2026-01-02T03:04:05+01:00",
            committed_at="2026-01-02T03:04:05+01:00",
            author_name=NAME,
            author_email=EMAIL,
            subject=f"solution by {EMAIL}, see {REPO}",
            added=3,
        )
    ],
    limit=200,
    complete=True,
)


def _git_submission(svc: Services, invite_id: str) -> str:
    new = NewSubmission(
        challenge_id="calculator",
        snapshot=snapshot_bytes(reference_archive(), "solution.tgz"),
        filename=f"{OWNER}-takehome@{SHA[:12]}",
        source_kind="git",
        invite_id=invite_id,
        git=GitProvenance(repo_url=REPO, ref="main", commit_sha=SHA),
        starter_descent="unknown",
        history=_HISTORY,
    )
    submission_id, _run = add_submission(svc.db, svc.blobs, new)
    return submission_id


def _stamp_provenance(svc: Services, submission_id: str) -> None:
    """A report whose provenance names the repository and the commit's author (as a future
    pipeline might): blind mode must hide it at read time and leave the stored row alone."""
    with svc.db.writing() as session:
        stored = session.scalars(
            select(StoredReport).where(StoredReport.submission_id == submission_id)
        ).one()
        data = json.loads(stored.json)
        data["provenance"]["git"] = {"repository": REPO, "author": f"{NAME} <{EMAIL}>"}
        stored.json = json.dumps(data)


def _review() -> dict[str, Any]:
    return {
        "levels": {"tests": {"score": 3}, "notes": {"score": 2}},
        "comments": [{"file": "calc/ops.py", "line": 1, "text": "a comment"}],
        "summary": "a summary",
        "recommendation": "yes",
        "submit": True,
    }


@pytest.fixture
def world(client: TestClient, svc: Services) -> World:
    return _world(client, svc, blind=True)


def _world(client: TestClient, svc: Services, *, blind: bool) -> World:
    creator = _reviewer(svc, "creator@example.com")
    viewer = _reviewer(svc, "viewer@example.com")
    invite, token = _invite(client, creator, blind=blind)
    git_sub = _git_submission(svc, invite)
    upload = client.post(
        f"/i/{token}/submissions", files={"archive": (f"{OWNER}.tgz", reference_archive())}
    )
    assert upload.status_code == 202, upload.text
    with svc.db.writing() as session:
        new_binding(
            session,
            svc.settings.secret_key,
            invite_id=invite,
            provider="github",
            repo_url=REPO,
            branch="main",
            created_by=None,
        )
    grade_all(svc)
    _stamp_provenance(svc, git_sub)
    review = client.post(f"/api/submissions/{git_sub}/reviews", json=_review(), headers=viewer)
    assert review.status_code == 201, review.text
    ids = (invite, token, git_sub, upload.json()["id"], review.json()["id"])
    return World(*ids, creator, viewer)


def _routes(app: FastAPI) -> Iterator[tuple[str, frozenset[str]]]:
    """(path, methods) of every route, through included routers."""

    def walk(routes: list[Any]) -> Iterator[tuple[str, frozenset[str]]]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif hasattr(route, "methods"):
                yield route.path, frozenset(route.methods or ())

    yield from walk(list(app.routes))


#: Candidate routes: their key is the invite token, which no reviewer holds (shown once to its
#: creator); they are the candidate's own pages. Webhooks answer a Git host, not a person.
_NOT_REVIEWER = ("/i/", "/webhooks/")

#: Every write (method, path): a request to exercise, or why its answer cannot name the
#: candidate of another reviewer's blind invite. Decisions are exercised after the sweep.
_WRITES: dict[tuple[str, str], dict[str, Any] | str] = {
    ("POST", "/login"): "the session form: answers a redirect",
    ("POST", "/logout"): "answers a redirect",
    ("POST", "/reviewer/invites"): "the caller's own new invite (they typed the name)",
    ("POST", "/api/invites"): "the caller's own new invite: id, link, clock, blind",
    ("POST", "/api/invites/{invite_id}/bindings"): "echoes the caller's own repository URL",
    ("POST", "/reviewer/invites/{invite_id}/bindings"): "echoes the caller's own repository URL",
    ("POST", "/api/submissions/{submission_id}/decision"): "unblinds: exercised after the sweep",
    ("POST", "/api/invites/{invite_id}/decision"): "unblinds: exercised after the sweep",
    ("POST", "/reviewer/submissions/{submission_id}/decision"): "unblinds: see the decision test",
    ("POST", "/reviewer/invites/{invite_id}/decision"): "unblinds: answers a redirect",
    ("PUT", "/api/me/mail"): {"json": {"graded": True}},
    ("POST", "/api/submissions"): {
        "files": {"archive": ("b.tgz", reference_archive())},
        "data": {"challenge": "calculator"},
    },
    ("POST", "/api/submissions/{submission_id}/reviews"): {"json": _review()},
    ("PUT", "/api/submissions/{submission_id}/reviews/mine"): {"json": _review()},
    ("POST", "/api/submissions/{submission_id}/reviews/mine/submit"): {},
    ("PUT", "/api/submissions/{submission_id}/reviews/{review_id}"): {"json": _review()},
    ("POST", "/reviewer/submissions/{submission_id}/review"): {
        "data": {"level.tests": "2", "level.notes": "1", "recommendation": "no", "action": "save"}
    },
    ("POST", "/reviewer/submissions/{submission_id}/review/comments"): {
        "data": {"file": "calc/ops.py", "line": "1", "text": "t"}
    },
    ("POST", "/reviewer/submissions/{submission_id}/review/comments/delete"): {
        "data": {"comment": "{comment}"}  # filled with the id of one of the viewer's comments
    },
    ("POST", "/reviewer/submissions/{submission_id}/regrade"): {},
    ("POST", "/api/submissions/{submission_id}/regrade"): {},
    # Outbound events: endpoints and deliveries carry ids, never a name (tests/api/test_events.py).
    ("POST", "/api/events/endpoints"): "the caller's own endpoint: URL, events, secret",
    ("DELETE", "/api/events/endpoints/{endpoint_id}"): "answers 204 without a body",
    ("POST", "/api/events/deliveries/{delivery_id}/redeliver"): "the attempt's status or error",
    ("POST", "/reviewer/events/endpoints"): "the caller's own endpoint and its secret",
    ("POST", "/reviewer/events/endpoints/{endpoint_id}/remove"): "answers a redirect",
    ("POST", "/reviewer/events/deliveries/{delivery_id}/redeliver"): "endpoints and attempts",
}


def _fill(path: str, world: World, submission: str) -> str:
    values = {
        "submission_id": submission,
        "invite_id": world.invite,
        "challenge_id": "calculator",
        "review_id": world.review,
        "pair_id": "no-such-pair",  # a 404; tests/api/test_similarity.py reads a real pair blind
    }
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    unknown = [name for name in names if name not in values]
    assert not unknown, f"route {path}: no value for {unknown}: cover it in tests/api/test_blind"
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)


def _reads(app: FastAPI, world: World) -> list[str]:
    """Every GET URL a reviewer can reach, for both of the invite's submissions, plus the
    changes view's file pages."""
    urls: list[str] = []
    for path, methods in _routes(app):
        if "GET" not in methods or path.startswith(_NOT_REVIEWER):
            continue
        for submission in (world.git_sub, world.upload_sub):
            url = _fill(path, world, submission)
            if url not in urls:
                urls.append(url)
    for submission in (world.git_sub, world.upload_sub):
        urls += [
            f"/api/submissions/{submission}/changes?file=calc/ops.py",
            f"/reviewer/submissions/{submission}/changes?file=calc/ops.py",
        ]
    return urls


def _named(body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace").lower()
    return [needle for needle in NEEDLES if needle in text]


def _login(client: TestClient, email: str) -> None:
    page = client.get("/login", headers=HTML).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/reviewer").text)
    assert found
    return found.group(1)


def _sweep(app: FastAPI, world: World, session: TestClient, bearer: TestClient) -> dict[str, int]:
    """Fetch every read (cookie and bearer, HTML and JSON); the URLs whose answer names the
    candidate, with their status."""
    leaks: dict[str, int] = {}
    fetched = 0
    for url in _reads(app, world):
        for accept in (HTML, {"Accept": "application/json"}):
            for answer in (
                session.get(url, headers=accept),
                bearer.get(url, headers={**accept, **world.viewer}),
            ):
                assert answer.status_code < 500, (url, answer.text[:300])
                fetched += answer.status_code == 200
                if _named(answer.content):
                    leaks[url] = answer.status_code
    assert fetched >= 4 * 30  # every reviewer read answered, not refused
    return leaks


def _with_comment(how: dict[str, Any], bearer: TestClient, world: World) -> dict[str, Any]:
    """`how` with a `{comment}` form value replaced by the id of one of the viewer's comments
    (a comment is removed by its id, read from the review page)."""
    if how.get("data", {}).get("comment") != "{comment}":
        return how
    page = bearer.get(
        f"/reviewer/submissions/{world.git_sub}/review", headers={**world.viewer, **HTML}
    )
    found = re.search(r'name="comment" value="([0-9a-f]{16})"', page.text)
    assert found, "the viewer has no comment to remove"
    return {**how, "data": {**how["data"], "comment": found.group(1)}}


def test_no_reviewer_route_names_a_blind_candidate_before_the_decision(
    app: FastAPI, client: TestClient, svc: Services, world: World
) -> None:
    bearer = TestClient(app)
    _login(client, "viewer@example.com")
    assert _sweep(app, world, client, bearer) == {}
    for (method, path), how in _WRITES.items():
        if isinstance(how, str):
            continue
        url = _fill(path, world, world.git_sub)
        answer = bearer.request(
            method, url, headers=world.viewer, **_with_comment(how, bearer, world)
        )
        assert answer.status_code < 400, (method, url, answer.text[:300])
        assert _named(answer.content) == [], (method, url)
        if "data" in how:  # a form: again with the cookie session and its CSRF token
            csrf = _csrf(client)
            answer = client.request(
                method,
                url,
                data={**_with_comment(how, bearer, world)["data"], "csrf_token": csrf},
                files=how.get("files"),
                headers={"X-CSRF-Token": csrf},
                follow_redirects=True,
            )
            assert answer.status_code < 400, (method, url, answer.text[:300])
            assert _named(answer.content) == [], (method, url)
    grade_all(svc)  # the regrades and the new upload: still nothing names the candidate
    assert _sweep(app, world, client, bearer) == {}


def test_the_sweep_finds_the_candidate_of_a_non_blind_invite(
    app: FastAPI, client: TestClient, svc: Services
) -> None:
    """The search is real: the same sweep over a non-blind invite finds the candidate."""
    world = _world(client, svc, blind=False)
    _login(client, "viewer@example.com")
    leaks = _sweep(app, world, client, TestClient(app))
    for url in (
        "/reviewer",
        f"/reviewer/submissions/{world.git_sub}",
        f"/reviewer/invites/{world.invite}",
        f"/api/submissions/{world.git_sub}",
        f"/api/submissions/{world.upload_sub}",
        "/api/submissions",
        f"/api/submissions/{world.git_sub}/report",
        "/api/challenges/calculator/submissions.csv",
        "/api/challenges/calculator/submissions.json",
        f"/reviewer/submissions/{world.git_sub}/changes",
        f"/reviewer/submissions/{world.git_sub}/review",
    ):
        assert url in leaks, url


def test_every_write_route_is_exercised_or_explained(app: FastAPI) -> None:
    writes = {
        (method, path)
        for path, methods in _routes(app)
        if not path.startswith(_NOT_REVIEWER)
        for method in methods - {"GET", "HEAD"}
    }
    assert writes == set(_WRITES), "a new write route: add it to _WRITES"


def test_after_the_decision_everything_shows_again(
    app: FastAPI, client: TestClient, svc: Services, world: World
) -> None:
    decided = client.post(
        f"/api/submissions/{world.git_sub}/decision",
        json={"value": "advance", "reason": "strong tests"},
        headers=world.viewer,
    )
    assert decided.status_code == 201, decided.text
    one = client.get(f"/api/submissions/{world.git_sub}", headers=world.viewer).json()
    assert (one["candidate"], one["repository"]) == (NAME, REPO)
    report = client.get(f"/reviewer/submissions/{world.git_sub}", headers=world.viewer)
    assert set(_named(report.content)) == set(NEEDLES)  # the e-mail: in the commit's author
    stored = client.get(f"/api/submissions/{world.git_sub}/report", headers=world.viewer)
    assert stored.json()["provenance"]["git"]["author"] == f"{NAME} <{EMAIL}>"
    page = client.get(f"/reviewer/invites/{world.invite}", headers=world.viewer)
    assert set(_named(page.content)) == set(NEEDLES)
    # The pseudonym is per invite: a decision on one submission reveals all of the invite's.
    other = client.get(f"/api/submissions/{world.upload_sub}", headers=world.viewer).json()
    assert (other["candidate"], other["filename"]) == (NAME, f"{OWNER}.tgz")
    csv = client.get("/api/challenges/calculator/submissions.csv", headers=world.viewer)
    assert NAME in csv.text


def test_a_decision_on_the_invite_reveals_it_too(client: TestClient, world: World) -> None:
    decided = client.post(
        f"/api/invites/{world.invite}/decision",
        json={"value": "reject", "reason": "no tests"},
        headers=world.viewer,
    )
    assert decided.status_code == 201, decided.text
    one = client.get(f"/api/submissions/{world.upload_sub}", headers=world.viewer).json()
    assert one["candidate"] == NAME


def test_a_hold_keeps_the_candidate_hidden(
    app: FastAPI, client: TestClient, svc: Services, world: World
) -> None:
    """Only a final decision (advance, reject) ends blind review: `hold` is not one."""
    bearer = TestClient(app)
    _login(client, "viewer@example.com")
    for url in (
        f"/api/submissions/{world.git_sub}/decision",
        f"/api/invites/{world.invite}/decision",
    ):
        held = client.post(url, json={"value": "hold", "reason": "wait"}, headers=world.viewer)
        assert held.status_code == 201, held.text
    assert _sweep(app, world, client, bearer) == {}
    one = client.get(f"/api/submissions/{world.git_sub}", headers=world.viewer).json()
    assert one["candidate"] == pseudonym(svc.settings.secret_key, world.invite)
    advanced = client.post(
        f"/api/submissions/{world.git_sub}/decision",
        json={"value": "advance", "reason": "after all"},
        headers=world.viewer,
    )
    assert advanced.status_code == 201, advanced.text
    assert (
        client.get(f"/api/submissions/{world.upload_sub}", headers=world.viewer).json()[
            "candidate"
        ]
        == NAME
    )


def test_the_pseudonym_is_stable_and_differs_across_invites(
    client: TestClient, svc: Services, world: World
) -> None:
    second, _token = _invite(client, world.creator, blind=True)
    first_name = pseudonym(svc.settings.secret_key, world.invite)
    assert re.fullmatch(r"Candidate [0-9A-F]{6}", first_name)
    assert pseudonym(svc.settings.secret_key, second) != first_name
    assert pseudonym("another-secret-key-0123456789", world.invite) != first_name
    listed = client.get("/api/submissions", headers=world.viewer).json()
    assert {s["candidate"] for s in listed if s["id"] in (world.git_sub, world.upload_sub)} == {
        first_name
    }
    git = next(s for s in listed if s["id"] == world.git_sub)
    assert (git["repository"], git["filename"], git["commit"]) == (
        None,
        f"repository@{SHA[:12]}",
        SHA,
    )
    upload = next(s for s in listed if s["id"] == world.upload_sub)
    assert upload["filename"] == "archive.tgz"
    report = client.get(f"/reviewer/submissions/{world.git_sub}", headers=world.viewer)
    changes = client.get(f"/reviewer/submissions/{world.git_sub}/changes", headers=world.viewer)
    dashboard = client.get("/reviewer", headers=world.viewer)
    for page in (report, changes, dashboard):
        assert first_name in page.text
    assert "hidden (blind review)" in report.text


def test_the_creator_sees_who_it_is_on_the_invite_page_only(
    client: TestClient, svc: Services, world: World
) -> None:
    page = client.get(f"/reviewer/invites/{world.invite}", headers=world.creator)
    assert set(_named(page.content)) == set(NEEDLES)
    timeline = client.get(f"/api/invites/{world.invite}/timeline", headers=world.creator).json()
    assert (timeline["candidate"], timeline["email"]) == (NAME, EMAIL)
    assert timeline["bindings"][0]["repo_url"] == REPO
    viewers = client.get(f"/api/invites/{world.invite}/timeline", headers=world.viewer).json()
    assert (viewers["candidate"], viewers["email"]) == (
        pseudonym(svc.settings.secret_key, world.invite),
        None,
    )
    assert viewers["bindings"][0]["repo_url"] == HIDDEN
    report = client.get(f"/reviewer/submissions/{world.git_sub}", headers=world.creator)
    assert _named(report.content) == []


def test_a_non_blind_invite_is_unchanged(client: TestClient, svc: Services) -> None:
    headers = _reviewer(svc, "creator@example.com")
    viewer = _reviewer(svc, "viewer@example.com")
    invite, _token = _invite(client, headers)
    submission = _git_submission(svc, invite)
    grade_all(svc)
    one = client.get(f"/api/submissions/{submission}", headers=viewer).json()
    assert (one["candidate"], one["repository"], one["filename"]) == (
        NAME,
        REPO,
        f"{OWNER}-takehome@{SHA[:12]}",
    )
    page = client.get(f"/reviewer/submissions/{submission}", headers=viewer)
    # The name, the repository's owner, and the address in the history's commit subject.
    assert set(_named(page.content)) == {NAME.lower(), OWNER.lower(), EMAIL.lower()}
    invite_page = client.get(f"/reviewer/invites/{invite}", headers=viewer)
    assert set(_named(invite_page.content)) == set(NEEDLES)


def test_the_stored_report_is_never_rewritten(
    client: TestClient, svc: Services, world: World
) -> None:
    answer = client.get(f"/api/submissions/{world.git_sub}/report", headers=world.viewer)
    assert answer.json()["provenance"]["git"] == {"repository": HIDDEN, "author": HIDDEN}
    with svc.db.reading() as session:
        stored = session.scalars(
            select(StoredReport).where(StoredReport.submission_id == world.git_sub)
        ).one()
    assert json.loads(stored.json)["provenance"]["git"]["repository"] == REPO


def test_free_text_is_scrubbed_of_the_repository_and_address() -> None:
    who = Identity(True, "Candidate 000000", None, (REPO, EMAIL))
    assert who.text(f"git could not fetch {REPO} for {EMAIL}") == (
        f"git could not fetch {HIDDEN} for {HIDDEN}"
    )
    assert Identity(False, NAME, EMAIL).text(REPO) == REPO


def test_the_form_checkbox_makes_an_invite_blind(client: TestClient, svc: Services) -> None:
    _reviewer(svc, "creator@example.com")
    _login(client, "creator@example.com")
    form = {"challenge": "calculator", "candidate": NAME, "blind": "true"}
    made = client.post("/reviewer/invites", data={**form, "csrf_token": _csrf(client)})
    assert made.status_code == 201
    assert NAME in made.text  # the creator's own page, once
    del form["blind"]
    plain = client.post("/reviewer/invites", data={**form, "csrf_token": _csrf(client)})
    assert plain.status_code == 201
    with svc.db.reading() as session:
        flags = sorted(i.blind for i in session.scalars(select(Invite)))
    assert flags == [False, True]


def test_the_challenge_default_and_an_explicit_choice(svc: Services) -> None:
    calculator = svc.challenges.get("calculator")
    assert calculator.manifest.review.blind is False
    blind_by_default = type(calculator)(
        root=calculator.root,
        manifest=calculator.manifest.model_copy(
            update={"review": calculator.manifest.review.model_copy(update={"blind": True})}
        ),
        brief=calculator.brief,
        version_hash=calculator.version_hash,
        _starter=calculator._starter,
        _tests=calculator._tests,
    )
    made = [
        open_invite(svc.db, svc.blobs, challenge, InviteSpec(candidate="x", blind=choice))[0]
        for challenge, choice in (
            (calculator, None),
            (blind_by_default, None),
            (blind_by_default, False),
            (calculator, True),
        )
    ]
    assert [invite.blind for invite in made] == [False, True, False, True]


def test_the_manifest_reads_review_blind(tmp_path: Path) -> None:
    path = tmp_path / "challenge.toml"
    base = b'id = "x1"\ntitle = "X"\nversion = "1"\nframework = "pytest"\nmode = "unit"\n'
    blind = parse_manifest(path, base + b"[review]\nblind = true\n", Manifest)
    assert blind.review.blind is True
    assert parse_manifest(path, base, Manifest).review.blind is False
    with pytest.raises(ManifestError, match="blind"):
        parse_manifest(path, base + b"[review]\nblind = 'maybe'\n", Manifest)


def test_the_command_line_blind_flag(tmp_path: Path) -> None:
    env = {
        "TAKEHOME_DATA_DIR": str(tmp_path / "data"),
        "TAKEHOME_CHALLENGE_DIRS": str(CHALLENGES),
        "TAKEHOME_PUBLIC_URL": "https://takehome.example",
        "TAKEHOME_SECRET_KEY": "",
        "TAKEHOME_DEV_MODE": "0",
    }
    runner = CliRunner()
    for flag in ("--blind", "--no-blind"):
        args = ["invites", "create", "--challenge", "calculator", flag]
        made = runner.invoke(cli, args, env=env)
        assert made.exit_code == 0, made.output
    db = open_database(Settings(data_dir=tmp_path / "data"))
    with db.reading() as session:
        flags = sorted(i.blind for i in session.scalars(select(Invite)))
    db.close()
    assert flags == [False, True]


def test_an_unreadable_stored_report_is_scrubbed_as_text() -> None:
    identity = Identity(True, "Candidate 000000", None, ("ada@example.com",))
    assert identity.report_json("not json: ada@example.com") == f"not json: {HIDDEN}"
    assert Identity(False, "Ada", "ada@example.com").report_json("x") == "x"
