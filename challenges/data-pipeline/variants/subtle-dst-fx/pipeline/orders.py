"""Step 1: clean the raw order exports of the regional systems."""

import numpy as np
import pandas as pd

from pipeline._text import clean_text

ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]
SOURCE_ZONES = {"eu": "Europe/Berlin", "uk": "Europe/London", "us": "America/New_York"}
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
    """Parse ISO-8601 text to UTC; naive values are local time of their source system.

    Ambiguous local times (DST fall-back) are read as standard time, and local times that do
    not exist (DST spring-forward) move forward to the first valid instant. Anything
    malformed becomes NaT. `text` and `source` share one index without repeated labels.
    """
    well_formed = text.str.fullmatch(_TIMESTAMP, na=False)
    zulu = text.str.endswith("Z", na=False)
    has_offset = well_formed & (zulu | text.str.slice(-6, -5).isin(["+", "-"]))
    naive = well_formed & ~has_offset
    local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
    parts = [pd.to_datetime(text[has_offset], utc=True, format="ISO8601", errors="coerce")]
    parts += [_localize(local[source[naive] == name], zone) for name, zone in SOURCE_ZONES.items()]
    return pd.concat(parts).reindex(text.index)


def _localize(local: pd.Series, zone: str) -> pd.Series:
    standard = np.zeros(len(local), dtype=bool)
    aware = local.dt.tz_localize(zone, ambiguous=standard, nonexistent="shift_forward")
    return aware.dt.tz_convert("UTC")
