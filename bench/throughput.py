"""Throughput of N queued submissions: embedded queue versus Celery, against the ideal.

ideal = cores / T1, with T1 the wall time of one submission graded alone (median of two) with one
step at a time, i.e. on one core's worth of work: N cores can at best grade N such submissions in
T1. Each backend grades N copies of the calculator reference in real containers with `cores`
runs at a time, each run one step at a time (TAKEHOME_CONCURRENCY=1, the setting for a deep
queue: a grading's own steps need not share the cores with other gradings' steps): the embedded
queue as worker threads over SQLite, Celery as one `takehome worker` process over Redis and
PostgreSQL. `--steps S` grades with S steps at a time instead (then T1 is measured with S too,
and `cores / T1` overstates what is reachable: one grading already uses several cores).
Printed: runs per second, the fraction of ideal, how many runs
were lost (no report) or doubled (two reports), and the machine's busy CPU time per grading
(all processes, from /proc/stat: the tools in the containers, the engine, this process), alone
and side by side: a grading that keeps more than one core busy while it runs alone cannot be run
`cores` at a time in T1 each. Needs Docker, the images, and for Celery the
servers of scripts/services.sh:

    bash -c 'source scripts/services.sh && .venv/bin/python -m bench.throughput -n 8'
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, select, text

from runner.blobs import LocalBlobStore
from runner.celery_app import TASK_NAME, make_celery
from runner.challenge import ChallengeRegistry, load_challenge
from runner.dispatch import Dispatcher
from runner.engine import open_engine
from runner.queue import RunQueue
from runner.settings import Settings
from runner.store import Database, Run, StoredReport, open_database
from runner.store.records import NewSubmission, add_submission
from runner.worker import Worker, WorkerPool

CHALLENGES = Path(__file__).resolve().parents[1] / "tests" / "challenges"
CORES = os.cpu_count() or 1


STEPS = 1  # steps one grading runs at a time (`--steps`)
WORKERS = CORES  # gradings at a time (`--workers`)


def _busy_seconds() -> float:
    """CPU time the whole machine has spent busy (not idle or waiting on I/O) since boot."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _settings(data: Path, **extra: object) -> Settings:
    return Settings(
        data_dir=data, challenge_dirs=[CHALLENGES], lease_seconds=60, concurrency=STEPS, **extra
    )


def _enqueue(db: Database, blobs: LocalBlobStore, count: int) -> list[str]:
    snapshot = load_challenge(CHALLENGES / "calculator").reference()
    new = NewSubmission(challenge_id="calculator", snapshot=snapshot, filename="ref.tgz")
    return [add_submission(db, blobs, new)[1] for _ in range(count)]


def _outcome(db: Database, run_ids: list[str]) -> tuple[int, int, int]:
    """(done, lost, doubled) among `run_ids`."""
    with db.reading() as session:
        done = session.scalar(
            select(func.count()).select_from(Run).where(Run.id.in_(run_ids), Run.state == "done")
        )
        rows = session.execute(
            select(StoredReport.run_id, func.count())
            .where(StoredReport.run_id.in_(run_ids))
            .group_by(StoredReport.run_id)
        )
        reports = {run_id: count for run_id, count in rows}
    lost = sum(1 for r in run_ids if r not in reports)
    doubled = sum(1 for c in reports.values() if c > 1)
    return int(done or 0), lost, doubled


