"""`takehome challenges validate`: a challenge proves it separates good work from bad.

It grades the reference solution, the starter and every flawed variant, and checks: the reference
scores at least `REFERENCE_MIN`, the starter at most `STARTER_MAX`, and each variant scores below
the reference in the category it names (and at most its `max_score` there, when it sets one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graders.model import Report
from runner.challenge import Challenge, Variant
from runner.pipeline import Pipeline

__all__ = ["REFERENCE_MIN", "STARTER_MAX", "Outcome", "validate_challenge"]

REFERENCE_MIN = 90.0
STARTER_MAX = 25.0


@dataclass(frozen=True)
class Outcome:
    """One graded solution of a challenge and whether it met its expectation."""

    name: str
    report: Report
    expectation: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the expectation held."""
        return not self.problems


def validate_challenge(
    challenge: Challenge, pipeline: Pipeline, on_graded: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Grade reference, starter and variants; return one `Outcome` each (reference first)."""

    def emit(outcome: Outcome) -> Outcome:
        if on_graded:
            on_graded(outcome)
        return outcome

    reference = pipeline.grade(challenge, challenge.reference())
    low = reference.score < REFERENCE_MIN
    outcomes = [
        emit(
            Outcome(
                "reference",
                reference,
                f"total >= {REFERENCE_MIN:g}",
                (f"reference scored {reference.score:.1f}",) if low else (),
            )
        )
    ]
    starter = pipeline.grade(challenge, challenge.starter())
    high = starter.score > STARTER_MAX
    outcomes.append(
        emit(
            Outcome(
                "starter",
                starter,
                f"total <= {STARTER_MAX:g}",
                (f"starter scored {starter.score:.1f}",) if high else (),
            )
        )
    )
    outcomes.extend(
        emit(_variant(challenge, pipeline, v, reference)) for v in challenge.variants()
    )
    return outcomes


def _variant(
    challenge: Challenge, pipeline: Pipeline, variant: Variant, reference: Report
) -> Outcome:
    category = variant.manifest.category
    cap = variant.manifest.category_max
    report = pipeline.grade(challenge, variant.snapshot())
    got, ref = report.categories[category].score, reference.categories[category].score
    problems = []
    if got >= ref:
        problems.append(f"{category} {got:.1f} is not below the reference's {ref:.1f}")
    if cap is not None and got > cap:
        problems.append(f"{category} {got:.1f} is above category_max {cap:g}")
    expectation = f"{category} < reference" + (f" and <= {cap:g}" if cap is not None else "")
    return Outcome(f"variant {variant.name}", report, expectation, tuple(problems))
