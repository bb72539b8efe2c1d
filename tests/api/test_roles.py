"""The role matrix: every route x {anonymous, candidate A, candidate B, reviewer, bad token}.

A candidate's key is their invite token: on candidate routes it is the token in the URL; on
reviewer routes a candidate (or anyone) can only present it as a bearer token, which must fail.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import create_app
from api.services import Services
from runner.settings import Settings
from runner.store import secrets
from runner.store.similarity import SimilarityPair
from tests.fakeservice import (
    CHEAP_HASHER,
    add_reviewer,
    fake_pipeline,
    grade_all,
    new_invite,
    reference_archive,
    service_settings,
)

IDENTITIES = ("anonymous", "candidate_a", "candidate_b", "reviewer", "bad_token")


@dataclass(frozen=True)
class World:
    token_a: str
    token_b: str
    sub_a: str
    reviewer: dict[str, str]
    review: str = ""
    invite: str = ""
    comment: str = ""
    """The id of the review's line comment (a form removes a comment by its id)."""
    pair: str = ""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    """The world, built once: a graded submission of candidate A, a submitted review with a line
    comment, a second invite and a similarity pair. Each test gets a copy of its data folder
    (`settings` below), so every test starts from this same state, whatever an earlier test's
    request changed, without grading again (once a test, that was most of this file's time)."""
    data = tmp_path_factory.mktemp("roles") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(secrets, "_HASHER", CHEAP_HASHER)
        app = create_app(service_settings(data), pipeline_factory=fake_pipeline)
        with TestClient(app) as client:
            world = _build_world(client, app.state.services)
    return data, world


def _build_world(client: TestClient, svc: Services) -> World:
    reviewer_headers = add_reviewer(svc)
    token_a, token_b = (new_invite(svc, who=who)[1] for who in ("A", "B"))
    response = client.post(
        f"/i/{token_a}/submissions", files={"archive": ("a.tgz", reference_archive())}
    )
    grade_all(svc)
    sub_a = response.json()["id"]
    review = client.post(
        f"/api/submissions/{sub_a}/reviews", json=_review(), headers=reviewer_headers
    )
    invite, _token = new_invite(svc, days=1, max_submissions=1, who="E")
    page = client.get(
        f"/reviewer/submissions/{sub_a}/review",
        headers={**reviewer_headers, "Accept": "text/html"},
    )
    comment = re.search(r'name="comment" value="([0-9a-f]{16})"', page.text)
    assert comment, page.text[:300]
    with svc.db.reading() as session:  # sub_a, the reference itself, matches the reference
        pair = session.scalars(select(SimilarityPair.id)).one()
    ids = (review.json()["id"], invite.id, comment.group(1), pair)
    return World(token_a, token_b, sub_a, reviewer_headers, *ids)


@pytest.fixture
def settings(tmp_path: Path, template: tuple[Path, World]) -> Settings:
    """The service's settings over a fresh copy of the template's data folder."""
    shutil.copytree(template[0], tmp_path / "data")
    return service_settings(tmp_path / "data")


@pytest.fixture
def world(template: tuple[Path, World], client: TestClient) -> World:
    del client  # the app over this test's copy is up
    return template[1]


def _review() -> dict[str, Any]:
    """A complete, submitted review of the calculator rubric with one line comment."""
    return {
        "levels": {"tests": {"score": 3}, "notes": {"score": 2}},
        "comments": [{"file": "calc/ops.py", "line": 1, "text": "REVIEW-COMMENT"}],
        "summary": "REVIEW-SUMMARY",
        "recommendation": "yes",
        "submit": True,
    }


def _review_form() -> dict[str, Any]:
    fields = {"level.tests": "2", "level.notes": "1", "recommendation": "no", "action": "save"}
    return {"data": fields}


def _as(world: World, who: str) -> tuple[str, dict[str, str]]:
    """The token the identity puts in candidate URLs, and the headers it sends."""
    return {
        "anonymous": ("no-token", {}),
        "candidate_a": (world.token_a, {"Authorization": f"Bearer {world.token_a}"}),
        "candidate_b": (world.token_b, {"Authorization": f"Bearer {world.token_b}"}),
        "reviewer": ("no-token", world.reviewer),
        "bad_token": ("forged-token", {"Authorization": "Bearer forged-token"}),
    }[who]


def _archive() -> dict[str, Any]:
    return {"files": {"archive": ("b.tgz", reference_archive())}}


