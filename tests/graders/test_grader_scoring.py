"""Combining category results into the report score."""

from __future__ import annotations

import math

import pytest

from graders.model import CategoryResult
from graders.scoring import DEFAULT_WEIGHTS, combine


def _results(**scores: float) -> dict[str, CategoryResult]:
    return {n: CategoryResult(name=n, score=s, summary="") for n, s in scores.items()}


def test_weighted_mean_and_weights_set() -> None:
    results = _results(tests=80, coverage=60, style=100, complexity=50, security=0)
    score, weighted = combine(results, DEFAULT_WEIGHTS)
    # style (100) counts only as much as the tests score (80): the gate.
    assert score == pytest.approx((80 * 50 + 60 * 15 + 80 * 10 + 50 * 10 + 0 * 15) / 100)
    assert {n: r.weight for n, r in weighted.items()} == DEFAULT_WEIGHTS
    assert {n: r.counted_score for n, r in weighted.items()} == {
        "tests": 80,
        "coverage": 60,
        "style": 80,
        "complexity": 50,
        "security": 0,
    }
    assert weighted["style"].score == 100  # the category's own score is reported unchanged
    assert results["tests"].weight == 0.0  # the inputs are not modified


def test_gate_caps_quality_by_tests() -> None:
    score, weighted = combine(_results(tests=10, style=100, security=100), DEFAULT_WEIGHTS)
    assert score == pytest.approx(10.0)
    assert weighted["security"].counted_score == 10


def test_no_gate_without_tests_weight() -> None:
    score, weighted = combine(_results(tests=0, style=100), {"tests": 0, "style": 1})
    assert score == 100.0
    assert weighted["style"].counted_score == 100


def test_only_present_categories_count() -> None:
    score, weighted = combine(_results(tests=40, style=100), {"tests": 3, "style": 1, "x": 9})
    assert score == pytest.approx(40.0)  # style counts min(100, 40)
    assert set(weighted) == {"tests", "style"}


def test_unweighted_category_weighs_zero() -> None:
    score, weighted = combine(_results(tests=40, style=100), {"tests": 1})
    assert score == 40.0
    assert weighted["style"].weight == 0.0


@pytest.mark.parametrize(
    "weights",
    [{"tests": -1.0, "style": 2.0}, {"tests": 0.0, "style": 0.0}, {}, {"tests": math.nan}],
)
def test_bad_weights(weights: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="weight"):
        combine(_results(tests=50, style=50), weights)
