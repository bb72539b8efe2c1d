"""Rubric arithmetic: the rubric score, the calibration of several reviewers, disagreements.

A reviewer's level on a criterion is scaled to 0-100 between the criterion's lowest and highest
level score (`scaled`). The rubric score of a submission is the weighted mean of every scaled
level of every submitted review (criterion weights; each reviewer counts once per criterion).
The automated score is never changed: a challenge's `[weights] rubric` only makes a separate
"overall with rubric" figure, `(score * W + rubric * w) / (W + w)` with `W` the sum of the
category weights and `w` the rubric weight.

Reviewers disagree on a submission when, on some criterion, their levels are two or more level
steps apart (steps: positions in the criterion's sorted levels, not score differences), or when
one recommends yes (`strong_yes`, `yes`) and another no (`no`, `strong_no`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from runner._manifest import RubricCriterion, Weights

__all__ = [
    "CriterionSpread",
    "overall_with_rubric",
    "recommendation_counts",
    "rubric_score",
    "scaled",
    "spreads",
    "why_flagged",
]

_RECOMMENDATIONS = ("strong_yes", "yes", "no", "strong_no")
_YES = frozenset({"strong_yes", "yes"})
_FLAG_STEPS = 2

#: One reviewer's levels: criterion id -> level score.
Levels = Mapping[str, int]


def scaled(criterion: RubricCriterion, score: int) -> float:
    """A level score on 0-100 between the criterion's lowest and highest level (clamped)."""
    span = criterion.high - criterion.low
    return max(0.0, min(100.0, (score - criterion.low) * 100.0 / span))


def rubric_score(rubric: Sequence[RubricCriterion], reviews: Iterable[Levels]) -> float | None:
    """The weighted mean of every reviewer's scaled levels, or None without any level."""
    total = weight = 0.0
    for levels in reviews:
        for criterion in rubric:
            if criterion.id in levels:
                total += criterion.weight * scaled(criterion, levels[criterion.id])
                weight += criterion.weight
    return round(total / weight, 1) if weight else None


def overall_with_rubric(
    score: float | None, rubric: float | None, weights: Weights
) -> float | None:
    """The automated score with the rubric score folded in, or None when the challenge does not
    fold it in (`[weights] rubric` is 0) or either score is missing."""
    if score is None or rubric is None or weights.rubric <= 0:
        return None
    categories = sum(weights.as_dict().values())
    return round((score * categories + rubric * weights.rubric) / (categories + weights.rubric), 1)


def recommendation_counts(recommendations: Iterable[str | None]) -> dict[str, int]:
    """How many reviewers recommended each value, in scale order (every value present)."""
    found = list(recommendations)
    return {value: found.count(value) for value in _RECOMMENDATIONS}


@dataclass(frozen=True)
class CriterionSpread:
    """Each reviewer's level on one criterion, and how far apart they are (in level steps)."""

    criterion: RubricCriterion
    levels: tuple[tuple[str, int], ...]
    """(reviewer, level score), in the order the reviews were given."""

    @property
    def steps(self) -> int:
        """The distance between the lowest and the highest level given, in level steps."""
        positions = [self._position(score) for _who, score in self.levels]
        return max(positions) - min(positions) if positions else 0

    @property
    def flagged(self) -> bool:
        """Whether the reviewers are two or more level steps apart."""
        return self.steps >= _FLAG_STEPS

    def _position(self, score: int) -> int:
        scores = [level.score for level in self.criterion.levels]
        return scores.index(score) if score in scores else 0


def spreads(
    rubric: Sequence[RubricCriterion], reviews: Sequence[tuple[str, Levels]]
) -> list[CriterionSpread]:
    """Per criterion of the rubric, every reviewer's level (reviews: (reviewer, levels))."""
    return [
        CriterionSpread(
            criterion,
            tuple(
                (who, levels[criterion.id]) for who, levels in reviews if criterion.id in levels
            ),
        )
        for criterion in rubric
    ]


def why_flagged(
    rubric: Sequence[RubricCriterion],
    reviews: Sequence[tuple[str, Levels]],
    recommendations: Iterable[str | None],
) -> list[str]:
    """Why reviewers disagree on a submission (empty when they do not)."""
    reasons = [
        f"{spread.criterion.id}: {spread.steps} levels apart"
        for spread in spreads(rubric, reviews)
        if spread.flagged
    ]
    given = {r for r in recommendations if r is not None}
    if given & _YES and given - _YES:
        reasons.append("recommendations split between yes and no")
    return reasons
