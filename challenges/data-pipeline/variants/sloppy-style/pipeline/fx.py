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


def convert_to_eur(orders: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    """Add `amount_eur`; orders whose currency has no rate on or before their UTC day drop out.

    EUR amounts need no rate. Other currencies use the latest rate dated on or before the
    order's UTC calendar day.
    """
    day = orders["ordered_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    keyed = orders.assign(_day=day.astype("datetime64[ns]"), _row=np.arange(len(orders)))
    keyed = keyed.sort_values("_day", kind="stable")
    rates = clean_rates(fx).rename(columns={"date": "_day"})
    rates["_day"] = rates["_day"].astype("datetime64[ns]")
    matched = pd.merge_asof(
        keyed, rates, on="_day", by="currency", direction="backward", allow_exact_matches=True
    )
    rate = matched["eur_per_unit"].where(matched["currency"] != "EUR", 1.0)
    matched = matched.assign(amount_eur=matched["amount"] * rate)
    matched = matched[rate.notna()].sort_values("_row")
    return matched.drop(columns=["_day", "_row", "eur_per_unit"]).reset_index(drop=True)
