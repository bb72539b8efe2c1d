"""Throughput of the service's read endpoints against a minimal FastAPI endpoint.

Two uvicorn servers run in child processes on 127.0.0.1 (the baseline app and the service), and
this process is the load generator (keep-alive connections from `--clients` threads, a bounded
number of requests each). Only one endpoint is loaded at a time (an idle server costs nothing),
in interleaved rounds: baseline, status, report, then again, `--rounds` times. On a shared
machine the load changes by the second, so each endpoint's share of the baseline is taken
within each round and the median of the rounds is printed:

* baseline: a FastAPI app with one `GET /ping` returning a constant JSON object;
* status:   the candidate's status endpoint `GET /i/{token}/submissions/{id}` (JSON);
* report:   the reviewer's `GET /api/submissions/{id}/report` (bearer token, full report JSON).

The service runs over a fresh SQLite database seeded with one graded submission (a synthetic
report with 14 hidden tests and `--findings` findings, 40 by default). It prints each
endpoint's median requests per second, p50 and p99 latency over all rounds, and the median
share of the baseline. Run from the repository root:
`python -m bench.api_load [--requests N] [--clients C] [--rounds R] [--findings F]`.
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


def _report(count: int) -> Report:
    tests = tuple(
        TestCase(id=f"tests/test_calc.py::test_{i}", outcome=TestOutcome.PASSED) for i in range(14)
    )
    findings = tuple(
        Finding(rule="E501", message="line too long", file="calc/ops.py", line=i)
        for i in range(1, count + 1)
    )
    categories = {
        "tests": CategoryResult(name="tests", score=100, summary="14/14", tests=tests),
        "style": CategoryResult(name="style", score=60, summary=str(count), findings=findings),
    }
    return Report(score=90, categories=categories, provenance={"run_id": "bench"})


def _seed(data_dir: Path, findings: int = 40) -> tuple[str, str, str]:
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
    if claim is None or not queue.complete(claim, _report(findings)):
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


class _Endpoint:
    """One endpoint under load: its server's port, path and headers, and what it measured."""

    def __init__(self, name: str, port: int, path: str, headers: dict[str, str]) -> None:
        self.name, self.port, self.path, self.headers = name, port, path, headers
        self.rates: list[float] = []
        self.latencies: list[float] = []

    def round(self, args: argparse.Namespace) -> float:
        """Warm up, then load it once; returns requests per second."""
        _load(
            self.port,
            self.path,
            self.headers,
            max(args.clients, args.requests // 10),
            args.clients,
        )
        elapsed, latencies = _load(self.port, self.path, self.headers, args.requests, args.clients)
        rate = len(latencies) / elapsed
        self.rates.append(rate)
        self.latencies.extend(latencies)
        return rate

    def line(self, shares: list[float]) -> str:
        """Median rate, p50/p99 over every round, and the median share of the baseline."""
        cuts = statistics.quantiles(self.latencies, n=100)
        text = f"{self.name:<9} {statistics.median(self.rates):8.0f} req/s"
        text += f"   p50 {cuts[49] * 1000:6.2f} ms   p99 {cuts[98] * 1000:6.2f} ms"
        return text + (f"   {statistics.median(shares):.2f}x baseline" if shares else "")


def main() -> None:
    """Seed, serve, load in interleaved rounds, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--findings", type=int, default=40, help="findings in the report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="takehome-bench-") as tmp:
        data_dir = Path(tmp)
        token, submission, api_token = _seed(data_dir, args.findings)
        env = {
            "TAKEHOME_DATA_DIR": str(data_dir),
            "TAKEHOME_CHALLENGE_DIRS": str(ROOT / "tests" / "challenges"),
            "TAKEHOME_SECRET_KEY": SECRET,
            "TAKEHOME_WORKERS": "0",
        }
        print(
            f"{args.requests} requests per endpoint and round, {args.rounds} rounds, "
            f"{args.clients} clients, {args.findings} findings, 127.0.0.1"
        )
        base_port, app_port = _free_port(), _free_port()
        servers = [
            _serve("bench.api_load:baseline_app", base_port, env),
            _serve("api.app:from_environment", app_port, env),
        ]
        auth = {"Authorization": f"Bearer {api_token}"}
        base = _Endpoint("baseline", base_port, "/ping", {})
        others = [
            _Endpoint("status", app_port, f"/i/{token}/submissions/{submission}", {}),
            _Endpoint("report", app_port, f"/api/submissions/{submission}/report", auth),
        ]
        shares: dict[str, list[float]] = {e.name: [] for e in others}
        try:
            for _ in range(args.rounds):
                reference = base.round(args)
                for endpoint in others:
                    shares[endpoint.name].append(endpoint.round(args) / reference)
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
    print(base.line([]))
    for endpoint in others:
        print(endpoint.line(shares[endpoint.name]))


if __name__ == "__main__":
    main()
