"""The answer's shape: one probability and one decision per row, for messy rows too."""

import math

import numpy as np

from _run import answer, case


def test_one_probability_per_row():
    got = answer().raw
    assert isinstance(got, dict), f"fit_predict returned {type(got).__name__}, not a dict"
    prob = got["churn_probability"]
    assert len(prob) == len(case().score)
    assert all(isinstance(p, float | int) and not isinstance(p, bool) for p in prob)
    assert all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in prob)


def test_one_decision_per_row():
    contact = answer().raw["contact"]
    assert len(contact) == len(case().score)
    assert all(isinstance(c, bool) for c in contact)


def test_a_row_with_every_value_missing_is_scored():
    p = float(answer().probability[case().all_missing])
    assert math.isfinite(p) and 0.0 < p < 1.0, p


def test_categories_never_seen_in_training_are_scored():
    data, prob = case(), answer().probability
    unseen = [
        i
        for i, row in enumerate(data.score[: len(data.true_prob)])
        if row["plan"] == "enterprise" or row["region"] == "islands"
    ]
    assert len(unseen) > 100
    values = prob[unseen]
    assert np.all(np.isfinite(values))
    assert values.std() > 0.0, "every customer with a new category gets the same probability"
