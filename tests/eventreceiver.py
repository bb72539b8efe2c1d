"""A real HTTP receiver of events on loopback for the tests (a threading `http.server`).

It records every request it gets (headers, raw body, whether the signature verifies under its
secret, computed as a receiver would: docs/events.md) and answers with the next status of
`statuses` (the last one repeats). With `hang` set it reads the request, then answers nothing
until `release()` (or the test ends), so the sender's read timeout fires; with `drip` it
answers one byte every 0.2 s, so no single read times out; `delay` seconds pass before each
answer (a slow receiver).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Received", "Receiver", "receiving"]


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """What the server answers, and what it has received."""

    secret: str
    statuses: list[int] = field(default_factory=lambda: [200])
    hang: bool = False
    drip: bool = False
    """Answer one byte of the status line at a time, slowly, until released."""
    delay: float = 0.0
    url: str = ""
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, body: bytes, header: str) -> bool:
        """The receiver's check: the header equals sha256=HMAC-SHA256(secret, raw body)."""
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header)

    def release(self) -> None:
        """Let a hanging receiver's requests end."""
        self._released.set()

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        signature = headers.get("x-takehome-signature-256", "")
        with self._lock:
            self.received.append(Received(path, headers, body, self.verify(body, signature)))
            index = len(self.received) - 1
        self.arrived.set()
        return self.statuses[min(index, len(self.statuses) - 1)]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver._record(self.path, headers, body)
            if receiver.hang:
                receiver._released.wait(30)
                return
            if receiver.delay:
                receiver._released.wait(receiver.delay)
            if receiver.drip:
                self._drip()
                return
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def _drip(self) -> None:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
                if receiver._released.wait(0.2):
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:  # the sender cut the connection off
                    return

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    return Handler


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    """Serve `receiver` on 127.0.0.1 (a free port) while the block runs; `receiver.url` is
    its `/hook` URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook?source=test"
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
        thread.join(5)
