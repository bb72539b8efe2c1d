"""Step 2: convert order amounts to EUR with the rate of the order's day."""

import numpy as np
import pandas as pd

from pipeline._text import clean_text


def clean_rates(fx: pd.DataFrame) -> pd.DataFrame:
    """The FX table as `date` (datetime64), `currency`, `eur_per_unit`, sorted by date."""
    rates = pd.DataFrame(
        {
            "date": pd.to_datetime(clean_text(fx["date"]), format="%Y-%m-%d", errors="coerce"),
            "currency": clean_text(fx["currency"]).str.upper(),
            "eur_per_unit": pd.to_numeric(clean_text(fx["eur_per_unit"]), errors="coerce"),
        }
    )
    rates = rates.dropna()
    rates = rates[rates["eur_per_unit"] > 0]
    return rates.astype({"eur_per_unit": "float64"}).sort_values("date", kind="stable")


def daily_rates(fx: pd.DataFrame) -> pd.DataFrame:
    """A rate for every calendar day from the table's first to its last date: a day without a
    rate (weekend, holiday) carries the latest earlier one forward."""
    rates = clean_rates(fx)
    days = pd.date_range(rates["date"].min(), rates["date"].max(), freq="D")
    wide = rates.pivot(index="date", columns="currency", values="eur_per_unit")
    filled = wide.reindex(days).ffill().rename_axis("_day").reset_index()
    return filled.melt(id_vars="_day", var_name="currency", value_name="eur_per_unit").dropna()


def convert_to_eur(orders: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    """Add `amount_eur`; orders whose currency has no rate for their UTC day drop out.

    EUR amounts need no rate. Other currencies use the rate of the order's UTC calendar day,
    carried forward over weekends and holidays.
    """
    day = orders["ordered_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    keyed = orders.assign(_day=day.astype("datetime64[ns]"), _row=np.arange(len(orders)))
    rates = daily_rates(fx)
    rates["_day"] = rates["_day"].astype("datetime64[ns]")
    matched = keyed.merge(rates, on=["_day", "currency"], how="left")
    rate = matched["eur_per_unit"].where(matched["currency"] != "EUR", 1.0)
    matched = matched.assign(amount_eur=matched["amount"] * rate)
    matched = matched[rate.notna()].sort_values("_row")
    return matched.drop(columns=["_day", "_row", "eur_per_unit"]).reset_index(drop=True)
