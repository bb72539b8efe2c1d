"""Throughput of the service's read endpoints against a minimal FastAPI endpoint.

Three uvicorn servers would be unfair on 2 cores, so one server runs at a time, in a child
process on 127.0.0.1, and this process is the load generator (keep-alive connections from
`--clients` threads, a bounded number of requests each):

* baseline: a FastAPI app with one `GET /ping` returning a constant JSON object;
* status:   the candidate's status endpoint `GET /i/{token}/submissions/{id}` (JSON);
* report:   the reviewer's `GET /api/submissions/{id}/report` (bearer token, full report JSON).

The service runs over a fresh SQLite database seeded with one graded submission (a synthetic
report with 14 hidden tests and 40 findings). It prints requests per second, p50 and p99 latency
of each, and each endpoint's throughput as a share of the baseline's. Run from the repository
root: `python -m bench.api_load [--requests N] [--clients C]`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from graders.model import CategoryResult, Finding, Report, TestCase, TestOutcome
from runner.blobs import LocalBlobStore
from runner.intake import Snapshot
from runner.queue import RunQueue
from runner.settings import Settings
from runner.store import open_database
from runner.store.records import (
    NewSubmission,
    add_submission,
    create_api_token,
    create_invite,
    create_reviewer,
)

ROOT = Path(__file__).resolve().parents[1]
SECRET = secrets.token_urlsafe(32)

#: The baseline: the least a FastAPI endpoint can cost.
baseline_app = FastAPI()


@baseline_app.get("/ping")
def ping() -> dict[str, bool]:
    """A constant answer."""
    return {"ok": True}


def _report() -> Report:
    tests = tuple(
        TestCase(id=f"tests/test_calc.py::test_{i}", outcome=TestOutcome.PASSED) for i in range(14)
    )
    findings = tuple(
        Finding(rule="E501", message="line too long", file="calc/ops.py", line=i)
        for i in range(1, 41)
    )
    categories = {
        "tests": CategoryResult(name="tests", score=100, summary="14/14", tests=tests),
        "style": CategoryResult(name="style", score=60, summary="40", findings=findings),
    }
    return Report(score=90, categories=categories, provenance={"run_id": "bench"})


def _seed(data_dir: Path) -> tuple[str, str, str]:
    """A database with one graded submission: (invite token, submission id, API token)."""
    settings = Settings(data_dir=data_dir, challenge_dirs=[ROOT / "tests" / "challenges"])
    db = open_database(settings)
    create_reviewer(db, "bench@example.com", "bench password")
    api_token = create_api_token(db, "bench@example.com")
    invite, token = create_invite(
        db,
        challenge_id="calculator",
        candidate="bench",
        expires_days=1,
        max_submissions=1,
        created_by=None,
    )
    snapshot = Snapshot(files={"calc/ops.py": b"x = 1\n"})
    new = NewSubmission("calculator", snapshot, "bench.tgz", invite_id=invite.id)
    submission_id, _run = add_submission(db, LocalBlobStore(data_dir / "blobs"), new)
    queue = RunQueue(db)
    claim = queue.claim("bench")
    if claim is None or not queue.complete(claim, _report()):
        raise RuntimeError("could not seed the report")
    db.close()
    return token, submission_id, api_token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "uvicorn", target, "--port", str(port), "--host", "127.0.0.1"]
    argv += ["--log-level", "warning", "--no-access-log"]
    if target.endswith("from_environment"):
        argv.append("--factory")
    server = subprocess.Popen(argv, env={**os.environ, **env}, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"{target} did not start")


def _load(
    port: int, path: str, headers: dict[str, str], requests: int, clients: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for _ in range(requests // clients):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def _measure(
    name: str,
    *,
    target: str,
    path: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    env: dict[str, str],
) -> float:
    port = _free_port()
    server = _serve(target, port, env)
    try:
        _load(port, path, headers, max(args.clients, args.requests // 10), args.clients)  # warm-up
        elapsed, latencies = _load(port, path, headers, args.requests, args.clients)
    finally:
        server.terminate()
        server.wait(10)
    rate = len(latencies) / elapsed
    cuts = statistics.quantiles(latencies, n=100)
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    print(f"{name:<9} {rate:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    return rate


def main() -> None:
    """Seed, serve, load, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="takehome-bench-") as tmp:
        data_dir = Path(tmp)
        token, submission, api_token = _seed(data_dir)
        env = {
            "TAKEHOME_DATA_DIR": str(data_dir),
            "TAKEHOME_CHALLENGE_DIRS": str(ROOT / "tests" / "challenges"),
            "TAKEHOME_SECRET_KEY": SECRET,
            "TAKEHOME_WORKERS": "0",
        }
        common: dict[str, Any] = {"args": args, "env": env}
        print(f"{args.requests} requests per endpoint, {args.clients} clients, 127.0.0.1")
        app = "api.app:from_environment"
        base = _measure(
            "baseline", target="bench.api_load:baseline_app", path="/ping", headers={}, **common
        )
        status_path = f"/i/{token}/submissions/{submission}"
        status = _measure("status", target=app, path=status_path, headers={}, **common)
        auth = {"Authorization": f"Bearer {api_token}"}
        report_path = f"/api/submissions/{submission}/report"
        report = _measure("report", target=app, path=report_path, headers=auth, **common)
    print(f"ratio status/baseline {status / base:.2f}   report/baseline {report / base:.2f}")


if __name__ == "__main__":
    main()
