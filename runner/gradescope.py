"""A report as Gradescope's autograder `results.json` (gradescope/autograder_samples specs.md).

The fields written, all from that spec: top-level `score` (the overall score out of 100: it
overrides the tests' total), `execution_time`, `output`, `visibility`, `stdout_visibility`,
`extra_data` and `tests[]`, each with `name`, `number`, `score`, `max_score`, `output`, `tags`
and `visibility`. One test per hidden test (its points, earned when passed), then one entry per
category (no points: its score is in the `output`). A repeated grading's test (`--repeat K`) is
its worst run; its output adds how many runs passed, and a flaky one is tagged `flaky`.

Visibility follows the challenge's `[feedback] policy`, which says what a candidate may see:

- `visible_tests` and `scores`: the hidden tests are `visible` (a student sees each test's name
  and outcome), but their output is only the outcome: never the failure message, which can quote
  the hidden test. Categories are `visible` at `scores`, else `after_published`.
- `status`: everything is `after_published`: shown once an instructor publishes the grades (the
  equivalent of a reviewer deciding to share it). `hidden` is not used: the spec reserves it
  for tests that carry no points, and hidden tests carry the grade.

Gradescope's instructors always see everything, so messages, verdicts and the report's
provenance go where only they look: the message in each test's output when the test is not
`visible`, the verdicts in the top-level `extra_data`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graders.model import CATEGORIES, Report, TestCase, TestOutcome

__all__ = ["VISIBILITIES", "report_gradescope"]

#: Gradescope's visibility values, from the spec.
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def _tests_visibility(policy: str) -> str:
    return "visible" if policy in ("visible_tests", "scores") else "after_published"


def report_gradescope(report: Report, policy: str) -> dict[str, Any]:
    """The report as `results.json` under the challenge's feedback `policy`."""
    score_visibility = "visible" if policy == "scores" else "after_published"
    tests = report.categories.get("tests")
    cases = tests.tests if tests else ()
    entries = [
        *_test_entries(cases, _tests_visibility(policy)),
        *_category_entries(report, score_visibility),
    ]
    return {
        "score": report.score,
        "execution_time": round(sum(c.seconds for c in cases)),
        "output": f"takehome score {report.score:.1f} / 100",
        "visibility": score_visibility,
        "stdout_visibility": "hidden",
        "extra_data": {"takehome": _extra(report)},
        "tests": entries,
    }


def _test_entries(cases: Sequence[TestCase], visibility: str) -> list[dict[str, Any]]:
    """One entry a hidden test; a failure's message only where the test is not visible."""
    entries: list[dict[str, Any]] = []
    for n, case in enumerate(cases, start=1):
        output = f"{case.outcome.value}{_runs_note(case)}"
        if visibility != "visible" and case.message:
            output += f"\n\n{case.message}"
        entries.append(
            {
                "name": case.id,
                "number": f"1.{n}",
                "score": case.points if case.outcome is TestOutcome.PASSED else 0.0,
                "max_score": case.points,
                "output": output,
                "tags": ["hidden-test", case.outcome.value, *(["flaky"] if case.flaky else [])],
                "visibility": visibility,
            }
        )
    return entries


def _runs_note(case: TestCase) -> str:
    """How a repeated grading's runs went (outcomes only, never a message): ` (flaky: passed
    2/3 runs)`; nothing for a single run."""
    if not case.runs:
        return ""
    passed = sum(o is TestOutcome.PASSED for o in case.runs)
    flaky = "flaky: " if case.flaky else ""
    return f" ({flaky}passed {passed}/{len(case.runs)} runs)"


def _category_entries(report: Report, visibility: str) -> list[dict[str, Any]]:
    """One unscored entry a category of the report, in the categories' order."""
    return [
        {
            "name": f"category: {name}",
            "number": f"2.{n}",
            "output": f"{result.score:.1f} / 100 (weight {result.weight:g}): {result.summary}",
            "tags": ["category", name],
            "visibility": visibility,
        }
        for n, name in enumerate(CATEGORIES, start=1)
        if (result := report.categories.get(name)) is not None
    ]


def _extra(report: Report) -> dict[str, Any]:
    """What students never see: the schema version and the run's verdicts."""
    return {
        "schema_version": report.schema_version,
        "verdicts": [v.model_dump(mode="json") for v in report.verdicts],
        "category_verdicts": {
            name: [v.model_dump(mode="json") for v in r.verdicts]
            for name, r in report.categories.items()
            if r.verdicts
        },
    }
