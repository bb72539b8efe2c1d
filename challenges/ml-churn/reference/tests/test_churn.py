"""The pipeline on the sample export and on hand-made rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from churn import fit_predict
from churn.decide import THRESHOLD, contact
from churn.features import CATEGORICAL, MISSING, frame, labels, preprocessor
from churn.io import read_rows
from churn.model import C_GRID, cross_validated

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "churn_sample.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return read_rows(SAMPLE)[:500]


def _score_rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    # 100 customers, then the first ten again with a close date (known only after churn).
    dated = [{**row, "account_closed_at": "2026-07-01"} for row in rows[400:410]]
    return [*rows[400:], *dated]


@pytest.fixture(scope="module")
def answer(rows: list[dict[str, object]]) -> dict[str, object]:
    return fit_predict(rows[:400], _score_rows(rows), seed=3)


def test_read_rows_types_values(rows: list[dict[str, object]]) -> None:
    first = rows[0]
    assert isinstance(first["tenure_months"], int)
    assert first["churned"] in (0, 1)
    assert any(row["days_since_last_login"] is None for row in rows)
    assert all(isinstance(row["monthly_fee"], float | type(None)) for row in rows)


def test_frame_normalises_and_fills_categories() -> None:
    features = frame([{"plan": " Premium ", "contract": "", "tenure_months": "12"}])
    assert features.loc[0, "plan"] == "premium"
    assert features.loc[0, "contract"] == MISSING
    assert features.loc[0, "region"] == MISSING
    assert features.loc[0, "tenure_months"] == 12.0
    assert math.isnan(features.loc[0, "monthly_fee"])
    assert features.loc[0, "log_tenure"] == pytest.approx(math.log1p(1.0))


def test_frame_leaves_out_the_close_date_and_the_id() -> None:
    features = frame([{"customer_id": "C1", "account_closed_at": "2026-07-01"}])
    assert "account_closed_at" not in features.columns
    assert "customer_id" not in features.columns
    assert set(CATEGORICAL) <= set(features.columns)


def test_labels() -> None:
    assert labels([{"churned": 1}, {"churned": 0}]).tolist() == [1, 0]


def test_preprocessor_ignores_unknown_categories(rows: list[dict[str, object]]) -> None:
    fitted = preprocessor().fit(frame(rows))
    unseen = frame([{"plan": "enterprise", "region": "islands", "contract": "ten-year"}])
    assert np.all(np.isfinite(fitted.transform(unseen)))


def test_contact_follows_the_cost_ratio() -> None:
    assert THRESHOLD == pytest.approx(0.2)
    assert contact([0.1, 0.2, 0.21, 0.9]) == [False, False, True, True]


def test_cross_validation_picks_from_the_grid(rows: list[dict[str, object]]) -> None:
    best, estimate = cross_validated(frame(rows), labels(rows), seed=1)
    assert best in C_GRID
    assert 0.5 < estimate <= 1.0


def test_fit_predict_answers_every_row(answer: dict[str, object]) -> None:
    prob = answer["churn_probability"]
    assert isinstance(prob, list) and len(prob) == 110
    assert all(0.0 < p < 1.0 for p in prob)
    assert answer["contact"] == [p > THRESHOLD for p in prob]
    assert isinstance(answer["estimated_auc"], float)


def test_fit_predict_is_reproducible(
    rows: list[dict[str, object]], answer: dict[str, object]
) -> None:
    assert fit_predict(rows[:400], _score_rows(rows), seed=3) == answer


def test_close_date_does_not_change_a_score(answer: dict[str, object]) -> None:
    prob = answer["churn_probability"]
    assert isinstance(prob, list)
    assert prob[100:] == pytest.approx(prob[:10], abs=1e-12)


def test_no_score_rows(rows: list[dict[str, object]]) -> None:
    answer = fit_predict(rows[:200], [], seed=0)
    assert answer["churn_probability"] == []
    assert answer["contact"] == []


def test_no_training_rows() -> None:
    with pytest.raises(ValueError, match="no training rows"):
        fit_predict([], [{"plan": "basic"}], seed=0)
