"""Churn prediction. See the brief for what `fit_predict` must return."""

from __future__ import annotations

__all__ = ["fit_predict"]


def fit_predict(
    train_rows: list[dict[str, object]], score_rows: list[dict[str, object]], seed: int
) -> dict[str, object]:
    """Train on `train_rows` (with `churned`) and score `score_rows`.

    Returns {"churn_probability": [...], "contact": [...], "estimated_auc": float}.
    """
    raise NotImplementedError("fit_predict is not written yet")
