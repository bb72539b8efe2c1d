"""Combining category results into one score: a gated weighted mean (see the README, "Scoring").

The gate: quality categories (coverage, style, complexity, security) count at most as much as
the hidden-tests score. Otherwise an untouched starter (little code, so nothing to flag) would
collect most of the quality points; code that does not work earns no points for being tidy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from graders.model import CategoryResult

__all__ = ["DEFAULT_WEIGHTS", "GATE", "combine"]

#: Category weights used when a challenge does not set its own (they need not sum to 100).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "tests": 50.0,
    "coverage": 15.0,
    "style": 10.0,
    "complexity": 10.0,
    "security": 15.0,
}


#: The category whose score caps the others' counted scores.
GATE = "tests"


def combine(
    results: Mapping[str, CategoryResult], weights: Mapping[str, float]
) -> tuple[float, dict[str, CategoryResult]]:
    """The gated weighted mean of the category scores, and the results with `weight` and
    `counted_score` set.

    Only categories present in `results` count; a category without a weight weighs 0. When the
    `GATE` category is present with a positive weight, every other category counts
    `min(score, gate score)`. Raises `ValueError` if a weight is negative or not finite, or if
    the counted weights sum to 0.
    """
    total = _checked_total(results, weights)
    gate = results.get(GATE)
    cap = gate.score if gate is not None and weights.get(GATE, 0.0) > 0 else 100.0
    weighted = {
        name: result.model_copy(
            update={
                "weight": weights.get(name, 0.0),
                "counted_score": result.score if name == GATE else min(result.score, cap),
            }
        )
        for name, result in results.items()
    }
    score = sum((r.counted_score or 0.0) * r.weight for r in weighted.values()) / total
    return max(0.0, min(100.0, score)), weighted


def _checked_total(results: Mapping[str, CategoryResult], weights: Mapping[str, float]) -> float:
    """The sum of the counted weights; `ValueError` for a bad weight or a zero sum."""
    bad = [(n, w) for n, w in weights.items() if not math.isfinite(w) or w < 0]
    if bad:
        name, weight = bad[0]
        raise ValueError(f"weight of {name!r} must be a non-negative number, got {weight!r}")
    total = sum(weights.get(name, 0.0) for name in results)
    if total <= 0:
        raise ValueError(f"the weights of {sorted(results)} must have a positive sum")
    return total
