"""Step 3: daily revenue per customer country, in EUR."""

import pandas as pd

OUTPUT_COLUMNS = ["date", "country", "orders", "revenue_eur"]


def daily_revenue(
    orders: pd.DataFrame, customers: pd.DataFrame, fx: pd.DataFrame
) -> pd.DataFrame:
    """Completed orders and their EUR revenue per UTC day and customer country."""
    raise NotImplementedError("daily_revenue")
