"""The events API and page against a real receiver on loopback: the graded and decided events
of a real submission (fake sandbox), what a delivery carries and never carries, the delivery
log, Redeliver, and the precise 4xx of every refusal."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.services import Services
from runner.settings import Settings
from tests.eventreceiver import Receiver, receiving
from tests.fakeservice import SECRET_MESSAGE, grade_all, reference_archive

SECRET = "api-receiver-secret-0123456789"
_HTML = {"Accept": "text/html"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The service's test settings (tests/fakeservice.py) with loopback HTTP endpoints allowed."""
    return settings.model_copy(
        update={
            "events_allow_http": True,
            "git_allow_loopback": True,
            "events_backoff_seconds": 0,
            "events_poll_seconds": 3600,  # the app's own dispatcher thread runs once, at start
        }
    )


def _add(client: TestClient, headers: dict[str, str], url: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/events/endpoints", json={"url": url, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _graded_submission(client: TestClient, svc: Services, make_invite: Callable[..., str]) -> str:
    token = make_invite(who="Grace Hopper")
    response = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
    )
    assert response.status_code == 202, response.text
    grade_all(svc)
    submission: str = response.json()["id"]
    return submission


def test_graded_and_decided_reach_the_receiver_signed(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        made = _add(
            client,
            reviewer_headers,
            receiver.url,
            events=["submission.graded", "submission.decided"],
            secret=SECRET,
        )
        assert made["secret"] == SECRET
        listed = client.get("/api/events/endpoints", headers=reviewer_headers).json()
        assert listed == {"endpoints": [{k: v for k, v in made.items() if k != "secret"}]}
        sub = _graded_submission(client, svc, make_invite)
        decision = client.post(
            f"/api/submissions/{sub}/decision",
            json={"value": "advance", "reason": "solid work"},
            headers=reviewer_headers,
        )
        assert decision.status_code == 201, decision.text
        assert svc.event_dispatcher.run_once() == 2
    assert [r.verified for r in receiver.received] == [True, True]
    bodies = {json.loads(r.body)["event"]: json.loads(r.body) for r in receiver.received}
    graded = bodies["submission.graded"]["data"]
    assert graded["submission_id"] == sub
    assert graded["challenge_id"] == "calculator"
    assert 0 <= graded["score"] <= 100
    assert set(graded["categories"]) >= {"tests"}
    decided = bodies["submission.decided"]["data"]
    assert (decided["value"], decided["reason"], decided["scope"]) == (
        "advance",
        "solid work",
        "submission",
    )
    assert decided["invite_id"] == graded["invite_id"]
    for got in receiver.received:
        text = got.body.decode()
        assert "Grace" not in text
        assert SECRET_MESSAGE.split()[0] not in text
        assert "test_expression" not in text  # no hidden test's name
    log = client.get("/api/events/deliveries", headers=reviewer_headers).json()["deliveries"]
    assert {d["state"] for d in log} == {"delivered"}
    assert all(d["log"][0]["status_code"] == 200 for d in log)


def test_redeliver_from_the_api_and_the_page(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    with receiving(Receiver(SECRET, statuses=[500, 200, 200])) as receiver:
        made = _add(
            client, reviewer_headers, receiver.url, events=["submission.graded"], secret=SECRET
        )
        _graded_submission(client, svc, make_invite)
        assert svc.event_dispatcher.run_once() == 0  # answered 500: retried later
        [entry] = client.get(
            "/api/events/deliveries", params={"endpoint": made["id"]}, headers=reviewer_headers
        ).json()["deliveries"]
        assert (entry["state"], entry["last_status"]) == ("pending", 500)
        answer = client.post(
            f"/api/events/deliveries/{entry['id']}/redeliver", headers=reviewer_headers
        ).json()
        assert answer["delivered"] is True
        assert answer["status_code"] == 200
        page = client.get("/reviewer/events", headers={**reviewer_headers, **_HTML})
        assert page.status_code == 200
        assert receiver.url in page.text
        assert SECRET not in page.text
        assert f'action="/reviewer/events/deliveries/{entry["id"]}/redeliver"' in page.text
        assert page.text.count('name="csrf_token"') >= 3
        again = client.post(
            f"/reviewer/events/deliveries/{entry['id']}/redeliver",
            headers={**reviewer_headers, **_HTML},
        )
        assert again.status_code == 200
        assert "redelivered: 200" in again.text
        assert "script" not in again.text.lower()
    assert len(receiver.received) == 3
    assert len({r.body for r in receiver.received}) == 1


def test_the_form_shows_the_secret_once(
    client: TestClient, reviewer_headers: dict[str, str]
) -> None:
    response = client.post(
        "/reviewer/events/endpoints",
        data={"url": "http://127.0.0.1:9/hook", "events": ["invite.started"]},
        headers={**reviewer_headers, **_HTML},
    )
    assert response.status_code == 201, response.text
    assert 'id="endpoint-secret"' in response.text
    page = client.get("/reviewer/events", headers={**reviewer_headers, **_HTML})
    assert "http://127.0.0.1:9/hook" in page.text
    secret = response.text.split('id="endpoint-secret">')[1].split("<")[0]
    assert len(secret) >= 32
    assert secret not in page.text


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "http://10.0.0.1/hook"}, 403, "address_refused"),
        ({"url": "http://169.254.169.254/latest"}, 403, "address_refused"),
        ({"url": "ftp://127.0.0.1/hook"}, 400, "url_refused"),
        ({"url": "http://127.0.0.1:1/", "events": ["nope"]}, 400, "invalid_endpoint"),
        ({"url": "http://127.0.0.1:1/", "events": []}, 400, "invalid_endpoint"),
        ({"url": "http://127.0.0.1:1/", "secret": "short"}, 400, "invalid_endpoint"),
    ],
)
def test_refused_endpoints_get_a_precise_4xx(
    client: TestClient,
    reviewer_headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response = client.post("/api/events/endpoints", json=body, headers=reviewer_headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert client.get("/api/events/endpoints", headers=reviewer_headers).json() == {
        "endpoints": []
    }


def test_unknown_ids_are_404_and_removal_works(
    client: TestClient, reviewer_headers: dict[str, str]
) -> None:
    made = _add(client, reviewer_headers, "http://127.0.0.1:9/hook")
    assert made["events"] == ["submission.graded", "submission.decided", "invite.started"]
    for method, path in [
        ("POST", "/api/events/deliveries/nope/redeliver"),
        ("GET", "/api/events/deliveries?endpoint=nope"),
        ("DELETE", "/api/events/endpoints/nope"),
    ]:
        response = client.request(method, path, headers=reviewer_headers)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"] == "not_found"
    removed = client.delete(f"/api/events/endpoints/{made['id']}", headers=reviewer_headers)
    assert removed.status_code == 204
    assert client.get("/api/events/endpoints", headers=reviewer_headers).json() == {
        "endpoints": []
    }


def test_the_candidate_pressing_start_sends_invite_started(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        _add(client, reviewer_headers, receiver.url, events=["invite.started"], secret=SECRET)
        body = {"challenge": "calculator", "candidate": "Ada", "time_limit_hours": 2}
        made = client.post("/api/invites", json=body, headers=reviewer_headers).json()
        token = made["link"].rsplit("/", 1)[1]
        page = client.get(f"/i/{token}", headers=_HTML).text
        match = re.search(
            r'id="start-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
        )
        assert match is not None
        for _ in range(2):  # a double click starts the clock once, and sends one event
            pressed = client.post(
                f"/i/{token}/start",
                data={"csrf_token": match.group(1)},
                headers=_HTML,
                follow_redirects=False,
            )
            assert pressed.status_code == 303
        assert svc.event_dispatcher.run_once() == 1
    [got] = receiver.received
    assert got.verified
    data = json.loads(got.body)["data"]
    assert (data["invite_id"], data["time_limit_hours"]) == (made["id"], 2)
    assert token not in got.body.decode()