def _wait(db: Database, run_ids: list[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        with db.reading() as session:
            left = session.scalar(
                select(func.count())
                .select_from(Run)
                .where(Run.id.in_(run_ids), Run.state.in_(("queued", "running")))
            )
        if not left:
            return
        time.sleep(0.2)
    raise SystemExit("timed out")


def single_time(data: Path) -> tuple[float, float]:
    """(wall seconds, busy CPU seconds) of one grading alone, the median of two."""
    settings = _settings(data)
    db = open_database(settings)
    blobs = LocalBlobStore(data / "blobs")
    queue = RunQueue(db)
    pipeline = open_engine(settings, log=lambda _m: None).pipeline
    challenges = ChallengeRegistry.from_roots(CHALLENGES)
    worker = Worker(queue, blobs, lambda: challenges, lambda: pipeline, name="bench")
    times, cpu = [], []
    for _ in range(2):
        _enqueue(db, blobs, 1)
        start, busy = time.monotonic(), _busy_seconds()
        worker.run_once()
        times.append(time.monotonic() - start)
        cpu.append(_busy_seconds() - busy)
    db.close()
    return statistics.median(times), statistics.median(cpu)


def embedded(data: Path, count: int) -> tuple[float, float, tuple[int, int, int]]:
    settings = _settings(data)
    db = open_database(settings)
    blobs = LocalBlobStore(data / "blobs")
    queue = RunQueue(db, lease_seconds=60)
    pipeline = open_engine(settings, log=lambda _m: None).pipeline
    challenges = ChallengeRegistry.from_roots(CHALLENGES)
    run_ids = _enqueue(db, blobs, count)
    pool = WorkerPool(
        lambda i: Worker(queue, blobs, lambda: challenges, lambda: pipeline, name=f"b{i}"),
        WORKERS,
        poll_seconds=0.1,
    )
    start, busy = time.monotonic(), _busy_seconds()
    pool.start()
    _wait(db, run_ids, start + 1800)
    elapsed, cpu = time.monotonic() - start, _busy_seconds() - busy
    pool.stop()
    result = _outcome(db, run_ids)
    db.close()
    return elapsed, cpu / count, result


def _fresh_database(server_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


def celery(
    data: Path, count: int, database_url: str, broker_url: str
) -> tuple[float, float, tuple[int, int, int]]:
    database_url = _fresh_database(database_url)
    redis.Redis.from_url(broker_url).flushdb()
    settings = _settings(data, database_url=database_url, queue="celery", broker_url=broker_url)
    db = open_database(settings)
    blobs = LocalBlobStore(data / "blobs")
    env = dict(os.environ)
    env.update(
        TAKEHOME_DATA_DIR=str(data),
        TAKEHOME_CHALLENGE_DIRS=str(CHALLENGES),
        TAKEHOME_DATABASE_URL=database_url,
        TAKEHOME_QUEUE="celery",
        TAKEHOME_BROKER_URL=broker_url,
        TAKEHOME_LEASE_SECONDS="60",
        TAKEHOME_CONCURRENCY=str(STEPS),
    )
    argv = [sys.executable, "-c", "from runner.cli import main; main()", "worker"]
    worker = subprocess.Popen(
        [*argv, "--concurrency", str(WORKERS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)  # the worker connects and warms up before the clock starts
    app = make_celery(settings)
    queue = RunQueue(db)
    dispatcher = Dispatcher(
        queue, lambda run_id: app.send_task(TASK_NAME, args=[run_id]), interval=0.2
    )
    run_ids = _enqueue(db, blobs, count)
    start, busy = time.monotonic(), _busy_seconds()
    dispatcher.start()
    _wait(db, run_ids, start + 1800)
    elapsed, cpu = time.monotonic() - start, _busy_seconds() - busy
    dispatcher.stop()
    worker.terminate()
    worker.wait(60)
    result = _outcome(db, run_ids)
    db.close()
    return elapsed, cpu / count, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=8, help="submissions per backend")
    parser.add_argument("--steps", type=int, default=1, help="steps a grading runs at a time")
    parser.add_argument("--workers", type=int, default=CORES, help="gradings at a time")
    args = parser.parse_args()
    global STEPS, WORKERS
    STEPS, WORKERS = args.steps, args.workers
    with tempfile.TemporaryDirectory(prefix="takehome-bench-") as tmp:
        t1, cpu1 = single_time(Path(tmp, "single"))
        ideal = CORES / t1
        print(
            f"cores {CORES}, {WORKERS} gradings and {STEPS} step(s) each at a time,"
            f" single submission {t1:.2f} s, ideal {ideal:.3f} runs/s;"
            f" alone a grading keeps the machine busy {cpu1:.2f} CPU-s ({cpu1 / t1:.2f} cores)"
        )
        rows = [("embedded", *embedded(Path(tmp, "embedded"), args.n))]
        pg = os.environ.get("TAKEHOME_TEST_POSTGRES_URL")
        broker = os.environ.get("TAKEHOME_TEST_REDIS_URL")
        if pg and broker:
            rows.append(("celery", *celery(Path(tmp, "celery"), args.n, pg, broker)))
        else:
            print("celery: skipped (no TAKEHOME_TEST_POSTGRES_URL / TAKEHOME_TEST_REDIS_URL)")
        for name, elapsed, cpu, (done, lost, doubled) in rows:
            rate = args.n / elapsed
            print(
                f"{name:<9} N={args.n} {elapsed:6.1f} s  {rate:.3f} runs/s  "
                f"{rate / ideal:.2f} of ideal  done {done}, lost {lost}, doubled {doubled}  "
                f"busy {cpu:.2f} CPU-s a grading"
            )


if __name__ == "__main__":
    main()
