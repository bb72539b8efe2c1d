"""The churn model: the better of a logistic regression and a random forest."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline

from churn.features import preprocessor


def candidates(seed: int) -> list[Pipeline]:
    """The models compared: preprocessing, then a linear or a tree ensemble classifier."""
    return [
        make_pipeline(preprocessor(), LogisticRegression(C=1.0, max_iter=2000)),
        make_pipeline(preprocessor(), RandomForestClassifier(n_estimators=150, random_state=seed)),
    ]


def fit(features: pd.DataFrame, y: np.ndarray, seed: int) -> tuple[Pipeline, float]:
    """The model with the best ROC AUC, and that AUC as the estimate of its quality."""
    best, best_auc = None, -1.0
    for model in candidates(seed):
        model.fit(features, y)
        auc = float(roc_auc_score(y, model.predict_proba(features)[:, 1]))
        if auc > best_auc:
            best, best_auc = model, auc
    if best is None:
        raise ValueError("no model")
    return best, best_auc
