"""Visible tests on the sample exports in `data/`. Add your own tests next to these."""

from pathlib import Path

import pandas as pd

from pipeline import daily_revenue
from pipeline.io import read_export

DATA = Path(__file__).resolve().parent.parent / "data"


def load_sample():
    return tuple(read_export(DATA / name) for name in ("orders.csv", "customers.csv", "fx.csv"))


def test_exports_are_read_as_text():
    orders, customers, fx = load_sample()
    assert len(orders) == 18
    assert (orders.dtypes == "object").all()
    assert orders.loc[3, "customer_id"] == " C-1004 "
    assert pd.isna(orders.loc[0, "currency"])
    assert len(customers) == 13
    assert len(fx) == 12


def test_daily_revenue_of_the_sample():
    result = daily_revenue(*load_sample())
    assert list(result.columns) == ["date", "country", "orders", "revenue_eur"]
    rows = [tuple(row) for row in result.itertuples(index=False)]
    assert rows == [
        ("2024-03-01", "AT", 1, 120.0),
        ("2024-03-01", "DE", 1, 64.9),
        ("2024-03-01", "GB", 1, 52.67),
        ("2024-03-02", "CA", 1, 45.69),
        ("2024-03-02", "IE", 1, 93.64),
        ("2024-03-02", "NL", 1, 18.0),
        ("2024-03-02", "US", 1, 92.3),
        ("2024-03-03", "CH", 1, 12.55),
        ("2024-03-03", "GB", 1, 25.75),
        ("2024-03-04", "ZZ", 2, 28.62),
    ]
