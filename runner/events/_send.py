"""Sending one delivery: signed, to the checked address, with a timeout, no redirect followed.

The standard library's `http.client` is used (no new dependency), with the connection made to
the address `check_endpoint_url` checked (`Target.address`) while the request, the TLS server
name and the certificate check use the host name: a DNS answer that changes between the check
and the connection (rebinding) cannot send a delivery elsewhere, as Git intake pins its address
for git. `http.client` never follows a redirect: a 3xx is an attempt that failed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from runner.events._url import Target

__all__ = ["Answer", "post", "signature"]

_USER_AGENT = "takehome-events/1"
_READ_LIMIT = 64 * 1024  # of the answer's body: read (so the connection ends well), not kept


def signature(secret: str, body: bytes) -> str:
    """The `X-Takehome-Signature-256` header: `sha256=` and the hex HMAC-SHA256 of `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class Answer:
    """How one attempt went: the status code (None when no answer came) or the error."""

    status: int | None
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        """A 2xx answer: delivered."""
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def _exchange(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPS(target, timeout)
    else:
        connection = _PinnedHTTP(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(_READ_LIMIT)
        return response.status
    finally:
        connection.close()


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `target` with `headers` (and the content type and user agent); never
    raises for a network fault: it is the answer's error."""
    sent = {"Content-Type": "application/json", "User-Agent": _USER_AGENT, **headers}
    started = time.monotonic()
    try:
        status = _exchange(target, body, sent, timeout)
    except TimeoutError:
        return Answer(None, f"timed out after {timeout:g} s", _ms(started))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:1000], _ms(started))
    if 300 <= status < 400:
        return Answer(status, "a redirect: not followed", _ms(started))
    if not 200 <= status < 300:
        return Answer(status, f"answered {status}", _ms(started))
    return Answer(status, None, _ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000.0, 1)
