"""Score stability: grade the same submissions several times and print the spread of each score.

A performance-sensitive challenge (asyncio-scaling's load stages, data-pipeline's CPU-time limit)
must give the same submission the same score whatever else the machine is doing: the target is
a spread (max - min) of at most 3 points over five gradings. Run from the repository root:
`python -m bench.stability [--runs N] [--repeat K] CHALLENGE [SOLUTION ...]`, where a solution is
`reference`, `starter` or `variants/<name>` (default: the reference and every variant). It needs
the Docker engine and the challenge's image (`takehome images build`). `--repeat K` grades as
`takehome grade --repeat K` does (each grading runs the hidden tests K times, worst run counts).

`--beside SOLUTION` measures twice: first alone, then while a background thread keeps grading
SOLUTION (any name as above) back to back, so the spread is also measured with another grading
competing for the machine, as on a busy grading host. Both tables are printed; the largest spread
line covers both, and the background gradings' own spread too. `--beside-only` skips the first
table (when the alone figures are already at hand). `--reports DIR` keeps every grading's report
(`DIR/<solution>-<n>.json`, the background's as `DIR/beside-<n>.json`), so an outlier's failing
tests can be read afterwards.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graders.model import CATEGORIES, Report
from runner.challenge import Challenge, get_challenge
from runner.engine import open_engine
from runner.intake import Snapshot
from runner.pipeline import Pipeline
from runner.settings import Settings
from sandbox import SandboxError

ROOT = Path(__file__).resolve().parents[1]


def _solutions(challenge: Challenge, names: list[str]) -> list[str]:
    if names:
        return names
    return ["reference", *(f"variants/{v.name}" for v in challenge.variants())]


def _snapshot(challenge: Challenge, name: str) -> Snapshot:
    """A solution's tree through the challenge API (a variant is its reference + overlay)."""
    if name == "reference":
        return challenge.reference()
    if name == "starter":
        return challenge.starter()
    if name.startswith("variants/"):
        return challenge.variant(name.removeprefix("variants/")).snapshot()
    raise SystemExit(f"{name!r}: expected reference, starter or variants/<name>")


def _keep(reports: Path | None, stem: str, report: Report) -> None:
    if reports is not None:
        reports.mkdir(parents=True, exist_ok=True)
        (reports / f"{stem.replace('/', '-')}.json").write_text(report.to_json())


def _measure(
    pipeline: Pipeline, challenge: Challenge, name: str, args: argparse.Namespace
) -> float:
    """Grade one solution `args.runs` times, print its row, return its overall spread."""
    snapshot = _snapshot(challenge, name)
    totals: list[float] = []
    per_category: dict[str, list[float]] = {c: [] for c in CATEGORIES}
    started = time.perf_counter()
    for run in range(args.runs):
        report = pipeline.grade(challenge, snapshot, repeat=args.repeat)
        _keep(args.reports, f"{name}-{run + 1}", report)
        totals.append(report.score)
        for category in CATEGORIES:
            if category in report.categories:
                per_category[category].append(report.categories[category].score)
    seconds = (time.perf_counter() - started) / args.runs
    spreads = {c: (max(v) - min(v)) if v else 0.0 for c, v in per_category.items()}
    spread = max(totals) - min(totals)
    overall = f"{min(totals):5.1f}-{max(totals):5.1f} ({spread:.1f})"
    cells = " ".join(f"{spreads[c]:10.1f}" for c in CATEGORIES)
    print(f"{name:32} {overall:>15} {cells}   {seconds:.1f} s/grading", flush=True)
    return spread


@contextmanager
def _beside(
    pipeline: Pipeline, challenge: Challenge, name: str | None, reports: Path | None
) -> Iterator[list[float]]:
    """While the block runs, grade `name` back to back in a background thread (nothing when
    `name` is None); yields the list its overall scores are appended to."""
    scores: list[float] = []
    if name is None:
        yield scores
        return
    snapshot = _snapshot(challenge, name)
    stop = threading.Event()

    def keep_grading() -> None:
        while not stop.is_set():
            try:
                report = pipeline.grade(challenge, snapshot)
                scores.append(report.score)
                _keep(reports, f"beside-{len(scores)}", report)
            except SandboxError as exc:  # an engine fault: say so, keep the load going
                print(f"background grading of {name} failed: {exc}", flush=True)
                stop.wait(1.0)

    thread = threading.Thread(target=keep_grading, name="beside", daemon=True)
    thread.start()
    try:
        yield scores
    finally:
        stop.set()
        thread.join()


def _table(
    pipeline: Pipeline, challenge: Challenge, args: argparse.Namespace, beside: str | None
) -> float:
    """One table of spreads (alone, or beside another grading); the largest spread in it."""
    where = f"beside a grading of {beside}" if beside else "alone"
    print(f"{args.challenge}: {args.runs} gradings each, {where} (spread = max - min)")
    print(f"{'solution':32} {'overall':>15} " + " ".join(f"{c:>10}" for c in CATEGORIES))
    worst = 0.0
    with _beside(pipeline, challenge, beside, args.reports) as background:
        for name in _solutions(challenge, args.solutions):
            worst = max(worst, _measure(pipeline, challenge, name, args))
    if beside and background:
        scores = ", ".join(f"{score:.1f}" for score in background)
        spread = max(background) - min(background)
        count = len(background)
        print(f"background gradings of {beside}: {count}, spread {spread:.1f} ({scores})")
        worst = max(worst, spread)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("challenge")
    parser.add_argument("solutions", nargs="*")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="hidden-test runs per grading")
    parser.add_argument(
        "--beside", metavar="SOLUTION", help="also measure while SOLUTION is graded alongside"
    )
    parser.add_argument(
        "--beside-only", action="store_true", help="with --beside: skip the table alone"
    )
    parser.add_argument("--reports", type=Path, metavar="DIR", help="keep every report in DIR")
    args = parser.parse_args()
    if args.beside_only and not args.beside:
        parser.error("--beside-only needs --beside SOLUTION")
    settings = Settings()
    challenge = get_challenge(args.challenge, settings.challenge_dirs)
    pipeline = open_engine(settings, log=lambda _m: None).pipeline
    worst = 0.0 if args.beside_only else _table(pipeline, challenge, args, None)
    if args.beside:
        worst = max(worst, _table(pipeline, challenge, args, args.beside))
    print(f"largest spread of an overall score: {worst:.1f} points (target: at most 3)")


if __name__ == "__main__":
    main()