# route: (method, path template, request kwargs, expected status per identity)
_CANDIDATE_OK = {"candidate_a": 200, "candidate_b": 200}
_REVIEWER_ONLY: dict[str, int] = {}
ROUTES: dict[str, tuple[str, str, Callable[[], dict[str, Any]], dict[str, int], int]] = {
    "invite page": ("GET", "/i/{token}", dict, _CANDIDATE_OK, 404),
    "candidate submit": (
        "POST",
        "/i/{token}/submissions",
        _archive,
        {"candidate_a": 202, "candidate_b": 202},
        404,
    ),
    "candidate status": (
        "GET",
        "/i/{token}/submissions/{sub}",
        dict,
        {"candidate_a": 200},
        404,
    ),
    "dashboard": ("GET", "/reviewer", dict, {"reviewer": 200}, 401),
    "invite form": (
        "POST",
        "/reviewer/invites",
        lambda: {"data": {"challenge": "calculator", "candidate": "C"}},
        {"reviewer": 201},
        401,
    ),
    "report page": ("GET", "/reviewer/submissions/{sub}", dict, {"reviewer": 200}, 401),
    "regrade form": (
        "POST",
        "/reviewer/submissions/{sub}/regrade",
        dict,
        {"reviewer": 303},
        401,
    ),
    "compare": ("GET", "/reviewer/challenges/calculator/compare", dict, {"reviewer": 200}, 401),
    "api challenges": ("GET", "/api/challenges", dict, {"reviewer": 200}, 401),
    "api invite": (
        "POST",
        "/api/invites",
        lambda: {"json": {"challenge": "calculator", "candidate": "D"}},
        {"reviewer": 201},
        401,
    ),
    "api submit": (
        "POST",
        "/api/submissions",
        lambda: {**_archive(), "data": {"challenge": "calculator"}},
        {"reviewer": 202},
        401,
    ),
    "api list": ("GET", "/api/submissions", dict, {"reviewer": 200}, 401),
    "api one": ("GET", "/api/submissions/{sub}", dict, {"reviewer": 200}, 401),
    "api regrade": ("POST", "/api/submissions/{sub}/regrade", dict, {"reviewer": 202}, 401),
    "api report": ("GET", "/api/submissions/{sub}/report", dict, {"reviewer": 200}, 401),
    "api changes": ("GET", "/api/submissions/{sub}/changes", dict, {"reviewer": 200}, 401),
    "api changes file": (
        "GET",
        "/api/submissions/{sub}/changes?file=calc/__init__.py&page=1",
        dict,
        {"reviewer": 200},
        401,
    ),
    "api similarity": ("GET", "/api/submissions/{sub}/similarity", dict, {"reviewer": 200}, 401),
    "similar pair page": (
        "GET",
        "/reviewer/submissions/{sub}/similarity/{pair}",
        dict,
        {"reviewer": 200},
        401,
    ),
    "challenge similarity": (
        "GET",
        "/reviewer/challenges/calculator/similarity",
        dict,
        {"reviewer": 200},
        401,
    ),
    "changes page": ("GET", "/reviewer/submissions/{sub}/changes", dict, {"reviewer": 200}, 401),
    "api history": ("GET", "/api/submissions/{sub}/history", dict, {"reviewer": 200}, 401),
    "junit": ("GET", "/api/submissions/{sub}/report.junit.xml", dict, {"reviewer": 200}, 401),
    "sarif": ("GET", "/api/submissions/{sub}/report.sarif", dict, {"reviewer": 200}, 401),
    "gradescope": (
        "GET",
        "/api/submissions/{sub}/report.gradescope.json",
        dict,
        {"reviewer": 200},
        401,
    ),
    "csv": ("GET", "/api/challenges/calculator/submissions.csv", dict, {"reviewer": 200}, 401),
    "json export": (
        "GET",
        "/api/challenges/calculator/submissions.json",
        dict,
        {"reviewer": 200},
        401,
    ),
    "api rubric": ("GET", "/api/challenges/calculator/rubric", dict, {"reviewer": 200}, 401),
    "api reviews": ("GET", "/api/submissions/{sub}/reviews", dict, {"reviewer": 200}, 401),
    "api review save": (
        "POST",
        "/api/submissions/{sub}/reviews",
        lambda: {"json": _review()},
        {"reviewer": 201},
        401,
    ),
    "api my review": ("GET", "/api/submissions/{sub}/reviews/mine", dict, {"reviewer": 200}, 401),
    "api my review edit": (
        "PUT",
        "/api/submissions/{sub}/reviews/mine",
        lambda: {"json": _review()},
        {"reviewer": 200},
        401,
    ),
    "api my review submit": (
        "POST",
        "/api/submissions/{sub}/reviews/mine/submit",
        dict,
        {"reviewer": 200},
        401,
    ),
    "api review edit by id": (
        "PUT",
        "/api/submissions/{sub}/reviews/{review}",
        lambda: {"json": _review()},
        {"reviewer": 200},
        401,
    ),
    "api revisions": ("GET", "/api/reviews/{review}/revisions", dict, {"reviewer": 200}, 401),
    "api calibration": (
        "GET",
        "/api/submissions/{sub}/calibration",
        dict,
        {"reviewer": 200},
        401,
    ),
    "api decide submission": (
        "POST",
        "/api/submissions/{sub}/decision",
        lambda: {"json": {"value": "hold", "reason": "DECISION-REASON"}},
        {"reviewer": 201},
        401,
    ),
    "api decision": ("GET", "/api/submissions/{sub}/decision", dict, {"reviewer": 200}, 401),
    "api decide invite": (
        "POST",
        "/api/invites/{invite}/decision",
        lambda: {"json": {"value": "reject", "reason": "DECISION-REASON"}},
        {"reviewer": 201},
        401,
    ),
    "api invite decision": ("GET", "/api/invites/{invite}/decision", dict, {"reviewer": 200}, 401),
    "review page": ("GET", "/reviewer/submissions/{sub}/review", dict, {"reviewer": 200}, 401),
    "review form": (
        "POST",
        "/reviewer/submissions/{sub}/review",
        _review_form,
        {"reviewer": 303},
        401,
    ),
    "comment form": (
        "POST",
        "/reviewer/submissions/{sub}/review/comments",
        lambda: {"data": {"file": "calc/ops.py", "line": "2", "text": "hm"}},
        {"reviewer": 303},
        401,
    ),
    "comment delete form": (
        "POST",
        "/reviewer/submissions/{sub}/review/comments/delete",
        lambda: {"data": {"comment": "{comment}"}},  # filled with the review's comment id
        {"reviewer": 303},
        401,
    ),
    "calibration page": (
        "GET",
        "/reviewer/submissions/{sub}/calibration",
        dict,
        {"reviewer": 200},
        401,
    ),
    "decision form": (
        "POST",
        "/reviewer/submissions/{sub}/decision",
        lambda: {"data": {"value": "advance", "reason": "DECISION-REASON"}},
        {"reviewer": 303},
        401,
    ),
    "invite decision form": (
        "POST",
        "/reviewer/invites/{invite}/decision",
        lambda: {"data": {"value": "hold", "reason": "DECISION-REASON"}},
        {"reviewer": 303},
        401,
    ),
    # Outbound events: a literal public address is checked, never connected to, when added.
    "api events endpoints": ("GET", "/api/events/endpoints", dict, {"reviewer": 200}, 401),
    "api events add": (
        "POST",
        "/api/events/endpoints",
        lambda: {"json": {"url": "https://8.8.8.8/hook", "events": ["invite.started"]}},
        {"reviewer": 201},
        401,
    ),
    "api events remove": ("DELETE", "/api/events/endpoints/nope", dict, {"reviewer": 404}, 401),
    "api events deliveries": ("GET", "/api/events/deliveries", dict, {"reviewer": 200}, 401),
    "api events redeliver": (
        "POST",
        "/api/events/deliveries/nope/redeliver",
        dict,
        {"reviewer": 404},
        401,
    ),
    "events page": ("GET", "/reviewer/events", dict, {"reviewer": 200}, 401),
    "events add form": (
        "POST",
        "/reviewer/events/endpoints",
        lambda: {"data": {"url": "https://8.8.8.8/hook", "events": "invite.started"}},
        {"reviewer": 201},
        401,
    ),
    "events remove form": (
        "POST",
        "/reviewer/events/endpoints/nope/remove",
        dict,
        {"reviewer": 404},
        401,
    ),
    "events redeliver form": (
        "POST",
        "/reviewer/events/deliveries/nope/redeliver",
        dict,
        {"reviewer": 404},
        401,
    ),
}


