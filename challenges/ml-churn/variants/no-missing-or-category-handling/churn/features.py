"""From raw customer rows to the model's input: the numeric columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

LABEL = "churned"
NUMERIC = ["tenure_months", "monthly_fee", "support_tickets_90d", "days_since_last_login"]


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The numeric columns of `rows` as floats; an empty cell is 0."""
    raw = pd.DataFrame.from_records(rows)
    return raw[NUMERIC].apply(pd.to_numeric, errors="coerce").fillna(0.0)


def labels(rows: list[dict[str, object]]) -> np.ndarray:
    """The 0/1 outcome of training rows."""
    return np.array([int(row[LABEL]) for row in rows])  # type: ignore[call-overload]


def preprocessor() -> StandardScaler:
    """Every column on the same scale."""
    return StandardScaler()
