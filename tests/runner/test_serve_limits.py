"""`takehome serve` under abusive connections (issue 15, M4 and H1/M2 on the wire): a real
subprocess on a free loopback port, attacked with bounded sockets, must refuse (413, 408, 503,
closed sockets) and keep serving, with no traceback on its stderr."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"
_FLOOD = 300
_LIMIT = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.settimeout(20)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (b"" if it just closes)."""
    got = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            got += chunk
    return got


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else 0


def _get(port: int, path: str) -> bytes:
    with _connect(port) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        return _read_all(sock)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A `takehome serve` subprocess with small limits: (port, its stderr file)."""
    port = _free_port()
    env = {
        **os.environ,
        "TAKEHOME_DATA_DIR": str(tmp_path / "data"),
        "TAKEHOME_SECRET_KEY": "serve-limits-secret-key-0123456789",
        "TAKEHOME_CHALLENGE_DIRS": "",
        "TAKEHOME_HEADER_TIMEOUT_SECONDS": "2",
        "TAKEHOME_BODY_TIMEOUT_SECONDS": "2",
        "TAKEHOME_KEEP_ALIVE_SECONDS": "1",
        "TAKEHOME_LIMIT_CONCURRENCY": str(_LIMIT),
    }
    argv = [sys.executable, "-c", "from runner.cli import main; main()"]
    argv += ["--challenges-dir", str(CHALLENGES), "serve", "--port", str(port), "--workers", "0"]
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, stderr_path.read_text()
            try:
                if _status(_get(port, "/healthz")) == 200:
                    break
            except OSError:  # not listening yet
                pass
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)
        yield port, stderr_path
        assert server.poll() is None, "the service died: " + stderr_path.read_text()
        assert "Traceback" not in stderr_path.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def test_partial_headers_are_closed_after_the_header_timeout(served: tuple[int, Path]) -> None:
    port, _stderr = served
    with _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")  # never finished
        assert _read_all(sock) == b""  # closed by the server (2 s), not answered
    with _connect(port) as sock:  # a socket that sends nothing at all
        assert _read_all(sock) == b""


def test_a_declared_huge_body_is_refused_before_it_is_sent(served: tuple[int, Path]) -> None:
    port, _stderr = served
    with _connect(port) as sock:
        head = (
            "POST /login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded"
            f"\r\nContent-Length: {1 << 30}\r\n\r\n"
        )
        sock.sendall(head.encode())  # 1 GiB announced, not one byte of it sent
        raw = _read_all(sock)
    assert _status(raw) == 413
    assert b'"error":"too_large"' in raw


def test_a_stalled_body_gets_408(served: tuple[int, Path]) -> None:
    port, _stderr = served
    with _connect(port) as sock:
        head = (
            "POST /login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded"
            "\r\nContent-Length: 1000\r\n\r\nemail=a%40example.com&pass"
        )
        sock.sendall(head.encode())  # a quarter of the body, then silence
        raw = _read_all(sock)
    assert _status(raw) == 408
    assert b'"error":"body_timeout"' in raw


def test_a_flood_of_idle_connections_degrades_to_refusals(served: tuple[int, Path]) -> None:
    port, stderr = served
    flood = [_connect(port) for _ in range(_FLOOD)]
    try:
        time.sleep(0.5)  # let the server accept them
        try:
            raw = _get(port, "/healthz")
        except OSError:  # refused outright: a refusal too
            raw = b""
        assert _status(raw) in (0, 503), raw[:200]
        closed = 0
        for sock in flood:  # the server closes every idle socket after the header timeout
            closed += _read_all(sock) == b""
        assert closed == _FLOOD
    finally:
        for sock in flood:
            sock.close()
    assert _status(_get(port, "/healthz")) == 200  # and it still serves
    text = stderr.read_text()
    assert "Traceback" not in text, text[-4000:]
