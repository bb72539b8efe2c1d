"""The one entry point the brief asks for: train on labelled rows, score unlabelled ones."""

from __future__ import annotations

from churn.decide import contact
from churn.features import frame, labels
from churn.model import fit


def fit_predict(
    train_rows: list[dict[str, object]], score_rows: list[dict[str, object]], seed: int
) -> dict[str, object]:
    """Train on `train_rows` (with `churned`), score `score_rows`; deterministic for a seed."""
    if not train_rows:
        raise ValueError("no training rows")
    model, estimate = fit(frame(train_rows), labels(train_rows), seed)
    if not score_rows:
        return {"churn_probability": [], "contact": [], "estimated_auc": estimate}
    probabilities = [float(p) for p in model.predict_proba(frame(score_rows))[:, 1]]
    return {
        "churn_probability": probabilities,
        "contact": contact(probabilities),
        "estimated_auc": estimate,
    }
