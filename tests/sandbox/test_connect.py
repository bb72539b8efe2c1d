"""Without an engine: an unreachable one is `EngineUnavailable`, at `connect()` or later (no engine
needed)."""

from __future__ import annotations

import socket

import docker
import pytest

from sandbox.docker import DockerSandbox, connect
from sandbox.spec import EngineUnavailable, RunSpec, SandboxError


def test_an_unreachable_engine_is_engine_unavailable() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(EngineUnavailable, match="cannot reach the Docker engine") as caught:
        connect(f"tcp://127.0.0.1:{port}", timeout=5)
    assert isinstance(caught.value, SandboxError)


def test_an_engine_gone_after_connecting_is_engine_unavailable() -> None:
    # A client with a fixed API version asks nothing until used: the first call of the run meets
    # the closed port, as a run does when the engine dies under it.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    client = docker.DockerClient(base_url=f"tcp://127.0.0.1:{port}", version="1.41", timeout=5)
    with pytest.raises(EngineUnavailable, match="cannot reach the Docker engine"):
        DockerSandbox(client).run(RunSpec(image="img", argv=("true",), run_id="gone"))
    client.close()
