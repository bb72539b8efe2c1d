"""Probabilities that mean what they say, and call decisions that follow the brief's costs.

Both are judged against the true churn probabilities of the held-out customers (the tests know
the process that made the data), which is far less noisy than judging against outcomes.
"""

import numpy as np
import pytest

from _metrics import BEST_THRESHOLD, calibration_error, expected_cost, ramp
from _run import case, held_out

# Reference: calibration error 0.002-0.006, cost 8-11% of the way from the best decisions to
# calling nobody. A 0.5 threshold: 73-78% of that way; class weights: calibration error > 0.1.
FULL_CALIBRATION, ZERO_CALIBRATION = 0.015, 0.04
GROUP_GAP = 0.04
FULL_REGRET, ZERO_REGRET = 0.2, 0.6


def test_probabilities_are_calibrated(record_property):
    prob, _, true_prob, _ = held_out()
    error = calibration_error(prob, true_prob)
    record_property("calibration_error", round(error, 4))
    credit = ramp(error, ZERO_CALIBRATION, FULL_CALIBRATION)
    if credit == 0.0:
        pytest.fail(f"predicted and true probabilities differ by {error:.3f} on average")
    record_property("score", credit)


def test_calibrated_for_customers_with_missing_values():
    # A missing `days_since_last_login` means the customer never used the app: a churn signal.
    prob, _, true_prob, _ = held_out()
    rows = case().score[: len(true_prob)]
    group = np.array([row["days_since_last_login"] is None for row in rows])
    got, truth = float(prob[group].mean()), float(true_prob[group].mean())
    assert abs(got - truth) <= GROUP_GAP, (
        f"customers without a login date: predicted {got:.3f} on average, truly {truth:.3f}"
    )


def test_call_decisions_cost_little(record_property):
    _, contact, true_prob, _ = held_out()
    got = expected_cost(contact, true_prob)
    best = expected_cost(true_prob > BEST_THRESHOLD, true_prob)
    nobody = expected_cost(np.zeros(len(true_prob), dtype=bool), true_prob)
    regret = (got - best) / (nobody - best)
    record_property("cost_per_customer", round(got, 3))
    record_property("best_cost_per_customer", round(best, 3))
    credit = ramp(regret, ZERO_REGRET, FULL_REGRET)
    if credit == 0.0:
        pytest.fail(
            f"expected cost {got:.2f} EUR per customer; best {best:.2f}, calling nobody"
            f" {nobody:.2f}; {int(contact.sum())} of {len(contact)} called"
        )
    record_property("score", credit)
