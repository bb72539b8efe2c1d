"""The changes view joined with reviews: line comments from the changes page (independence
kept), introduced/inherited counts on the report, the invite-wide decision on the invite page.

The submission is `changed_calculator()` with the constructed `changed_report()` of
tests/fakeservice.py (findings on a changed line and on starter lines); reviewers A
(rev@example.com, bearer token) and B (bee@example.com, a browser session with CSRF).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.change_views import line_anchor
from api.services import Services
from runner.store import Decision, Invite, Review, Run
from runner.store.records import create_reviewer
from tests.fakeservice import (
    CALC_INIT,
    MEAN_LINE,
    MUL_LINE,
    changed_calculator,
    changed_report,
    complete_run,
    tar_gz,
)

HTML = {"Accept": "text/html"}
A_COMMENT = "A-LINE-COMMENT: eval on candidate input"
B_COMMENT = "B-LINE-COMMENT: strip then eval"


@dataclass(frozen=True)
class Graded:
    sub: str
    invite_id: str
    eval_line: int


@pytest.fixture
def graded(client: TestClient, svc: Services, make_invite: Callable[..., str]) -> Graded:
    files, eval_line = changed_calculator()
    token = make_invite(who="Ada Candidate")
    response = client.post(f"/i/{token}/submissions", files={"archive": ("a.tgz", tar_gz(files))})
    assert response.status_code == 202, response.text
    sub = response.json()["id"]
    with svc.db.reading() as session:
        run_id = session.scalar(select(Run.id).where(Run.submission_id == sub))
        invite_id = session.scalar(select(Invite.id))
    assert run_id is not None
    assert invite_id is not None
    complete_run(svc, run_id, changed_report(eval_line))
    return Graded(sub, invite_id, eval_line)


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path, headers=HTML)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


@pytest.fixture
def bee(client: TestClient, svc: Services) -> TestClient:
    """`client` logged in as reviewer B with a session cookie."""
    create_reviewer(svc.db, "bee@example.com", "correct horse battery")
    token = _csrf(client, "/login")
    login = {"email": "bee@example.com", "password": "correct horse battery", "csrf_token": token}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    return client


def _changes(graded: Graded, **query: str | int) -> str:
    base = f"/reviewer/submissions/{graded.sub}/changes"
    return f"{base}?{urlencode(query)}" if query else base


def _reviews(svc: Services) -> int:
    with svc.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Review)) or 0


def _comment_row(html: str, anchor: str) -> str:
    """The diff row with id `anchor` and the rows under it, up to the next numbered line."""
    start = html.index(f'id="{anchor}"')
    ends = (
        html.find('<tr class="context" id="line-', start + 1),
        html.find('<tr class="added" id="line-', start + 1),
        html.find("</table>", start),
    )
    return html[start : min(i for i in ends if i > 0)]


def test_a_line_comment_from_the_changes_page(
    bee: TestClient, svc: Services, graded: Graded
) -> None:
    page = bee.get(_changes(graded), headers=HTML)
    assert page.status_code == 200
    anchor = line_anchor(CALC_INIT, graded.eval_line)
    link = f"comment_file={CALC_INIT.replace('/', '%2F')}&amp;comment_line={graded.eval_line}"
    assert link in page.text  # every submission line's number opens the form under it
    assert 'id="line-comment-form"' not in page.text
    query: dict[str, str | int] = {"file": CALC_INIT, "page": 1, "comment_file": CALC_INIT}
    opened = bee.get(_changes(graded, **query, comment_line=graded.eval_line), headers=HTML)
    row = _comment_row(opened.text, anchor)
    assert 'id="line-comment-form"' in row
    assert f'name="line" value="{graded.eval_line}"' in row
    csrf = _csrf(bee, _changes(graded))
    form = {
        "file": CALC_INIT,
        "line": str(graded.eval_line),
        "text": B_COMMENT,
        "return_to": "changes",
        "return_file": CALC_INIT,
        "return_page": "1",
    }
    target = f"/reviewer/submissions/{graded.sub}/review/comments"
    forged = bee.post(target, data=form, headers=HTML, follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token
    assert _reviews(svc) == 0
    added = bee.post(target, data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert added.status_code == 303
    expected = _changes(graded, file=CALC_INIT, page=1) + f"#{anchor}"
    assert added.headers["location"] == expected
    shown = bee.get(expected.partition("#")[0], headers=HTML).text
    row = _comment_row(shown, anchor)
    assert B_COMMENT in row
    assert "bee@example.com" in row
    mine = bee.get(f"/api/submissions/{graded.sub}/reviews/mine").json()
    assert mine["state"] == "draft"
    assert mine["comments"] == [{"file": CALC_INIT, "line": graded.eval_line, "text": B_COMMENT}]
    comment = re.search(r'name="comment" value="([0-9a-f]{16})"', row)
    assert comment
    form = {"comment": comment.group(1), "csrf_token": csrf}
    removed = bee.post(
        f"{target}/delete",
        data={**form, "return_to": "changes", "return_page": "1"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert removed.headers["location"] == _changes(graded) + f"#{anchor}"
    assert B_COMMENT not in bee.get(_changes(graded), headers=HTML).text


def test_the_comment_forms_only_return_to_this_service(
    bee: TestClient, svc: Services, graded: Graded
) -> None:
    csrf = _csrf(bee, _changes(graded))
    form = {
        "file": CALC_INIT,
        "line": "1",
        "text": "hm",
        "csrf_token": csrf,
        "return_to": "changes",
        "return_file": "//evil.example/x",
        "return_page": "https://evil.example",
    }
    target = f"/reviewer/submissions/{graded.sub}/review/comments"
    added = bee.post(target, data=form, follow_redirects=False)
    location = added.headers["location"]
    assert location.startswith(f"/reviewer/submissions/{graded.sub}/changes?file=%2F%2Fevil")
    assert "page=1#" in location  # a page that is not a number falls back to the first
    beyond = bee.post(target, data={**form, "line": "500"}, headers=HTML, follow_redirects=False)
    assert beyond.status_code == 422  # a line the file does not have: nothing stored
    # Digits `str.isdigit` accepts and `int()` refuses, and a number past int()'s digit limit.
    for line in ("\u00b2", "\u0663", "1" * 5000):
        odd = bee.post(target, data={**form, "line": line}, headers=HTML, follow_redirects=False)
        assert odd.status_code == 422, line[:5]
    odd_page = bee.post(
        target, data={**form, "return_page": "\u00b2"}, headers=HTML, follow_redirects=False
    )
    assert odd_page.status_code == 303
    assert "page=1#" in odd_page.headers["location"]
    delete = bee.post(
        f"{target}/delete", data={"comment": "\u00b2", "csrf_token": csrf}, follow_redirects=False
    )
    assert delete.status_code == 422
    comments = bee.get(f"/api/submissions/{graded.sub}/reviews/mine").json()["comments"]
    assert [c["line"] for c in comments] == [1, 1]
    del svc


def _a_submits(client: TestClient, graded: Graded, headers: dict[str, str]) -> None:
    review = {
        "levels": {"tests": {"score": 3}, "notes": {"score": 1}},
        "comments": [{"file": CALC_INIT, "line": graded.eval_line, "text": A_COMMENT}],
        "summary": "A summary",
        "recommendation": "yes",
        "submit": True,
    }
    saved = client.post(f"/api/submissions/{graded.sub}/reviews", json=review, headers=headers)
    assert saved.status_code == 201, saved.text


def test_others_comments_show_in_the_changes_view_only_after_submitting(
    reviewer_headers: dict[str, str], bee: TestClient, graded: Graded
) -> None:
    _a_submits(bee, graded, reviewer_headers)
    anchor = line_anchor(CALC_INIT, graded.eval_line)
    before = bee.get(_changes(graded), headers=HTML).text
    assert A_COMMENT not in before
    assert "rev@example.com" not in before
    assert 'id="others-comments-hidden"' in before
    single = bee.get(_changes(graded, file=CALC_INIT, page=1), headers=HTML).text
    assert A_COMMENT not in single
    own = {"file": CALC_INIT, "line": str(graded.eval_line), "text": B_COMMENT}
    csrf = _csrf(bee, _changes(graded))
    target = f"/reviewer/submissions/{graded.sub}/review/comments"
    assert bee.post(target, data={**own, "csrf_token": csrf}).status_code == 200
    draft = bee.get(_changes(graded), headers=HTML).text
    assert B_COMMENT in _comment_row(draft, anchor)  # one's own draft comment shows
    assert A_COMMENT not in draft
    form = {
        "level.tests": "1",
        "level.notes": "2",
        "recommendation": "no",
        "action": "submit",
        "csrf_token": csrf,
    }
    submitted = bee.post(f"/reviewer/submissions/{graded.sub}/review", data=form)
    assert submitted.status_code == 200
    after = bee.get(_changes(graded), headers=HTML).text
    row = _comment_row(after, anchor)
    assert A_COMMENT in row
    assert "rev@example.com" in row
    assert B_COMMENT in row
    assert 'id="others-comments-hidden"' not in after


def test_the_report_counts_introduced_and_inherited_findings(
    client: TestClient, reviewer_headers: dict[str, str], graded: Graded
) -> None:
    page = client.get(f"/reviewer/submissions/{graded.sub}", headers=reviewer_headers).text
    cells = dict(re.findall(r'<td class="origins" id="origins-(\w+)">([^<]*)</td>', page))
    assert cells == {
        "security": "1 introduced, 0 inherited",
        "style": "0 introduced, 1 inherited",
        "coverage": "0 introduced, 1 inherited",
        "tests": "0 introduced, 0 inherited",
        "complexity": "0 introduced, 0 inherited",
    }
    body = client.get(f"/api/submissions/{graded.sub}", headers=reviewer_headers).json()
    origins = body["finding_origins"]
    assert (origins["security"]["introduced"], origins["security"]["inherited"]) == (1, 0)
    assert (origins["style"]["introduced"], origins["style"]["inherited"]) == (0, 1)
    assert (origins["coverage"]["introduced"], origins["coverage"]["inherited"]) == (0, 1)
    assert sum(origins["tests"].values()) == 0
    changes = client.get(f"/api/submissions/{graded.sub}/changes", headers=reviewer_headers)
    assert {k: v for k, v in origins.items() if sum(v.values())} == changes.json()["categories"]
    report = client.get(f"/api/submissions/{graded.sub}/report", headers=reviewer_headers)
    stored = json.loads(report.text)
    assert "finding_origins" not in stored  # counted beside the report, not stored in it
    assert "introduced" not in report.text
    placed = {(f["rule"], f["line"]) for f in changes.json()["findings"]}
    assert placed == {
        ("B307", graded.eval_line),
        ("ANN001", MUL_LINE),
        ("low-coverage", MEAN_LINE),
    }


def test_an_ungraded_submission_has_no_counts(
    client: TestClient, reviewer_headers: dict[str, str], make_invite: Callable[..., str]
) -> None:
    files, _line = changed_calculator()
    token = make_invite()
    sub = client.post(f"/i/{token}/submissions", files={"archive": ("a.tgz", tar_gz(files))})
    body = client.get(f"/api/submissions/{sub.json()['id']}", headers=reviewer_headers).json()
    assert body["state"] == "queued"
    assert body["finding_origins"] is None


def _decisions(svc: Services) -> int:
    with svc.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Decision)) or 0


def test_the_invite_decision_on_the_invite_page(
    bee: TestClient, svc: Services, graded: Graded
) -> None:
    page = f"/reviewer/invites/{graded.invite_id}"
    before = bee.get(page, headers=HTML).text
    assert "No decision on the invite as a whole yet." in before
    assert 'id="invite-decision-form"' in before
    csrf = _csrf(bee, page)
    target = f"{page}/decision"
    decision = {"value": "hold", "reason": "INVITE-REASON: second interview first"}
    forged = bee.post(target, data=decision, headers=HTML, follow_redirects=False)
    assert forged.status_code == 403
    bad = {**decision, "value": "maybe", "csrf_token": csrf}
    refused = bee.post(target, data=bad, headers=HTML, follow_redirects=False)
    assert refused.status_code == 422
    assert _decisions(svc) == 0
    recorded = bee.post(target, data={**decision, "csrf_token": csrf}, follow_redirects=False)
    assert recorded.status_code == 303
    assert recorded.headers["location"] == page
    shown = bee.get(page, headers=HTML).text
    assert 'decision-hold">hold</span> by bee@example.com' in shown
    assert "INVITE-REASON" in shown
    summary = bee.get(f"/api/submissions/{graded.sub}").json()["reviews"]["decision"]
    assert (summary["value"], summary["scope"]) == ("hold", "invite")
    unknown = bee.post(
        "/reviewer/invites/no-such-invite/decision",
        data={**decision, "csrf_token": csrf},
        headers=HTML,
        follow_redirects=False,
    )
    assert unknown.status_code == 404
    assert _decisions(svc) == 1
