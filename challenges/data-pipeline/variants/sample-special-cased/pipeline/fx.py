"""Step 2: convert order amounts to EUR with the rate of the order's day."""

import pandas as pd


def convert_to_eur(orders: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    """Add `amount_eur`: the rate of the order's day, Friday's on a weekend."""
    rates = fx.assign(
        date=fx["date"].str.strip(),
        currency=fx["currency"].str.strip(),
        eur_per_unit=fx["eur_per_unit"].astype(float),
    )
    day = orders["ordered_at"].dt.tz_convert("UTC").dt.normalize().dt.tz_localize(None)
    day = day - pd.to_timedelta((day.dt.dayofweek - 4).clip(lower=0), unit="D")
    keyed = orders.assign(date=day.dt.strftime("%Y-%m-%d"))
    merged = keyed.merge(rates, on=["date", "currency"], how="left")
    rate = merged["eur_per_unit"].where(merged["currency"] != "EUR", 1.0)
    merged["amount_eur"] = merged["amount"] * rate
    return merged[rate.notna()].drop(columns=["date", "eur_per_unit"]).reset_index(drop=True)
