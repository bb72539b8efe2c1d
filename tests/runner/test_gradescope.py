"""Gradescope `results.json` against the fields and values of gradescope/autograder_samples
docs/specs.md ("Output format" and "Controlling Test Case Visibility"), under each policy."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest

from graders.model import CategoryResult, Report, TestCase, TestOutcome, Verdict, VerdictKind
from runner._manifest import FeedbackSpec
from runner.gradescope import VISIBILITIES, report_gradescope

# The spec's fields, each with the JSON types it allows.
TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "score": (int, float),
    "execution_time": (int, float),
    "output": (str,),
    "visibility": (str,),
    "stdout_visibility": (str,),
    "extra_data": (dict,),
    "tests": (list,),
    "leaderboard": (list,),
}
PER_TEST: dict[str, tuple[type, ...]] = {
    "score": (int, float),
    "max_score": (int, float),
    "name": (str,),
    "number": (str,),
    "output": (str,),
    "tags": (list,),
    "visibility": (str,),
    "extra_data": (dict,),
}
SPEC_VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
SECRET = "assert evaluate('2+3*4') == 14 HIDDEN-DETAIL"
POLICIES = get_args(FeedbackSpec.model_fields["policy"].annotation)


def _report() -> Report:
    tests = CategoryResult(
        name="tests",
        score=50,
        summary="1 of 2",
        tests=(
            TestCase(id="tests/test_a.py::test_ok", outcome=TestOutcome.PASSED, points=2),
            TestCase(id="tests/test_a.py::test_bad", outcome=TestOutcome.FAILED, message=SECRET),
        ),
        verdicts=(Verdict(kind=VerdictKind.TIMED_OUT, step="tests.hidden", detail="slow"),),
    )
    style = CategoryResult(name="style", score=80, summary="2 findings", weight=10)
    return Report(score=61.5, categories={"tests": tests, "style": style})


def _check_fields(data: dict[str, Any], spec: dict[str, tuple[type, ...]]) -> None:
    assert set(data) <= set(spec), set(data) - set(spec)
    for key, value in data.items():
        assert isinstance(value, spec[key]), (key, value)
        assert not isinstance(value, bool)
    for key in ("visibility", "stdout_visibility"):
        if key in data:
            assert data[key] in SPEC_VISIBILITIES


def test_our_visibilities_are_the_specs() -> None:
    assert set(VISIBILITIES) == SPEC_VISIBILITIES


@pytest.mark.parametrize("policy", POLICIES)
def test_results_have_only_the_specs_fields(policy: str) -> None:
    results = json.loads(json.dumps(report_gradescope(_report(), policy)))
    _check_fields(results, TOP_LEVEL)
    # With a top-level score each test's is optional, and it overrides the tests' total.
    assert results["score"] == 61.5
    for test in results["tests"]:
        _check_fields(test, PER_TEST)
        assert all(isinstance(tag, str) for tag in test["tags"])
    hidden = [t for t in results["tests"] if "hidden-test" in t["tags"]]
    assert [(t["name"], t["score"], t["max_score"]) for t in hidden] == [
        ("tests/test_a.py::test_ok", 2.0, 2.0),
        ("tests/test_a.py::test_bad", 0.0, 1.0),
    ]
    assert len({t["number"] for t in results["tests"]}) == len(results["tests"])


def test_visibility_follows_the_feedback_policy() -> None:
    def of(policy: str) -> dict[str, Any]:
        results = report_gradescope(_report(), policy)
        tests = {t["name"]: t for t in results["tests"]}
        return {
            "top": results["visibility"],
            "test": tests["tests/test_a.py::test_bad"]["visibility"],
            "category": tests["category: style"]["visibility"],
            "output": tests["tests/test_a.py::test_bad"]["output"],
        }

    status, visible, scores = of("status"), of("visible_tests"), of("scores")
    assert (status["top"], status["test"], status["category"]) == ("after_published",) * 3
    assert (visible["test"], visible["category"]) == ("visible", "after_published")
    assert (scores["top"], scores["test"], scores["category"]) == ("visible",) * 3
    # A visible test shows its outcome, never the hidden test's message; instructors see it
    # in a test shown only once the grades are published.
    assert visible["output"] == scores["output"] == "failed"
    assert SECRET in status["output"]


def test_verdicts_stay_in_extra_data() -> None:
    results = report_gradescope(_report(), "scores")
    shown = json.dumps([results["output"], [t["output"] for t in results["tests"]]])
    assert "timed_out" not in shown
    verdicts = results["extra_data"]["takehome"]["category_verdicts"]["tests"]
    assert verdicts[0]["kind"] == "timed_out"
