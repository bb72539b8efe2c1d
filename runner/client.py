"""A small client of the service's JSON API, for scripts and `takehome submit`.

`ApiClient` speaks for a reviewer (an API token); `InviteClient` for a candidate, with nothing
but their invite (`takehome submit PATH --invite TOKEN_OR_LINK`): it submits through the
candidate's routes and reads back only what the candidate's status page shows.

It uses only the standard library (`urllib`), so a CI job can submit with nothing but takehome
installed. The archive sent is the same canonical snapshot the service would take (the local
intake runs first, with the same limits), so a submission the service would refuse for its shape
is refused here before anything is sent.

Exception tree::

    ClientError                 the service refused the request, or could not be reached
    └── WaitTimeout             the submission was not graded within the time given
"""

from __future__ import annotations

import http.client
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from graders.model import Report
from runner.intake import Snapshot

__all__ = ["EXPORTS", "ApiClient", "ClientError", "InviteClient", "WaitTimeout", "parse_invite"]

_FINAL_STATES = frozenset({"done", "failed"})
#: The report's export routes (`GET /api/submissions/{id}/<name>`), for `ApiClient.export`.
EXPORTS = ("report.junit.xml", "report.sarif", "report.gradescope.json")


class ClientError(Exception):
    """The service answered with an error (status and its JSON `error` code), or is unreachable."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class WaitTimeout(ClientError):
    """The submission did not reach a final state in time."""


def _multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = f"takehome-{secrets.token_hex(16)}"
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="archive";'
            f' filename="{filename}"\r\nContent-Type: application/x-tar\r\n\r\n'
        ).encode()
    )
    parts.append(data + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class ApiClient:
    """The JSON API at `base_url` (e.g. `http://127.0.0.1:8000`) with a reviewer API token."""

    base_url: str
    token: str
    timeout: float = 30.0

    def _request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Any:
        auth = {"Authorization": f"Bearer {self.token}"}
        return _call(self.base_url, self.timeout, (method, path, body, content_type), auth)

    def submit(self, snapshot: Snapshot, challenge: str, filename: str = "submission.tar") -> str:
        """Send `snapshot` for `challenge`; returns the new submission's id."""
        safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
        body, content_type = _multipart({"challenge": challenge}, safe_name, snapshot.to_tar())
        answer = self._request("POST", "/api/submissions", body, content_type)
        return str(answer["id"])

    def submission(self, submission_id: str) -> dict[str, Any]:
        """The submission's summary: state, attempts, error, score."""
        found: dict[str, Any] = self._request("GET", f"/api/submissions/{submission_id}")
        return found

    def report(self, submission_id: str) -> Report:
        """The submission's current report."""
        data = self._request("GET", f"/api/submissions/{submission_id}/report")
        return Report.from_stored(data)

    def export(self, submission_id: str, name: str) -> bytes:
        """The bytes of one of the report's export routes, as the service renders them: `name`
        is `report.junit.xml`, `report.sarif` or `report.gradescope.json`."""
        if name not in EXPORTS:
            raise ClientError(f"no export {name!r}: one of {', '.join(EXPORTS)}")
        auth = {"Authorization": f"Bearer {self.token}"}
        request = ("GET", f"/api/submissions/{submission_id}/{name}", None, "")
        return _send(self.base_url, self.timeout, request, auth)

    def wait(self, submission_id: str, timeout: float, poll: float = 1.0) -> dict[str, Any]:
        """Poll until the submission is `done` or `failed`; its summary. Raises `WaitTimeout`."""
        return _wait(self.submission, submission_id, timeout, poll)


def parse_invite(token_or_link: str, default_base: str) -> tuple[str, str]:
    """(service URL, invite token) from an invite link (`https://host/i/<token>`, trailing
    parts allowed) or a bare token (then the service is `default_base`)."""
    text = token_or_link.strip()
    if "/i/" in text:
        base, _, rest = text.partition("/i/")
        token = rest.split("/", 1)[0].split("?", 1)[0]
    else:
        base, token = default_base, text
    if not token or not all(c.isalnum() or c in "-_" for c in token):
        raise ClientError(f"not an invite token or link: {token_or_link!r}")
    return base.rstrip("/"), token


@dataclass(frozen=True)
class InviteClient:
    """The candidate's routes at `base_url` with an invite token: no reviewer credential."""

    base_url: str
    token: str
    timeout: float = 30.0

    def _request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Any:
        full = f"/i/{self.token}{path}"
        return _call(self.base_url, self.timeout, (method, full, body, content_type), {})

    def submit(self, snapshot: Snapshot, filename: str = "submission.tar") -> str:
        """Send `snapshot` through the invite; returns the new submission's id."""
        safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
        body, content_type = _multipart({}, safe_name, snapshot.to_tar())
        answer = self._request("POST", "/submissions", body, content_type)
        return str(answer["id"])

    def submission(self, submission_id: str) -> dict[str, Any]:
        """What the candidate's status page shows (the challenge's feedback policy applies)."""
        found: dict[str, Any] = self._request("GET", f"/submissions/{submission_id}")
        return found

    def wait(self, submission_id: str, timeout: float, poll: float = 1.0) -> dict[str, Any]:
        """Poll until the submission is `done` or `failed`; its status. Raises `WaitTimeout`."""
        return _wait(self.submission, submission_id, timeout, poll)


def _call(
    base_url: str,
    timeout: float,
    request: tuple[str, str, bytes | None, str],
    extra: dict[str, str],
) -> Any:
    """Send (method, path, body, content type) with the `extra` headers; the JSON answer."""
    return json.loads(_send(base_url, timeout, request, extra) or b"null")


def _send(
    base_url: str,
    timeout: float,
    request: tuple[str, str, bytes | None, str],
    extra: dict[str, str],
) -> bytes:
    """Send (method, path, body, content type) with the `extra` headers; the answer's body.
    Raises `ClientError` for an error status (with the JSON error's code) or no answer."""
    method, path, body, content_type = request
    url = urlsplit(base_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ClientError(f"not an http(s) URL: {base_url!r}")
    headers = {**extra, "Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname, url.port, timeout=timeout)
    try:
        connection.request(method, url.path.rstrip("/") + path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    except OSError as exc:
        raise ClientError(f"cannot reach {base_url}: {exc}") from None
    finally:
        connection.close()
    if response.status >= 400:
        raise _error(response.status, response.reason, data)
    return data


def _wait(
    status: Callable[[str], dict[str, Any]], submission_id: str, timeout: float, poll: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        summary = status(submission_id)
        if summary.get("state") in _FINAL_STATES:
            return summary
        if time.monotonic() >= deadline:
            state = summary.get("state")
            raise WaitTimeout(f"submission {submission_id} still {state} after {timeout:g} s")
        time.sleep(poll)


def _error(status: int, reason: str, data: bytes) -> ClientError:
    try:
        body = json.loads(data or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("error", ""))
    detail = str(body.get("detail", reason))
    return ClientError(
        f"HTTP {status} {code}: {detail}" if code else f"HTTP {status}: {detail}", status, code
    )
