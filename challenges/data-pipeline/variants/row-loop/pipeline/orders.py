"""Step 1: clean the raw order exports of the regional systems."""

import math
import re

import pandas as pd

ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]
SOURCE_ZONES = {"eu": "Europe/Berlin", "uk": "Europe/London", "us": "America/New_York"}
SOURCE_CURRENCIES = {"eu": "EUR", "uk": "GBP", "us": "USD"}

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def _text(value):
    if not isinstance(value, str):
        return None
    return value.strip() or None


def parse_timestamp(text, source):
    """One ISO-8601 timestamp to UTC; naive values are local time of their source system."""
    match = _TIMESTAMP.fullmatch(text or "")
    if match is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        return None
    if match.group(1) is None:
        zone = SOURCE_ZONES[source]
        stamp = stamp.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def _amount(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value >= 0 else None


def clean_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """One valid row per order, timestamps in UTC; see the README for every rule."""
    latest = {}
    for _, row in orders.iterrows():
        order_id = _text(row["order_id"])
        if order_id is not None:
            latest.pop(order_id, None)
            latest[order_id] = row
    rows = []
    for order_id, row in latest.items():
        source = (_text(row["source"]) or "").lower()
        if source not in SOURCE_ZONES:
            continue
        amount = _amount(_text(row["amount"]))
        ordered_at = parse_timestamp(_text(row["ordered_at"]), source)
        if amount is None or ordered_at is None:
            continue
        rows.append(
            {
                "order_id": order_id,
                "customer_id": _text(row["customer_id"]),
                "ordered_at": ordered_at,
                "amount": amount,
                "currency": (_text(row["currency"]) or SOURCE_CURRENCIES[source]).upper(),
                "status": (_text(row["status"]) or "completed").lower(),
                "source": source,
            }
        )
    frame = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], utc=True)
    frame["amount"] = frame["amount"].astype("float64")
    return frame
