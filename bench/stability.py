"""Score stability: grade the same submissions several times and print the spread of each score.

A performance-sensitive challenge (asyncio-scaling's load stages, data-pipeline's CPU-time limit)
must give the same submission the same score whatever else the machine is doing: the target is
a spread (max - min) of at most 3 points over five gradings. Run from the repository root:
`python -m bench.stability [--runs N] [--repeat K] CHALLENGE [SOLUTION ...]`, where a solution is
`reference`, `starter` or `variants/<name>` (default: the reference and every variant). It needs
the Docker engine and the challenge's image (`takehome images build`). `--repeat K` grades as
`takehome grade --repeat K` does (each grading runs the hidden tests K times, worst run counts).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from graders.model import CATEGORIES
from runner.challenge import get_challenge
from runner.engine import open_engine
from runner.intake import IntakeLimits, snapshot_path
from runner.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _solutions(pack: Path, names: list[str]) -> list[str]:
    if names:
        return names
    variants = sorted(p.name for p in (pack / "variants").iterdir() if p.is_dir())
    return ["reference", *(f"variants/{v}" for v in variants)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("challenge")
    parser.add_argument("solutions", nargs="*")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="hidden-test runs per grading")
    args = parser.parse_args()
    settings = Settings()
    challenge = get_challenge(args.challenge, settings.challenge_dirs)
    pipeline = open_engine(settings, log=lambda _m: None).pipeline
    print(f"{args.challenge}: {args.runs} gradings each (spread = max - min)")
    print(f"{'solution':32} {'overall':>15} " + " ".join(f"{c:>10}" for c in CATEGORIES))
    worst = 0.0
    for name in _solutions(challenge.root, args.solutions):
        snapshot = snapshot_path(challenge.root / name, IntakeLimits())
        totals: list[float] = []
        per_category: dict[str, list[float]] = {c: [] for c in CATEGORIES}
        started = time.perf_counter()
        for _ in range(args.runs):
            report = pipeline.grade(challenge, snapshot, repeat=args.repeat)
            totals.append(report.score)
            for category in CATEGORIES:
                if category in report.categories:
                    per_category[category].append(report.categories[category].score)
        seconds = (time.perf_counter() - started) / args.runs
        spreads = {c: (max(v) - min(v)) if v else 0.0 for c, v in per_category.items()}
        spread = max(totals) - min(totals)
        worst = max(worst, spread)
        overall = f"{min(totals):5.1f}-{max(totals):5.1f} ({spread:.1f})"
        cells = " ".join(f"{spreads[c]:10.1f}" for c in CATEGORIES)
        print(f"{name:32} {overall:>15} {cells}   {seconds:.1f} s/grading")
    print(f"largest spread of an overall score: {worst:.1f} points (target: at most 3)")


if __name__ == "__main__":
    main()
