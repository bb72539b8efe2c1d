"""How `takehome serve` runs the app under uvicorn: timeouts and a connection limit.

uvicorn bounds idle keep-alive connections (`timeout_keep_alive`), the size of a request's
headers (`h11_max_incomplete_event_size`, 400 past it), the listen backlog and, with
`limit_concurrency`, answers a new request `503` at once when open connections plus running
requests reach the limit. It has no timeout for a connection's *first* request headers: a
client may open a socket and send nothing, or half a request line, for ever. `HeaderTimeoutH11`
adds that: its clock starts when the connection opens (or when it sends the first byte of a
later request) and the connection is closed if the headers are not complete
`header_timeout_seconds` later. Request bodies have their own read timeout (`api.limits`).

So a flood of idle or slow connections costs each one socket for a few seconds, then is closed;
meanwhile new requests past the limit get 503 instead of a traceback or a dead process.
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from runner.settings import Settings

__all__ = ["HeaderTimeoutH11", "server_config"]


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request headers take longer than
    `header_timeout` seconds (set on the class by `server_config`)."""

    header_timeout: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still waiting for a request's headers
            self._arm_header_timer()
        else:
            self._cancel_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:  # a deadline, not reset by each trickled byte
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of `takehome serve` over `settings`."""
    protocol = type(
        "TakehomeH11", (HeaderTimeoutH11,), {"header_timeout": settings.header_timeout_seconds}
    )
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol,
        proxy_headers=False,
        log_config=None,  # keep the handlers of configure_logging (text or JSON)
        timeout_keep_alive=settings.keep_alive_seconds,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.limit_concurrency,
        backlog=settings.backlog,
    )
