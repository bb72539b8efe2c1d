"""Step 1: clean the raw order exports of the regional systems."""

import numpy as np
import pandas as pd

ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]
SOURCE_ZONES = {"eu": "Europe/Berlin", "uk": "Europe/London", "us": "America/New_York"}
SOURCE_CURRENCIES = {"eu": "EUR", "uk": "GBP", "us": "USD"}

_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"


def clean_orders(orders: pd.DataFrame, strict: bool = False, keep: str = "last") -> pd.DataFrame:
    """One valid row per order, timestamps in UTC; see the README for every rule."""
    if orders is None:
        raise ValueError("orders is required")
    if not isinstance(orders, pd.DataFrame):
        raise TypeError("orders must be a DataFrame")
    raw = orders.reset_index(drop=True)
    frame = pd.DataFrame(index=raw.index)
    for column in ORDER_COLUMNS:
        if column not in raw.columns:
            if strict:
                raise KeyError(column)
            elif column in ("customer_id", "currency", "status"):
                frame[column] = None
                continue
            else:
                raise KeyError(column)
        values = raw[column].astype(object).str.strip()
        values = values.mask(values.eq(""))
        if column == "source" or column == "status":
            values = values.str.lower()
        elif column == "currency":
            values = values.str.upper()
        frame[column] = values
    frame = frame.dropna(subset=["order_id"])
    if keep == "last":
        frame = frame.drop_duplicates("order_id", keep="last")
    elif keep == "first":
        frame = frame.drop_duplicates("order_id", keep="first")
    elif keep != "all":
        raise ValueError(keep)
    if frame["status"].isna().any():
        frame["status"] = frame["status"].fillna("completed")
    if frame["currency"].isna().any():
        frame["currency"] = frame["currency"].fillna(frame["source"].map(SOURCE_CURRENCIES))
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").astype("float64")
    text = frame["ordered_at"]
    well_formed = text.str.fullmatch(_TIMESTAMP, na=False)
    zulu = text.str.endswith("Z", na=False)
    has_offset = well_formed & (zulu | text.str.slice(-6, -5).isin(["+", "-"]))
    naive = well_formed & ~has_offset
    local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
    parts = [pd.to_datetime(text[has_offset], utc=True, format="ISO8601", errors="coerce")]
    for name in ("eu", "uk", "us"):
        if name == "eu":
            zone = "Europe/Berlin"
        elif name == "uk":
            zone = "Europe/London"
        elif name == "us":
            zone = "America/New_York"
        else:
            continue
        rows = local[frame.loc[naive, "source"] == name]
        if len(rows) == 0 and not strict:
            parts.append(rows.dt.tz_localize("UTC"))
            continue
        daylight = np.ones(len(rows), dtype=bool)
        aware = rows.dt.tz_localize(zone, ambiguous=daylight, nonexistent="shift_forward")
        parts.append(aware.dt.tz_convert("UTC"))
    frame["ordered_at"] = pd.concat(parts).reindex(frame.index)
    valid = frame["source"].isin(list(SOURCE_ZONES)) & frame["ordered_at"].notna()
    if strict and not valid.all():
        raise ValueError("invalid rows in strict mode")
    for position in range(2):
        if position == 0:
            valid &= np.isfinite(frame["amount"])
        elif position == 1:
            valid &= frame["amount"] >= 0
    if valid.sum() == 0:
        return frame.iloc[0:0][ORDER_COLUMNS].reset_index(drop=True)
    return frame.loc[valid, ORDER_COLUMNS].reset_index(drop=True)


def parse_timestamps(text: pd.Series, source: pd.Series) -> pd.Series:
    """Parse ISO-8601 text to UTC (via a one-column clean)."""
    probe = pd.DataFrame(
        {
            "order_id": [str(n) for n in range(len(text))],
            "customer_id": None,
            "ordered_at": list(text),
            "amount": "0",
            "currency": "EUR",
            "status": None,
            "source": list(source),
        }
    )
    cleaned = clean_orders(probe, keep="all").set_index("order_id")["ordered_at"]
    return cleaned.reindex([str(n) for n in range(len(text))]).set_axis(text.index)
