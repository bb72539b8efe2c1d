"""Step 2: convert order amounts to EUR with the rate of the order's day."""

import pandas as pd


def convert_to_eur(orders: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    """The cleaned orders plus `amount_eur`; orders without a usable rate are dropped."""
    raise NotImplementedError("convert_to_eur")