@pytest.mark.parametrize("who", IDENTITIES)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_role_matrix(client: TestClient, world: World, route: str, who: str) -> None:
    method, template, kwargs, allowed, denied = ROUTES[route]
    token, headers = _as(world, who)
    path = template.format(
        token=token, sub=world.sub_a, review=world.review, invite=world.invite, pair=world.pair
    )
    request = kwargs()
    if "data" in request and request["data"].get("comment") == "{comment}":
        request["data"] = {**request["data"], "comment": world.comment}
    response = client.request(method, path, headers=headers, follow_redirects=False, **request)
    assert response.status_code == allowed.get(who, denied), response.text
    if response.status_code >= 400:
        assert world.token_a not in response.text
        assert "HIDDEN-ORACLE-SECRET" not in response.text
        for secret in ("REVIEW-SUMMARY", "REVIEW-COMMENT", "DECISION-REASON"):
            assert secret not in response.text


def test_candidate_b_never_sees_candidate_a(client: TestClient, world: World) -> None:
    page = client.get(f"/i/{world.token_b}", headers={"Accept": "text/html"})
    assert world.sub_a not in page.text
    response = client.get(f"/i/{world.token_b}/submissions/{world.sub_a}")
    assert response.status_code == 404


def test_anonymous_browser_is_sent_to_login(client: TestClient, world: World) -> None:
    del world
    response = client.get("/reviewer", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/reviewer"
