"""Candidate intake: the happy path, and every bad input refused precisely with nothing stored."""

from __future__ import annotations

import asyncio
import io
import tarfile
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message

from api.services import Services
from tests.fakeservice import (
    LIMIT,
    grade_all,
    reference_archive,
    stored,
    tar_gz,
    zip_bytes,
)


def _upload(client: TestClient, token: str, data: bytes, name: str = "repo.tar.gz") -> Any:
    return client.post(f"/i/{token}/submissions", files={"archive": (name, data)})


def test_upload_is_stored_queued_and_graded(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    token = make_invite()
    response = _upload(client, token, reference_archive())
    assert response.status_code == 202
    location = response.headers["location"]
    assert location == response.json()["status_url"]
    assert location.startswith(f"/i/{token}/submissions/")
    assert stored(svc) == (1, 1, 1)
    assert client.get(location).json()["state"] == "queued"
    assert len(grade_all(svc)) == 1
    status = client.get(location).json()
    assert status["state"] == "done"
    assert status["score"] >= 0


def test_browser_upload_redirects_to_the_status_page(
    client: TestClient, make_invite: Callable[..., str]
) -> None:
    token = make_invite()
    response = client.post(
        f"/i/{token}/submissions",
        files={"archive": ("repo.zip", zip_bytes({"calc/__init__.py": b"x = 1\n"}))},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"], headers={"Accept": "text/html"})
    assert "queued" in page.text
    assert 'http-equiv="refresh"' in page.text


def _traversal() -> bytes:
    return tar_gz({"../evil.py": b"print('x')\n"})


def _symlink() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        pytest.param(b"\x00" * (LIMIT + 70_000), 413, "too_large", id="oversized"),
        pytest.param(b"this is not an archive" * 40, 415, "bad_archive", id="malformed"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 64, 415, "bad_archive", id="corrupt-zip"),
        pytest.param(_traversal(), 400, "path_traversal", id="traversal"),
        pytest.param(_symlink(), 400, "link", id="symlink"),
        pytest.param(b"", 400, "empty", id="empty"),
    ],
)
def test_bad_archives_are_refused_and_nothing_isstored(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    *,
    data: bytes,
    status: int,
    code: str,
) -> None:
    response = _upload(client, make_invite(), data)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert stored(svc) == (0, 0, 0)


def test_oversized_stream_without_length_stops_at_the_limit(
    app: FastAPI, svc: Services, make_invite: Callable[..., str]
) -> None:
    """Straight over ASGI (the test client buffers bodies): chunks are read until the limit."""
    head = b'--b\r\nContent-Disposition: form-data; name="archive"; filename="a.tgz"\r\n\r\n'
    chunks = [head] + [b"\x00" * 65536] * 200  # 12.5 MiB offered, no Content-Length
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        read += 1
        more = read < len(chunks)
        return {"type": "http.request", "body": chunks[read - 1], "more_body": more}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/i/{make_invite()}/submissions",
        "raw_path": b"",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b"), (b"host", b"t")],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert read <= LIMIT // 65536 + 3  # stopped right after the limit, not at 200 chunks
    assert stored(svc) == (0, 0, 0)


def test_wrong_content_type(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    response = client.post(f"/i/{make_invite()}/submissions", json={"archive": "x"})
    assert response.status_code == 415
    assert response.json()["error"] == "wrong_content_type"
    assert stored(svc) == (0, 0, 0)


def test_missing_file_field(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    response = client.post(
        f"/i/{make_invite()}/submissions", data={"other": "x"}, files={"wrong": ("a", b"a")}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "missing_file"
    assert stored(svc) == (0, 0, 0)


def test_unknown_challenge(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    response = _upload(client, make_invite(challenge="no-such-challenge"), reference_archive())
    assert response.status_code == 404
    assert stored(svc) == (0, 0, 0)


def test_unknown_invite(client: TestClient, svc: Services) -> None:
    response = _upload(client, "not-a-token", reference_archive())
    assert response.status_code == 404
    assert stored(svc) == (0, 0, 0)


def test_expired_invite(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    token = make_invite(days=-1)
    response = _upload(client, token, reference_archive())
    assert response.status_code == 410
    assert response.json()["error"] == "invite_expired"
    assert stored(svc) == (0, 0, 0)
    assert "expired" in client.get(f"/i/{token}", headers={"Accept": "text/html"}).text


def test_submission_limit(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    token = make_invite(max_submissions=1)
    assert _upload(client, token, reference_archive()).status_code == 202
    second = _upload(client, token, tar_gz({"other.py": b"y = 2\n"}))
    assert second.status_code == 409
    assert second.json()["error"] == "limit_reached"
    assert stored(svc) == (1, 1, 1)


def test_error_pages_for_browsers_are_html(
    client: TestClient, make_invite: Callable[..., str]
) -> None:
    response = client.post(
        f"/i/{make_invite()}/submissions",
        files={"archive": ("x.zip", b"garbage" * 10)},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 415
    assert "text/html" in response.headers["content-type"]
    assert "not a readable" in response.text


def test_invite_page_renders_the_brief_safely(
    client: TestClient, make_invite: Callable[..., str]
) -> None:
    page = client.get(f"/i/{make_invite()}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<h1>" in page.text
    assert "at most 256 KiB" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'enctype="multipart/form-data"' in page.text
