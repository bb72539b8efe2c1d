"""Step 1: clean the raw order exports of the regional systems."""

import pandas as pd

SOURCE_ZONES = {"eu": "Europe/Berlin", "uk": "Europe/London", "us": "America/New_York"}
SOURCE_CURRENCIES = {"eu": "EUR", "uk": "GBP", "us": "USD"}


def clean_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """One valid row per order, `ordered_at` in UTC. See the brief for every rule."""
    raise NotImplementedError("clean_orders")
