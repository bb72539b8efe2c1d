"""No outcome leaks into the model, and the candidate's own estimate is an honest one."""

import numpy as np
import pytest

from _metrics import ramp, roc_auc
from _run import answer, case, held_out

FULL_ESTIMATE_GAP, ZERO_ESTIMATE_GAP = 0.035, 0.08


def test_account_closed_at_is_not_a_feature():
    # The same customers, once with and once without a close date: a model that learnt from
    # the column (it is only filled once a customer has left) scores them differently.
    prob = answer().probability
    pairs = case().leak_pairs
    plain = prob[[a for a, _ in pairs]]
    dated = prob[[b for _, b in pairs]]
    changed = int(np.sum(~np.isclose(plain, dated, rtol=0, atol=1e-9)))
    assert changed == 0, f"{changed} of {len(pairs)} customers change score with a close date"


def test_estimated_auc_matches_held_out(record_property):
    estimate = answer().raw["estimated_auc"]
    assert isinstance(estimate, float | int) and not isinstance(estimate, bool), estimate
    prob, _, _, churned = held_out()
    actual = roc_auc(churned, prob)
    gap = abs(float(estimate) - actual)
    record_property("estimated_auc", round(float(estimate), 4))
    record_property("held_out_auc", round(actual, 4))
    credit = ramp(gap, ZERO_ESTIMATE_GAP, FULL_ESTIMATE_GAP)
    if credit == 0.0:
        pytest.fail(f"estimated ROC AUC {float(estimate):.3f}, on held-out customers {actual:.3f}")
    record_property("score", credit)
