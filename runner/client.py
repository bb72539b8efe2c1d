"""A small client of the service's JSON API, for scripts and `takehome submit`.

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
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from graders.model import Report
from runner.intake import Snapshot

__all__ = ["ApiClient", "ClientError", "WaitTimeout"]

_FINAL_STATES = frozenset({"done", "failed"})


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
        url = urlsplit(self.base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ClientError(f"not an http(s) URL: {self.base_url!r}")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = kind(url.hostname, url.port, timeout=self.timeout)
        try:
            connection.request(method, url.path.rstrip("/") + path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except OSError as exc:
            raise ClientError(f"cannot reach {self.base_url}: {exc}") from None
        finally:
            connection.close()
        if response.status >= 400:
            raise _error(response.status, response.reason, data)
        return json.loads(data or b"null")

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

    def wait(self, submission_id: str, timeout: float, poll: float = 1.0) -> dict[str, Any]:
        """Poll until the submission is `done` or `failed`; its summary. Raises `WaitTimeout`."""
        deadline = time.monotonic() + timeout
        while True:
            summary = self.submission(submission_id)
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
