"""Similarity: a new submission against 1,000 earlier ones of the same challenge.

The earlier submissions are synthetic: mutations of the data-pipeline reference (random lines of
code of their own inserted, about one in six lines, and top-level definitions shuffled), so every
one of them shares much of its code with the new one: the worst case for the index, each earlier
submission is a candidate pair and the best `MAX_PAIRS` get their regions read and stored.
`--distinct` mutations are made and fingerprinted (200 by default), and each is indexed under
several submission ids up to `--earlier` (the index holds every row; fingerprinting 1,000
distinct ones would only make the set-up slower, not the check).

Measured in the same run, each the median of `--runs` new submissions (the naive scan: of two):

* check: `SimilarityIndex.check` of a new submission (fingerprint it, index it, one indexed
  query per chunk of hashes against the 1,000, score, read the regions of the best pairs, store);
* fingerprint: `fingerprint_files` of the same submission alone (the floor: no database at all);
* naive: the same comparison without the inverted index: every earlier submission's stored
  fingerprints read (a scan of the challenge's rows) and compared with the new one's in memory,
  one pair at a time. A tool without stored fingerprints (copydetect) would also fingerprint
  every earlier submission again: 1,000 times the "fingerprint" line on top.

Printed: wall and CPU times (CPU: of this process, where SQLite runs too; on a loaded machine
the wall time mostly measures waiting for a core), check / fingerprint and naive / check. Run
from the repository root:

    python -m bench.similarity [--earlier 1000] [--distinct 200] [--runs 5] [--database-url URL]

(SQLite in a temporary folder by default; a PostgreSQL URL of an empty database works too).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import insert, select

from runner.challenge import Challenge, load_challenge
from runner.intake import Snapshot
from runner.settings import Settings
from runner.similarity.fingerprints import Fingerprint, all_hashes, fingerprint_files, pair_score
from runner.similarity.store import SimilarityIndex
from runner.store import Database, Submission, open_database
from runner.store.models import utcnow
from runner.store.similarity import SimilarityCheck, SimilarityFingerprint

ROOT = Path(__file__).resolve().parents[1]
_OPEN = ("(", "[", "{", ",", "\\", ":")


def _junk(rng: random.Random) -> str:
    a, b = rng.randrange(1000), rng.randrange(1000)
    return rng.choice(
        (
            f"tmp_{a} = helper_{b}(value_{a}, {b})",
            f"if flag_{a} > {b}: count_{a} += 1",
            f"log_{a}.append([item_{b} for item_{b} in range({a})])",
            f"assert check_{a}(x_{b}) is not None",
        )
    )


def _mutate_text(text: str, rng: random.Random) -> str:
    out: list[str] = []
    for line in text.split("\n"):
        previous = out[-1].rstrip() if out else ""
        stripped = line.lstrip()
        if stripped and not previous.endswith(_OPEN) and rng.random() < 1 / 6:
            out.append(line[: len(line) - len(stripped)] + _junk(rng))
        out.append(line)
    blocks = "\n".join(out).split("\n\n\n")
    head, rest = blocks[:1], blocks[1:]
    rng.shuffle(rest)
    return "\n\n\n".join(head + rest)


def mutated(files: dict[str, bytes], seed: int) -> dict[str, bytes]:
    """`files` with every Python file mutated (deterministic per `seed`)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic code, not a secret
    return {
        path: _mutate_text(data.decode(), rng).encode() if path.endswith(".py") else data
        for path, data in files.items()
    }


def _add_submission(db: Database, submission_id: str) -> None:
    with db.writing() as session:
        session.add(
            Submission(
                id=submission_id,
                challenge_id="data-pipeline",
                source_kind="upload",
                filename="bench.zip",
                snapshot_digest="sha256:00",
            )
        )


def _index_only(
    db: Database, challenge: Challenge, number: int, prints: list[Fingerprint]
) -> None:
    """An earlier submission's rows as `SimilarityIndex.check` leaves them, without comparing
    it with the ones before (the setup, not what is measured)."""
    submission_id = f"earlier{number}"
    _add_submission(db, submission_id)
    with db.writing() as session:
        session.add(
            SimilarityCheck(
                submission_id=submission_id,
                challenge_id=challenge.id,
                invite_id=None,
                version_hash=challenge.version_hash,
                state="done",
                fingerprints=len({fp.hash for fp in prints}),
                checked_at=utcnow(),
            )
        )
        session.execute(
            insert(SimilarityFingerprint),
            [
                {
                    "challenge_id": challenge.id,
                    "submission_id": submission_id,
                    "hash": fp.hash,
                    "path": fp.path,
                    "first_line": fp.first_line,
                    "last_line": fp.last_line,
                }
                for fp in prints
            ],
        )


def _naive(db: Database, challenge: Challenge, new: dict[str, bytes]) -> int:
    excluded = all_hashes(challenge.starter().files) | all_hashes(challenge.hidden_tests())
    mine = {fp.hash for fp in fingerprint_files(new, exclude=excluded)}
    table = SimilarityFingerprint
    stored: dict[str, set[int]] = {}
    with db.reading() as session:
        rows = session.execute(
            select(table.submission_id, table.hash).where(
                table.challenge_id == challenge.id, table.submission_id.like("earlier%")
            )
        )
        for submission_id, value in rows:
            stored.setdefault(submission_id, set()).add(value)
    return sum(
        pair_score(len(mine & theirs), len(mine), len(theirs)) >= 0.5 for theirs in stored.values()
    )


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU time (this process: SQLite runs in it) of `action()`, in seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - cpu


def _line(name: str, times: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(t[0] for t in times)
    cpu = statistics.median(t[1] for t in times)
    print(f"{name}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (median of {len(times)})")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--earlier", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    challenge = load_challenge(ROOT / "challenges" / "data-pipeline")
    reference = dict(challenge.reference().files)
    distinct = [mutated(reference, seed) for seed in range(min(args.distinct, args.earlier))]
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Settings(data_dir=Path(folder), database_url=args.database_url))
        index = SimilarityIndex(db, threshold=0.5)
        excluded = index.pack(challenge).boilerplate
        started = time.perf_counter()
        prints = [fingerprint_files(files, exclude=excluded) for files in distinct]
        for number in range(args.earlier):
            _index_only(db, challenge, number, prints[number % len(prints)])
        took = time.perf_counter() - started
        print(f"indexed {args.earlier} earlier submissions in {took:.1f} s", flush=True)
        checks: list[tuple[float, float]] = []
        alone: list[tuple[float, float]] = []
        naives: list[tuple[float, float]] = []
        for run in range(args.runs):
            new = mutated(reference, 10**6 + run)
            _add_submission(db, f"new{run}")
            alone.append(_timed(partial(fingerprint_files, new)))
            snapshot = Snapshot(files=new)
            checks.append(_timed(partial(index.check, f"new{run}", challenge, snapshot)))
            if run < 2:  # the scan takes seconds: two runs show it
                naives.append(_timed(partial(_naive, db, challenge, new)))
        db.close()
    check = _line(f"check against {args.earlier}", checks)
    bare = _line("fingerprint alone", alone)
    naive = _line("naive (no index)", naives)
    print(f"check / fingerprint = {check[0] / bare[0]:.1f} wall, {check[1] / bare[1]:.1f} CPU")
    print(f"naive / check = {naive[0] / check[0]:.1f} wall, {naive[1] / check[1]:.1f} CPU")


if __name__ == "__main__":
    main()
