"""From raw customer rows to the model's input: only what is known at prediction time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

LABEL = "churned"
# Known when we score a customer. `account_closed_at` is written after the customer has churned
# (it is the outcome, recorded late) and `customer_id` is an identifier: neither is a feature.
NUMERIC = ["tenure_months", "monthly_fee", "support_tickets_90d", "days_since_last_login"]
CATEGORICAL = ["plan", "contract", "payment_method", "autopay", "region"]
MISSING = "missing"


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The feature columns of `rows` as a DataFrame: numbers as floats (NaN when missing or not
    a number), categories as trimmed lower-case text ("missing" when absent)."""
    raw = pd.DataFrame.from_records(rows)
    out = pd.DataFrame(index=raw.index)
    for column in NUMERIC:
        values = raw[column] if column in raw else pd.Series(np.nan, index=raw.index)
        out[column] = pd.to_numeric(values, errors="coerce").astype(float)
    out["log_tenure"] = np.log1p(out["tenure_months"].clip(lower=0) / 12.0)
    for column in CATEGORICAL:
        values = raw[column] if column in raw else pd.Series(None, index=raw.index)
        text = values.astype("string").str.strip().str.lower()
        out[column] = text.mask(text.isna() | (text == ""), MISSING).astype(object)
    return out


def labels(rows: list[dict[str, object]]) -> np.ndarray:
    """The 0/1 outcome of training rows."""
    return np.array([int(row[LABEL]) for row in rows])  # type: ignore[call-overload]


def preprocessor() -> ColumnTransformer:
    """Median imputation with missing-value indicators (a missing login date is a signal),
    scaling, and one-hot categories that tolerate values never seen in training."""
    numeric = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    categorical = OneHotEncoder(handle_unknown="ignore", min_frequency=20)
    return ColumnTransformer(
        [
            ("numeric", numeric, [*NUMERIC, "log_tenure"]),
            ("categorical", categorical, CATEGORICAL),
        ]
    )
