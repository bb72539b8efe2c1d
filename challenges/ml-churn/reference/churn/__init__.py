"""Churn prediction: `fit_predict(train_rows, score_rows, seed)`, see the README."""

from __future__ import annotations

from churn.api import fit_predict

__all__ = ["fit_predict"]
