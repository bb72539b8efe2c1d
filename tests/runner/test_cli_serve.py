"""`takehome serve` hands its settings, command-line choices included, to the app factory (it
used to pass them through `os.environ`): the service it starts uses them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from runner.cli import cli

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    """GET a JSON document of the local service (`url` is always http://127.0.0.1:...)."""
    request = urllib.request.Request(url)  # noqa: S310 - fixed http://127.0.0.1 URLs
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - as above
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_runs_the_app_over_its_own_settings(tmp_path: Path) -> None:
    env = {
        "TAKEHOME_DATA_DIR": str(tmp_path / "data"),
        "TAKEHOME_SECRET_KEY": "serve-test-secret-key-0123456789",
        "TAKEHOME_WORKERS": "3",  # the command line says 0: the command line wins
        "TAKEHOME_CHALLENGE_DIRS": "",  # the command line names the packs
    }
    runner = CliRunner()
    made = runner.invoke(
        cli, ["users", "create", "a@example.com", "--password-stdin"], "x" * 9, env=env
    )
    assert made.exit_code == 0, made.output
    token = runner.invoke(cli, ["tokens", "create", "a@example.com"], env=env).output.strip()

    port = _free_port()
    argv = [sys.executable, "-c", "from runner.cli import main; main()"]
    argv += ["--challenges-dir", str(CHALLENGES), "serve", "--port", str(port), "--workers", "0"]
    server = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                status, ready = _get(f"{base}/readyz")
                break
            except OSError:  # not listening yet
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        status_list, listed = _get(f"{base}/api/challenges", token)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        if server.stderr:
            server.stderr.close()
    assert (status, ready["checks"]) == (
        200,
        {"database": "ok"},
    )  # 0 workers: no Docker, no graders
    assert status_list == 200
    assert sorted(c["id"] for c in listed) == ["calculator", "kv-service"]
