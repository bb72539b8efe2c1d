"""Reviews, independence, calibration, decisions and rubric scores through the API and pages.

Two reviewers, A and B, review one graded calculator submission (rubric: `tests` levels 1-3,
weight 2; `notes` levels 0-2, weight 1; see tests/challenges/calculator/challenge.toml).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import create_app
from api.services import Services
from runner.settings import Settings
from runner.store import Decision, Invite, Review, ReviewRevision
from runner.store.records import create_api_token, create_reviewer
from tests.fakeservice import CALCULATOR, fake_pipeline, grade_all, reference_archive

HTML = {"Accept": "text/html"}
A_SUMMARY = "A-SECRET-SUMMARY: clean evaluator"
A_NOTE = "A-SECRET-NOTE on tests"
A_COMMENT = "A-SECRET-COMMENT on ops"
GOOD_A: dict[str, Any] = {
    "levels": {"tests": {"score": 3, "note": A_NOTE}, "notes": {"score": 1}},
    "comments": [{"file": "calc/ops.py", "line": 3, "text": A_COMMENT}],
    "summary": A_SUMMARY,
    "recommendation": "yes",
}
GOOD_B: dict[str, Any] = {
    "levels": {"tests": {"score": 1}, "notes": {"score": 2}},
    "summary": "B summary",
    "recommendation": "no",
}


@dataclass(frozen=True)
class Team:
    a: dict[str, str]
    b: dict[str, str]
    sub: str
    token: str
    invite_id: str


@pytest.fixture
def team(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> Team:
    create_reviewer(svc.db, "bee@example.com", "correct horse battery")
    b = {"Authorization": f"Bearer {create_api_token(svc.db, 'bee@example.com')}"}
    token = make_invite(who="Ada Candidate")
    response = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
    )
    grade_all(svc)
    with svc.db.reading() as session:
        invite_id = session.scalar(select(Invite.id))
    assert invite_id is not None
    return Team(reviewer_headers, b, response.json()["id"], token, invite_id)


def _counts(svc: Services) -> tuple[int, int, int]:
    with svc.db.reading() as session:
        reviews = session.scalar(select(func.count()).select_from(Review)) or 0
        revisions = session.scalar(select(func.count()).select_from(ReviewRevision)) or 0
        decisions = session.scalar(select(func.count()).select_from(Decision)) or 0
    return reviews, revisions, decisions


def _save(client: TestClient, team: Team, who: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(f"/api/submissions/{team.sub}/reviews", json=body, headers=who)


def test_the_rubric_is_served_with_sorted_levels(client: TestClient, team: Team) -> None:
    rubric = client.get("/api/challenges/calculator/rubric", headers=team.a).json()
    assert [c["id"] for c in rubric] == ["tests", "notes"]
    assert [lv["score"] for lv in rubric[0]["levels"]] == [1, 2, 3]
    assert rubric[0]["weight"] == 2


def test_draft_then_submit_keeps_every_revision(
    client: TestClient, svc: Services, team: Team
) -> None:
    draft = _save(client, team, team.a, {"levels": {"tests": {"score": 2}}})
    assert draft.status_code == 201, draft.text
    assert draft.json()["state"] == "draft"
    refused = client.post(f"/api/submissions/{team.sub}/reviews/mine/submit", headers=team.a)
    assert refused.status_code == 422
    assert refused.json()["error"] == "incomplete_review"
    assert "notes" in refused.json()["detail"]
    assert _counts(svc) == (1, 1, 0)  # the refused submit stored nothing
    saved = client.put(f"/api/submissions/{team.sub}/reviews/mine", json=GOOD_A, headers=team.a)
    assert saved.json()["revision"] == 2
    submitted = client.post(f"/api/submissions/{team.sub}/reviews/mine/submit", headers=team.a)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "submitted"
    edited = {**GOOD_A, "summary": "changed my mind a little"}
    again = client.put(f"/api/submissions/{team.sub}/reviews/mine", json=edited, headers=team.a)
    assert again.json()["state"] == "submitted"  # an edit keeps it submitted
    incomplete = client.put(
        f"/api/submissions/{team.sub}/reviews/mine",
        json={"levels": {"tests": {"score": 1}}},
        headers=team.a,
    )
    assert incomplete.status_code == 422  # a submitted review must stay complete
    review_id = again.json()["id"]
    history = client.get(f"/api/reviews/{review_id}/revisions", headers=team.a).json()
    assert [(r["number"], r["state"]) for r in history] == [
        (1, "draft"),
        (2, "draft"),
        (3, "submitted"),
        (4, "submitted"),
    ]
    assert history[0]["levels"] == {"tests": 2}
    assert history[3]["summary"] == "changed my mind a little"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"levels": {"tests": {"score": 7}}}, "levels.tests"),
        ({"levels": {"notes": {"score": 3}}}, "levels.notes"),
        ({"levels": {"triage": {"score": 2}}}, "levels.triage"),  # django-security's rubric
        ({"comments": [{"file": "calc/nope.py", "line": 1, "text": "x"}]}, "comments[0].file"),
        ({"comments": [{"file": "calc/ops.py", "line": 999, "text": "x"}]}, "comments[0].line"),
        ({"comments": [{"file": "calc/ops.py", "line": 0, "text": "x"}]}, "comments[0].line"),
        ({"comments": [{"file": "calc/ops.py", "line": 2, "text": " "}]}, "comments[0].text"),
        ({"recommendation": "maybe"}, "recommendation"),
    ],
)
def test_bad_reviews_are_refused_and_store_nothing(
    client: TestClient, svc: Services, team: Team, body: dict[str, Any], field: str
) -> None:
    response = _save(client, team, team.a, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_review"
    assert response.json()["detail"].startswith(f"{field}:")
    assert _counts(svc) == (0, 0, 0)


def test_a_bad_edit_leaves_the_review_as_it_was(
    client: TestClient, svc: Services, team: Team
) -> None:
    _save(client, team, team.a, GOOD_A)
    bad = {**GOOD_A, "levels": {"tests": {"score": 9}}}
    assert _save(client, team, team.a, bad).status_code == 422
    assert _counts(svc) == (1, 1, 0)
    mine = client.get(f"/api/submissions/{team.sub}/reviews/mine", headers=team.a).json()
    assert mine["levels"]["tests"]["score"] == 3


def test_a_reviewer_cannot_edit_another_reviewers_review(
    client: TestClient, svc: Services, team: Team
) -> None:
    review_id = _save(client, team, team.a, GOOD_A).json()["id"]
    response = client.put(
        f"/api/submissions/{team.sub}/reviews/{review_id}", json=GOOD_B, headers=team.b
    )
    assert response.status_code == 403
    assert response.json()["error"] == "not_your_review"
    assert _counts(svc) == (1, 1, 0)
    own = client.put(
        f"/api/submissions/{team.sub}/reviews/{review_id}", json=GOOD_A, headers=team.a
    )
    assert own.status_code == 200
    assert own.json()["revision"] == 2


def test_review_of_an_unknown_submission_is_404(client: TestClient, team: Team) -> None:
    response = client.post("/api/submissions/nope/reviews", json=GOOD_A, headers=team.a)
    assert response.status_code == 404


def _secrets_absent(text: str, *, form: bool = False) -> None:
    """None of A's review in `text`; a page with the review form names every recommendation
    as a choice, so there only a count of them would be a leak."""
    recommendation = ("1 yes",) if form else ('"yes"', "strong_yes")
    for secret in (A_SUMMARY, A_NOTE, A_COMMENT, *recommendation):
        assert secret not in text, secret


def test_independence_until_own_review_is_submitted(client: TestClient, team: Team) -> None:
    a = _save(client, team, team.a, {**GOOD_A, "submit": True})
    assert a.json()["state"] == "submitted"
    review_a = a.json()["id"]
    # B has no review, then a draft: nothing of A's anywhere B can look.
    for _stage in ("none", "draft"):
        seen = client.get(f"/api/submissions/{team.sub}/reviews", headers=team.b)
        assert seen.json()["others_hidden"] is True
        assert seen.json()["others"] == []
        _secrets_absent(seen.text)
        calibration = client.get(f"/api/submissions/{team.sub}/calibration", headers=team.b)
        assert calibration.status_code == 403
        assert calibration.json()["error"] == "review_first"
        revisions = client.get(f"/api/reviews/{review_a}/revisions", headers=team.b)
        assert revisions.status_code == 403
        exported = client.get("/api/challenges/calculator/submissions.json", headers=team.b)
        assert exported.json()[0]["rubric_score"] is None
        assert exported.json()[0]["recommendations"] is None
        for page in ("", "/review"):
            html = client.get(f"/reviewer/submissions/{team.sub}{page}", headers=team.b).text
            _secrets_absent(html, form=True)
        _save(client, team, team.b, {"summary": "B draft"})
    _save(client, team, team.b, {**GOOD_B, "submit": True})
    seen = client.get(f"/api/submissions/{team.sub}/reviews", headers=team.b).json()
    assert seen["others_hidden"] is False
    assert [r["summary"] for r in seen["others"]] == [A_SUMMARY]
    assert seen["others"][0]["comments"][0]["text"] == A_COMMENT
    page = client.get(f"/reviewer/submissions/{team.sub}/review", headers=team.b).text
    assert A_SUMMARY in page


def test_calibration_shows_levels_spread_and_flags(client: TestClient, team: Team) -> None:
    _save(client, team, team.a, {**GOOD_A, "submit": True})
    _save(client, team, team.b, {**GOOD_B, "submit": True})
    calibration = client.get(f"/api/submissions/{team.sub}/calibration", headers=team.b).json()
    tests, notes = calibration["criteria"]
    assert tests["levels"] == {"rev@example.com": 3, "bee@example.com": 1}
    assert (tests["spread"], tests["flagged"]) == (2, True)
    assert (notes["spread"], notes["flagged"]) == (1, False)
    assert calibration["recommended_by"] == {"bee@example.com": "no", "rev@example.com": "yes"}
    assert calibration["recommendations"] == {"strong_yes": 0, "yes": 1, "no": 1, "strong_no": 0}
    assert calibration["disagreement"] == [
        "tests: 2 levels apart",
        "recommendations split between yes and no",
    ]
    # (2 x 100 + 1 x 50 + 2 x 0 + 1 x 100) / 6
    assert calibration["rubric_score"] == 58.3
    assert calibration["overall_with_rubric"] is None  # calculator does not fold the rubric in
    page = client.get(f"/reviewer/submissions/{team.sub}/calibration", headers=team.a).text
    assert "rev@example.com" in page
    assert "bee@example.com" in page
    assert "⚑" in page
    dashboard = client.get("/reviewer", headers={**HTML, **team.a}).text
    assert "⚑ disagree" in dashboard


def test_decisions_are_shown_everywhere_and_exported(
    client: TestClient, svc: Services, team: Team
) -> None:
    bad = client.post(
        f"/api/submissions/{team.sub}/decision",
        json={"value": "hire", "reason": "x"},
        headers=team.a,
    )
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid_decision"
    empty = client.post(
        f"/api/submissions/{team.sub}/decision",
        json={"value": "hold", "reason": "  "},
        headers=team.a,
    )
    assert empty.status_code == 422
    assert _counts(svc) == (0, 0, 0)
    on_invite = client.post(
        f"/api/invites/{team.invite_id}/decision",
        json={"value": "hold", "reason": "wait for the second interview"},
        headers=team.b,
    )
    assert on_invite.status_code == 201
    assert on_invite.json()["scope"] == "invite"
    current = client.get(f"/api/submissions/{team.sub}/decision", headers=team.a).json()
    assert current["current"]["value"] == "hold"  # the invite's decision covers its submissions
    decided = client.post(
        f"/api/submissions/{team.sub}/decision",
        json={"value": "advance", "reason": "DECISION-REASON strong tests"},
        headers=team.a,
    )
    assert decided.status_code == 201
    assert decided.json()["decided_by"] == "rev@example.com"
    assert decided.json()["decided_at"].endswith("Z")
    history = client.get(f"/api/submissions/{team.sub}/decision", headers=team.a).json()
    assert [d["value"] for d in history["history"]] == ["advance", "hold"]
    for path in (
        "/reviewer",
        f"/reviewer/submissions/{team.sub}",
        "/reviewer/challenges/calculator/compare",
    ):
        page = client.get(path, headers={**HTML, **team.b}).text
        assert "decision-advance" in page, path
    text = client.get("/api/challenges/calculator/submissions.csv", headers=team.b).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["decision"] == "advance"
    assert rows[0]["decision_reason"] == "DECISION-REASON strong tests"
    assert rows[0]["decided_by"] == "rev@example.com"
    exported = client.get("/api/challenges/calculator/submissions.json", headers=team.b).json()
    assert exported[0]["decision"]["value"] == "advance"
    one = client.get(f"/api/submissions/{team.sub}", headers=team.b).json()
    assert one["reviews"]["decision"]["reason"] == "DECISION-REASON strong tests"
    listed = client.get("/api/submissions", headers=team.b).json()
    assert listed[0]["reviews"]["decision"]["value"] == "advance"


def test_rubric_score_and_recommendations_in_the_csv(client: TestClient, team: Team) -> None:
    _save(client, team, team.a, {**GOOD_A, "submit": True})
    hidden = client.get("/api/challenges/calculator/submissions.csv", headers=team.b).text
    row = next(csv.DictReader(io.StringIO(hidden)))
    assert (row["rubric_score"], row["yes"]) == ("", "")  # B has not reviewed yet
    _save(client, team, team.b, {**GOOD_B, "submit": True})
    text = client.get("/api/challenges/calculator/submissions.csv", headers=team.b).text
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["rubric_score"] == "58.3"
    assert (row["strong_yes"], row["yes"], row["no"], row["strong_no"]) == ("0", "1", "1", "0")
    assert float(row["score"]) > 0  # the automated score is untouched
    compare = client.get("/reviewer/challenges/calculator/compare", headers={**HTML, **team.a})
    assert "58.3" in compare.text
    assert "1 yes, 1 no" in compare.text


def test_a_candidate_sees_nothing_of_reviews_or_decisions(client: TestClient, team: Team) -> None:
    _save(client, team, team.a, {**GOOD_A, "submit": True})
    client.post(
        f"/api/submissions/{team.sub}/decision",
        json={"value": "reject", "reason": "DECISION-REASON-SECRET"},
        headers=team.a,
    )
    for path in (f"/i/{team.token}", f"/i/{team.token}/submissions/{team.sub}"):
        for headers in (HTML, {}):
            text = client.get(path, headers=headers).text
            _secrets_absent(text)
            assert "DECISION-REASON-SECRET" not in text
            assert 'decision-reject"' not in text
            assert '"reject"' not in text


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path, headers=HTML)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def test_the_review_pages_with_a_session_and_csrf(
    client: TestClient, svc: Services, team: Team
) -> None:
    token = _csrf(client, "/login")
    login = {"email": "bee@example.com", "password": "correct horse battery", "csrf_token": token}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    page = f"/reviewer/submissions/{team.sub}/review"
    csrf = _csrf(client, page)
    form = {"level.tests": "2", "note.tests": "ok", "summary": "s", "recommendation": "yes"}
    forged = client.post(page, data=form, headers=HTML, follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token
    assert _counts(svc) == (0, 0, 0)
    saved = client.post(
        page, data={**form, "csrf_token": csrf, "action": "save"}, follow_redirects=False
    )
    assert saved.status_code == 303
    comment = {"file": "calc/ops.py", "line": "2", "text": "look here", "csrf_token": csrf}
    added = client.post(f"{page}/comments", data=comment, follow_redirects=False)
    assert added.status_code == 303
    out_of_range = client.post(
        f"{page}/comments", data={**comment, "line": "500"}, headers=HTML, follow_redirects=False
    )
    assert out_of_range.status_code == 422
    early = client.post(
        page, data={**form, "csrf_token": csrf, "action": "submit"}, follow_redirects=False
    )
    assert early.status_code == 422  # notes has no level yet
    noted = client.post(
        page,
        data={**form, "note.notes": "kept?", "csrf_token": csrf, "action": "save"},
        headers=HTML,
        follow_redirects=False,
    )
    assert noted.status_code == 422  # a note without its level is refused, never dropped
    assert "pick a level" in noted.text
    done = client.post(
        page,
        data={**form, "level.notes": "2", "csrf_token": csrf, "action": "submit"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    mine = client.get(f"/api/submissions/{team.sub}/reviews/mine").json()
    assert mine["state"] == "submitted"
    assert mine["comments"] == [{"file": "calc/ops.py", "line": 2, "text": "look here"}]
    assert mine["levels"]["tests"] == {"score": 2, "note": "ok"}
    html = client.get(page, headers=HTML).text
    assert "look here" in html
    assert 'id="review-state">submitted' in html
    shown = re.search(r'name="comment" value="([0-9a-f]{16})"', html)
    assert shown
    removed = client.post(
        f"{page}/comments/delete",
        data={"comment": shown.group(1), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert client.get(f"/api/submissions/{team.sub}/reviews/mine").json()["comments"] == []
    decision = {"value": "advance", "reason": "good", "scope": "invite", "csrf_token": csrf}
    recorded = client.post(
        f"/reviewer/submissions/{team.sub}/decision", data=decision, follow_redirects=False
    )
    assert recorded.status_code == 303
    report = client.get(f"/reviewer/submissions/{team.sub}", headers=HTML).text
    assert "advance</span> on the invite by bee@example.com" in report
    calibration = client.get(f"/reviewer/submissions/{team.sub}/calibration", headers=HTML)
    assert calibration.status_code == 200


def test_the_json_export_lists_every_submission(client: TestClient, team: Team) -> None:
    rows = json.loads(
        client.get("/api/challenges/calculator/submissions.json", headers=team.a).text
    )
    assert [r["submission"] for r in rows] == [team.sub]
    assert rows[0]["candidate"] == "Ada Candidate"
    assert rows[0]["my_review"] == "none"
    assert rows[0]["decision"] is None


def test_a_challenge_can_fold_the_rubric_into_an_overall_score(
    tmp_path: Path, settings: Settings
) -> None:
    pack = tmp_path / "packs" / "calculator"
    shutil.copytree(CALCULATOR, pack)
    manifest = pack / "challenge.toml"
    text = manifest.read_text().replace("security = 15\n", "security = 15\nrubric = 50\n", 1)
    manifest.write_text(text)
    app = create_app(
        settings.model_copy(update={"challenge_dirs": [tmp_path / "packs"]}),
        pipeline_factory=fake_pipeline,
    )
    with TestClient(app) as client:
        svc: Services = app.state.services
        create_reviewer(svc.db, "rev@example.com", "correct horse battery")
        headers = {"Authorization": f"Bearer {create_api_token(svc.db, 'rev@example.com')}"}
        sub = client.post(
            "/api/submissions",
            files={"archive": ("a.tgz", reference_archive())},
            data={"challenge": "calculator"},
            headers=headers,
        ).json()["id"]
        grade_all(svc)
        body = {**GOOD_A, "submit": True}
        client.post(f"/api/submissions/{sub}/reviews", json=body, headers=headers)
        report = client.get(f"/api/submissions/{sub}/report", headers=headers).json()
        row = next(
            csv.DictReader(
                io.StringIO(
                    client.get("/api/challenges/calculator/submissions.csv", headers=headers).text
                )
            )
        )
    # The automated score is the report's, untouched; the rubric (83.3) weighs 50 against the
    # categories' 100.
    assert float(row["score"]) == report["score"]
    assert float(row["rubric_score"]) == 83.3
    expected = round((report["score"] * 100 + 83.3 * 50) / 150, 1)
    assert float(row["overall_with_rubric"]) == pytest.approx(expected, abs=0.1)


def _comment_ids(client: TestClient, team: Team) -> list[str]:
    page = client.get(f"/reviewer/submissions/{team.sub}/review", headers={**team.a, **HTML})
    return re.findall(r'name="comment" value="([0-9a-f]{16})"', page.text)


def _texts(client: TestClient, team: Team) -> list[str]:
    mine = client.get(f"/api/submissions/{team.sub}/reviews/mine", headers=team.a).json()
    return [comment["text"] for comment in mine["comments"]]


def test_a_stale_page_never_removes_another_comment(client: TestClient, team: Team) -> None:
    comments = [{"file": "calc/ops.py", "line": n, "text": f"comment {n}"} for n in (1, 2, 3)]
    assert _save(client, team, team.a, {"comments": comments}).status_code == 201
    stale = _comment_ids(client, team)  # the page as loaded, before any removal
    assert len(set(stale)) == 3
    assert _comment_ids(client, team) == stale  # stable across reads
    delete = f"/reviewer/submissions/{team.sub}/review/comments/delete"
    first = client.post(delete, data={"comment": stale[1]}, headers=team.a, follow_redirects=False)
    assert first.status_code == 303
    assert _texts(client, team) == ["comment 1", "comment 3"]
    # The same form again (a stale page, a double click): a clear 409, nothing else removed.
    again = client.post(delete, data={"comment": stale[1]}, headers=team.a)
    assert again.status_code == 409
    assert again.json()["error"] == "comment_gone"
    assert _texts(client, team) == ["comment 1", "comment 3"]
    on_page = client.post(
        delete, data={"comment": stale[1]}, headers={**team.a, **HTML}, follow_redirects=False
    )
    assert on_page.status_code == 409
    assert "reload the page" in on_page.text
    # The stale page's other forms still remove exactly the comment they show.
    last = client.post(delete, data={"comment": stale[2]}, headers=team.a, follow_redirects=False)
    assert last.status_code == 303
    assert _texts(client, team) == ["comment 1"]
    assert _comment_ids(client, team) == stale[:1]
    for bad in ("", "1", "\u00b2" * 16, "0" * 17):
        refused = client.post(delete, data={"comment": bad}, headers=team.a)
        assert refused.status_code == 422, bad
    assert _texts(client, team) == ["comment 1"]


def test_comments_stored_without_ids_get_stable_ones(
    client: TestClient, svc: Services, team: Team
) -> None:
    comments = [{"file": "calc/ops.py", "line": 2, "text": "same"}] * 2
    assert _save(client, team, team.a, {"comments": comments}).status_code == 201
    with svc.db.writing() as session:  # as stored before comments had ids
        review = session.scalars(select(Review)).one()
        body = json.loads(review.body)
        body["comments"] = [{k: v for k, v in c.items() if k != "id"} for c in body["comments"]]
        review.body = json.dumps(body)
    ids = _comment_ids(client, team)
    assert len(set(ids)) == 2
    assert _comment_ids(client, team) == ids
    delete = f"/reviewer/submissions/{team.sub}/review/comments/delete"
    removed = client.post(delete, data={"comment": ids[0]}, headers=team.a, follow_redirects=False)
    assert removed.status_code == 303
    assert _comment_ids(client, team) == ids[1:]  # the other one kept its id, now stored
    assert client.post(delete, data={"comment": ids[0]}, headers=team.a).status_code == 409
    assert _texts(client, team) == ["same"]
