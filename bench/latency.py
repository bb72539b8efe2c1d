"""Latency of one grading: the full sandboxed pipeline against the same tools run on the host.

Both sides grade the same submission with the same argv and the same pinned tools:

* sandboxed: `Pipeline` + `DockerSandbox` (fresh hardened containers, concurrent phases);
* baseline:  the same steps run directly on the host, one after another (`HostSandbox`,
  concurrency 1): what grading costs with no isolation and no concurrency at all.

It prints the median of each and the ratio sandboxed / baseline (target: at most 1.0, the sandbox
and orchestration overhead paid back by running phases concurrently). Run from the repository
root: `python -m bench.latency [--runs N] [--concurrency C]`. It needs the Docker engine and the
tools image (`takehome images build`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from runner.challenge import Challenge, load_challenge
from runner.pipeline import Pipeline
from runner.settings import Settings
from sandbox.docker import DockerSandbox, connect
from sandbox.images import ImageBuilder
from tests.hostsandbox import HostSandbox

ROOT = Path(__file__).resolve().parents[1]
CALCULATOR = ROOT / "tests" / "challenges" / "calculator"


def _time(pipeline: Pipeline, challenge: Challenge, runs: int) -> list[float]:
    snapshot = challenge.reference()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        report = pipeline.grade(challenge, snapshot)
        times.append(time.perf_counter() - started)
        assert report.score >= 90, report.to_json()  # a broken run must not look fast
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=Settings().concurrency)
    args = parser.parse_args()
    challenge = load_challenge(CALCULATOR)
    client = connect()
    image = ImageBuilder(client, Settings().images(), log=lambda _m: None).ensure_tools()
    sandboxed = Pipeline(DockerSandbox(client), lambda _c: image, concurrency=args.concurrency)
    with tempfile.TemporaryDirectory(prefix="bench-host-") as tmp:
        baseline = Pipeline(HostSandbox(Path(tmp)), lambda _c: image, concurrency=1)
        _time(sandboxed, challenge, 1)  # warm-up: page cache, engine, imports
        _time(baseline, challenge, 1)
        host = _time(baseline, challenge, args.runs)
        boxed = _time(sandboxed, challenge, args.runs)
    host_median, boxed_median = statistics.median(host), statistics.median(boxed)
    print(
        f"submission: {CALCULATOR.name}/reference, {args.runs} runs each, "
        f"concurrency {args.concurrency}"
    )
    print(f"baseline (host, sequential): median {host_median:.2f} s  {_fmt(host)}")
    print(f"sandboxed (Docker pipeline): median {boxed_median:.2f} s  {_fmt(boxed)}")
    print(f"ratio sandboxed/baseline: {boxed_median / host_median:.2f}")


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


if __name__ == "__main__":
    main()
