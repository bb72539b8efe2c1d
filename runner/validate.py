"""`takehome challenges validate`: a challenge proves it separates good work from bad.

It grades the reference solution first, then the starter and every flawed variant concurrently
(a bounded pool, `default_jobs`), and checks: the reference scores at least `REFERENCE_MIN`; the
starter at most `[validate] starter_max` (default `STARTER_MAX`); each variant scores below the
reference in the category it names (and at most its `category_max` there, when it sets one), and
its overall score lies in its band (`min_score`, `max_score`), when it sets one. Outcomes come
back in a fixed order (reference, starter, variants by name) whatever order they finish in;
`on_graded` hears each one as it finishes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from graders.model import Report
from runner.challenge import Challenge, DiffStat, Variant
from runner.intake import Snapshot

__all__ = [
    "REFERENCE_MIN",
    "STARTER_MAX",
    "Grades",
    "Outcome",
    "default_jobs",
    "validate_challenge",
]

REFERENCE_MIN = 90.0
STARTER_MAX = 25.0
"""The starter's band when the pack's manifest does not set `[validate] starter_max`."""


class Grades(Protocol):
    """What validation needs of a grader: `runner.pipeline.Pipeline` is one. Called from several
    threads at once."""

    def grade(self, challenge: Challenge, snapshot: Snapshot) -> Report:
        """Grade `snapshot` against `challenge`; infrastructure faults raise."""
        ...


@dataclass(frozen=True)
class Outcome:
    """One graded solution of a challenge and whether it met its expectation."""

    name: str
    report: Report
    expectation: str
    problems: tuple[str, ...] = ()
    diffstat: DiffStat | None = None
    """A variant's difference from the reference (None for the reference and the starter)."""
    seconds: float = 0.0
    """How long its grading took."""

    @property
    def ok(self) -> bool:
        """True when the expectation held."""
        return not self.problems


def default_jobs(challenge: Challenge, concurrency: int | None = None) -> int:
    """Gradings at once: the CPUs over the CPUs one grading may use (`[limits] cpus`), at most
    `concurrency` (the steps one grading runs at once, `TAKEHOME_CONCURRENCY`), at least 1."""
    cpus = os.cpu_count() or 1
    jobs = int(cpus // max(challenge.limits().cpus, 1.0))
    cap = challenge.manifest.validation.jobs or cpus
    return max(1, min(jobs, concurrency or cpus, cap))


def validate_challenge(
    challenge: Challenge,
    pipeline: Grades,
    on_graded: Callable[[Outcome], None] | None = None,
    *,
    jobs: int | None = None,
) -> list[Outcome]:
    """Grade reference, then starter and variants `jobs` at a time; one `Outcome` each, in the
    order reference, starter, variants (by name)."""
    emit = on_graded or (lambda _outcome: None)
    variants = challenge.variants()  # a broken overlay fails before anything is graded
    started = time.perf_counter()
    reference = pipeline.grade(challenge, challenge.reference())
    first = _reference(reference, time.perf_counter() - started)
    emit(first)
    tasks: list[Callable[[], Outcome]] = [lambda: _starter(challenge, pipeline)]
    tasks += [_variant_task(challenge, pipeline, v, reference) for v in variants]
    return [first, *_run(tasks, jobs or default_jobs(challenge), emit)]


def _run(
    tasks: list[Callable[[], Outcome]], jobs: int, emit: Callable[[Outcome], None]
) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="validate") as pool:
        futures = [pool.submit(task) for task in tasks]
        pending: set[Future[Outcome]] = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in sorted(done, key=futures.index):
                if future.exception() is not None:
                    for other in pending:
                        other.cancel()  # an infrastructure fault: grade no more
                emit(future.result())  # re-raises that fault
    return [future.result() for future in futures]


def _timed(pipeline: Grades, challenge: Challenge, snapshot: Snapshot) -> tuple[Report, float]:
    started = time.perf_counter()
    report = pipeline.grade(challenge, snapshot)
    return report, time.perf_counter() - started


def _reference(report: Report, seconds: float) -> Outcome:
    low = report.score < REFERENCE_MIN
    problems = (f"reference scored {report.score:.1f}",) if low else ()
    return Outcome("reference", report, f"total >= {REFERENCE_MIN:g}", problems, seconds=seconds)


def _starter(challenge: Challenge, pipeline: Grades) -> Outcome:
    report, seconds = _timed(pipeline, challenge, challenge.starter())
    cap = challenge.manifest.validation.starter_max
    problems = (f"starter scored {report.score:.1f}",) if report.score > cap else ()
    return Outcome("starter", report, f"total <= {cap:g}", problems, seconds=seconds)


def _variant_task(
    challenge: Challenge, pipeline: Grades, variant: Variant, reference: Report
) -> Callable[[], Outcome]:
    return lambda: _variant(challenge, pipeline, variant, reference)


def _variant(
    challenge: Challenge, pipeline: Grades, variant: Variant, reference: Report
) -> Outcome:
    report, seconds = _timed(pipeline, challenge, variant.snapshot())
    problems = [*_category_problems(variant, report, reference), *_band_problems(variant, report)]
    return Outcome(
        f"variant {variant.name}",
        report,
        _expectation(variant),
        tuple(problems),
        variant.diffstat(),
        seconds,
    )


def _category_problems(variant: Variant, report: Report, reference: Report) -> list[str]:
    category, cap = variant.manifest.category, variant.manifest.category_max
    got, ref = report.categories[category].score, reference.categories[category].score
    problems = []
    if got >= ref:
        problems.append(f"{category} {got:.1f} is not below the reference's {ref:.1f}")
    if cap is not None and got > cap:
        problems.append(f"{category} {got:.1f} is above category_max {cap:g}")
    return problems


def _band_problems(variant: Variant, report: Report) -> list[str]:
    low, high = variant.manifest.min_score, variant.manifest.max_score
    problems = []
    if high is not None and report.score > high:
        problems.append(f"total {report.score:.1f} is above max_score {high:g}")
    if low is not None and report.score < low:
        problems.append(f"total {report.score:.1f} is below min_score {low:g}")
    return problems


def _expectation(variant: Variant) -> str:
    manifest = variant.manifest
    text = f"{manifest.category} < reference"
    if manifest.category_max is not None:
        text += f" and <= {manifest.category_max:g}"
    low, high = manifest.min_score, manifest.max_score
    if low is not None or high is not None:
        text += f"; total {0 if low is None else low:g}-{100 if high is None else high:g}"
    return text
