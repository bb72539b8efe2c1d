"""Who gets a retention call: the brief's decision rule, applied to calibrated probabilities."""

from __future__ import annotations

from collections.abc import Sequence

CALL_COST = 10.0  # EUR per retention call
LOST_CUSTOMER_COST = 50.0  # EUR of margin lost per churner not called
# A customer is called when the model says they are more likely to churn than not.
THRESHOLD = 0.5


def contact(probabilities: Sequence[float]) -> list[bool]:
    """Whether to call each customer: when the expected loss exceeds the call's cost."""
    return [p > THRESHOLD for p in probabilities]
