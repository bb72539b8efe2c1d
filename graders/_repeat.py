"""Repeated hidden-test runs (`--repeat K`): which run is which, and merging their outcomes.

Each run of a repeated grading is its own sandbox step: run 1 is `tests.hidden` writing
`out/junit.xml`, exactly as a single run; run `i` is `tests.hidden.<i>` writing
`out/junit-<i>.xml`, with `TAKEHOME_RUN=<i>` in its environment (set, from 1, only when K > 1).

A test is merged by its worst run: the run that earned the least of its points, ties going to the
worse outcome (missing, error, failed, skipped, passed), then to the earlier run. A test whose runs
disagree on the outcome is flaky: its message says so, counting each outcome (`passed 2/3, failed
1/3`), and the tests grader gives it a `flaky_test` verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from graders.model import TestOutcome

__all__ = ["MAX_REPEAT", "Summary", "describe_runs", "junit_path", "merge_runs", "run_label"]

#: The most runs one grading may ask for (each is a full hidden-test run in a fresh container).
MAX_REPEAT = 10
#: One test's result in one run: outcome, share of its points earned, message, seconds
#: (what `graders._junit.summarise` returns).
Summary = tuple[TestOutcome, float, str, float]

_STEP = "tests.hidden"
# Worse outcomes rank higher: the tie-break when two runs earned the same share of the points.
_RANK = {
    TestOutcome.PASSED: 0,
    TestOutcome.SKIPPED: 1,
    TestOutcome.FAILED: 2,
    TestOutcome.ERROR: 3,
    TestOutcome.MISSING: 4,
}


def run_label(run: int) -> str:
    """The step label of hidden-test run `run` (1-based): run 1 keeps the single run's label."""
    return _STEP if run == 1 else f"{_STEP}.{run}"


def junit_path(run: int) -> str:
    """Where run `run` writes its JUnit XML (relative to the workspace)."""
    return "out/junit.xml" if run == 1 else f"out/junit-{run}.xml"


def describe_runs(runs: Sequence[TestOutcome]) -> str:
    """Each outcome with how many of the runs had it, most frequent first: `passed 2/3, failed
    1/3`."""
    counts = Counter(runs)
    order = sorted(counts, key=lambda o: (-counts[o], _RANK[o]))
    return ", ".join(f"{o.value} {counts[o]}/{len(runs)}" for o in order)


def merge_runs(summaries: Sequence[Summary]) -> tuple[Summary, tuple[TestOutcome, ...]]:
    """One test's runs merged: the worst run's summary and every run's outcome, in order.

    One run is returned as it is, with no outcomes (a single run records none). A flaky test's
    message starts with `flaky (<describe_runs>), worst run <i>: `.
    """
    if not summaries:
        raise ValueError("merge_runs needs at least one run")
    if len(summaries) == 1:
        return summaries[0], ()
    outcomes = tuple(s[0] for s in summaries)
    index = min(range(len(summaries)), key=lambda i: (summaries[i][1], -_RANK[outcomes[i]]))
    outcome, fraction, message, seconds = summaries[index]
    if len(set(outcomes)) > 1:
        note = f"flaky ({describe_runs(outcomes)}), worst run {index + 1}"
        message = f"{note}: {message}" if message else note
    return (outcome, fraction, message, seconds), outcomes
