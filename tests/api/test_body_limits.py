"""One body limit per route, enforced before parsing (issue 15, H1; the read timeout of M2).

Each test replays an attack of the red-team run, bounded: a huge declared body, a chunked body
that never ends, a file part where a text field is expected, a thousand fields, a stalled body.
The streaming ones go over raw ASGI (`tests.asgi`) and count the chunks the app pulled."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from runner.settings import Settings
from tests.asgi import call
from tests.fakeservice import LIMIT, reference_archive, stored

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}
_KIB = 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"body_timeout_seconds": 0.5})


def _endless(size: int = 64 * _KIB, count: int = 3200) -> Iterator[bytes]:
    """Up to `count` chunks of `size` bytes (200 MiB by default): never sent whole."""
    return (b"a" * size for _ in range(count))


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/login", _FORM),
        ("/logout", _FORM),
        ("/reviewer/invites", _FORM),
        ("/reviewer/invites/x/bindings", _FORM),
        ("/i/some-token/bindings", _FORM),
        ("/i/some-token/start", _FORM),
        ("/api/invites", _JSON),
        ("/api/invites/x/bindings", _JSON),
    ],
)
def test_a_declared_gigabyte_is_refused_before_the_app_runs(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    declared = {**headers, "Content-Length": str(1 << 30)}
    response = client.post(path, content=b"x", headers=declared)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"  # the project's error body


@pytest.mark.parametrize(
    ("path", "headers", "limit"),
    [
        ("/login", _FORM, 16 * _KIB),
        ("/i/some-token/bindings", _FORM, 16 * _KIB),
        ("/api/invites", _JSON, 64 * _KIB),  # the 200 MiB JSON body of the finding
    ],
)
def test_a_chunked_body_is_cut_off_at_the_route_limit(
    app: FastAPI, path: str, headers: dict[str, str], limit: int
) -> None:
    answer = call(app, "POST", path, headers, _endless(_KIB, 200 * _KIB))
    assert answer.status == 413
    assert answer.json()["error"] == "too_large"
    assert answer.pulled == limit // _KIB + 1  # not one chunk more than the limit


def test_a_file_part_where_text_is_expected_is_refused_unread(app: FastAPI) -> None:
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="email"; filename="big.bin"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    chunks = iter([head, *(b"z" * _KIB for _ in range(12))])  # 12 KiB of file, under the limit
    multipart = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    answer = call(app, "POST", "/login", multipart, chunks)
    assert answer.status == 400
    assert "files" in answer.json()["detail"].lower()
    assert answer.pulled == 1  # refused at the part's headers: the file was never read


def test_too_many_fields_are_refused(client: TestClient) -> None:
    crowded = "&".join(f"f{i}=1" for i in range(1000))  # 1000 fields, a few KiB
    response = client.post("/login", content=crowded, headers=_FORM)
    assert response.status_code == 400
    assert "fields" in response.json()["detail"].lower()


def test_a_csrf_checked_form_refuses_too_many_fields(client: TestClient) -> None:
    crowded = "&".join(f"f{i}=1" for i in range(100))
    response = client.post("/logout", content=crowded, headers=_FORM)
    assert (response.status_code, response.json()["error"]) == (400, "malformed_form")


def test_a_stalled_body_gets_408_and_nothing_is_stored(
    app: FastAPI, make_invite: Callable[..., str]
) -> None:
    token = make_invite()
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    half = [b'--x\r\nContent-Disposition: form-data; name="archive"; filename="a.zip"\r\n\r\n']
    answer = call(app, "POST", f"/i/{token}/submissions", multipart, half, stall=30)
    assert answer.status == 408
    assert answer.json()["error"] == "body_timeout"
    assert stored(app.state.services) == (0, 0, 0)


def test_uploads_keep_their_own_larger_limit(
    client: TestClient, app: FastAPI, make_invite: Callable[..., str]
) -> None:
    token = make_invite()
    padding = {"note": "p" * (100 * _KIB)}  # past the form and JSON limits, under LIMIT
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    response = client.post(f"/i/{token}/submissions", files=files, data=padding)
    assert response.status_code == 202, response.text
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    answer = call(app, "POST", f"/i/{token}/submissions", multipart, _endless())
    assert answer.status == 413
    assert answer.pulled <= LIMIT // (64 * _KIB) + 2  # the upload limit plus its framing


def test_webhooks_keep_webhook_max_bytes(client: TestClient, settings: Settings) -> None:
    body = b"{" + b" " * (100 * _KIB) + b"}"  # past the JSON limit, under webhook_max_bytes
    response = client.post("/webhooks/github/nope", content=body, headers=_JSON)
    assert response.status_code != 413
    declared = {**_JSON, "Content-Length": str(settings.webhook_max_bytes + 1)}
    refused = client.post("/webhooks/github/nope", content=b"{}", headers=declared)
    assert (refused.status_code, refused.json()["error"]) == (413, "too_large")


def test_a_small_form_reaches_the_route_as_before(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    wrong = client.post("/login", data={"email": "a@b.c", "password": "x"})
    assert wrong.status_code == 403  # no CSRF token: refused after parsing, as before
    assert wrong.json()["error"] == "csrf"
