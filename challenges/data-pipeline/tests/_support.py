"""Builders for the hidden tests: every column is text, as `pd.read_csv(..., dtype=str)` gives."""

import numpy as np
import pandas as pd

ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]
OUTPUT_COLUMNS = ["date", "country", "orders", "revenue_eur"]
#: The size of the performance test's export (`test_performance.py`), which the largest generated
#: export (`test_generated.py`) matches: orders, then re-exports of some of them.
ROWS = 250_000
RE_EXPORTS = 25_000


def text_frame(columns, rows):
    """A DataFrame of object columns; None becomes NaN like an empty CSV cell."""
    frame = pd.DataFrame(list(rows), columns=columns, dtype=object)
    return frame.where(frame.notna(), np.nan).astype(object)


def orders(*rows):
    return text_frame(ORDER_COLUMNS, rows)


def order(order_id="EU-1", customer_id="C1", ordered_at="2024-03-04 12:00:00", amount="10.00",
          currency="EUR", status="completed", source="eu"):
    return (order_id, customer_id, ordered_at, amount, currency, status, source)


def customers(*rows):
    return text_frame(["customer_id", "country"], rows)


def fx(*rows):
    return text_frame(["date", "currency", "eur_per_unit"], rows)


STANDARD_FX = fx(
    ("2024-02-29", "GBP", "1.1700"),
    ("2024-02-29", "USD", "0.9200"),
    ("2024-03-01", "GBP", "1.1600"),
    ("2024-03-01", "USD", "0.9300"),
    ("2024-03-04", "GBP", "1.1500"),
    ("2024-03-04", "USD", "0.9400"),
    ("2024-03-05", "GBP", "1.1400"),
    ("2024-03-05", "USD", "0.9500"),
)


def by_id(frame):
    """Clean orders keyed by order id, as plain dicts."""
    return {row["order_id"]: row for row in frame.to_dict("records")}


def records(frame):
    """Daily revenue rows as (date, country, orders, revenue rounded to cents) tuples."""
    return [
        (str(r["date"]), str(r["country"]), int(r["orders"]), round(float(r["revenue_eur"]), 2))
        for r in frame.to_dict("records")
    ]


def utc(text):
    return pd.Timestamp(text, tz="UTC")
