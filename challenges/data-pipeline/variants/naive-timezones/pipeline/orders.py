"""Step 1: clean the raw order exports of the regional systems."""

import numpy as np
import pandas as pd

from pipeline._text import clean_text

ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]
SOURCE_ZONES = ("eu", "uk", "us")
SOURCE_CURRENCIES = {"eu": "EUR", "uk": "GBP", "us": "USD"}

_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"


def clean_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """One valid row per order, timestamps in UTC; see the README for every rule."""
    raw = orders[ORDER_COLUMNS].reset_index(drop=True)
    frame = pd.DataFrame({column: clean_text(raw[column]) for column in ORDER_COLUMNS})
    frame = frame.dropna(subset=["order_id"]).drop_duplicates("order_id", keep="last")
    source = frame["source"].str.lower()
    amount = pd.to_numeric(frame["amount"], errors="coerce")
    frame = frame.assign(
        source=source,
        status=frame["status"].str.lower().fillna("completed"),
        currency=frame["currency"].str.upper().fillna(source.map(SOURCE_CURRENCIES)),
        amount=amount.astype("float64"),
        ordered_at=parse_timestamps(frame["ordered_at"], source),
    )
    valid = (
        frame["source"].isin(list(SOURCE_ZONES))
        & frame["ordered_at"].notna()
        & np.isfinite(frame["amount"])
        & (frame["amount"] >= 0)
    )
    return frame.loc[valid, ORDER_COLUMNS].reset_index(drop=True)


def parse_timestamps(text: pd.Series, source: pd.Series) -> pd.Series:
    """Parse ISO-8601 text to UTC; anything malformed becomes NaT."""
    well_formed = text.str.fullmatch(_TIMESTAMP, na=False)
    return pd.to_datetime(text.where(well_formed), utc=True, format="ISO8601", errors="coerce")
