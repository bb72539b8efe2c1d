"""`connect()` without an engine: an unreachable one is `EngineUnavailable` (no engine needed)."""

from __future__ import annotations

import socket

import pytest

from sandbox.docker import connect
from sandbox.spec import EngineUnavailable, SandboxError


def test_an_unreachable_engine_is_engine_unavailable() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(EngineUnavailable, match="cannot reach the Docker engine") as caught:
        connect(f"tcp://127.0.0.1:{port}", timeout=5)
    assert isinstance(caught.value, SandboxError)
