"""Sending one delivery: signed, to the checked address, with a timeout, no redirect followed.

The standard library's `http.client` is used (no new dependency), with the connection made to
the address `check_endpoint_url` checked (`Target.address`) while the request, the TLS server
name and the certificate check use the host name: a DNS answer that changes between the check
and the connection (rebinding) cannot send a delivery elsewhere, as Git intake pins its address
for git. `http.client` never follows a redirect: a 3xx is an attempt that failed. The timeout
bounds the connection and each read; a whole attempt is cut off after three timeouts (a
receiver that drips its answer), so an attempt ends well within the dispatcher's lease.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from runner.events._url import Target

__all__ = ["Answer", "post", "signature"]

_USER_AGENT = "takehome-events/1"
_READ_LIMIT = 64 * 1024  # of the answer's body: read (so the connection ends well), not kept
_OVERALL = 3  # an attempt is cut off after this many timeouts in all


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


class _Exchange:
    """One request and its answer, cut off `_OVERALL` timeouts after it began: the timeout
    bounds each read, so a receiver dripping its answer byte by byte is cut off here."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.connection: http.client.HTTPConnection
        if target.scheme == "https":
            self.connection = _PinnedHTTPS(target, timeout)
        else:
            self.connection = _PinnedHTTP(target, timeout)
        self.path = target.path
        self.cut = threading.Event()
        self._timer = threading.Timer(timeout * _OVERALL, self._cut_off)
        self._timer.daemon = True

    def _cut_off(self) -> None:
        self.cut.set()
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def status(self, body: bytes, headers: dict[str, str]) -> int:
        self._timer.start()
        try:
            self.connection.request("POST", self.path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read(_READ_LIMIT)
            return response.status
        finally:
            self._timer.cancel()
            self.connection.close()


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `target` with `headers` (and the content type and user agent); never
    raises for a network fault: it is the answer's error."""
    sent = {"Content-Type": "application/json", "User-Agent": _USER_AGENT, **headers}
    started = time.monotonic()
    exchange = _Exchange(target, timeout)
    status: int | None = None
    try:
        status = exchange.status(body, sent)
    except TimeoutError:
        error: str | None = f"timed out after {timeout:g} s"
    except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: unencodable
        error = f"{type(exc).__name__}: {exc}"[:1000]
    else:
        error = _judged(status)
    if exchange.cut.is_set():  # an answer cut short may parse (EOF ends the headers): not one
        status, error = None, f"cut off after {timeout * _OVERALL:g} s"
    return Answer(status, error, _ms(started))


def _judged(status: int) -> str | None:
    if 300 <= status < 400:
        return "a redirect: not followed"
    if not 200 <= status < 300:
        return f"answered {status}"
    return None


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000.0, 1)
