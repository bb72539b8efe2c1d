"""Step 3: daily revenue per customer country, in EUR."""

import pandas as pd

from pipeline._text import clean_text
from pipeline.fx import convert_to_eur
from pipeline.orders import clean_orders

OUTPUT_COLUMNS = ["date", "country", "orders", "revenue_eur"]
UNKNOWN_COUNTRY = "ZZ"


def customer_countries(customers: pd.DataFrame) -> pd.Series:
    """Country code by customer id; the last row of a repeated id wins, blanks are `ZZ`."""
    table = pd.DataFrame(
        {
            "customer_id": clean_text(customers["customer_id"]),
            "country": clean_text(customers["country"]).str.upper().fillna(UNKNOWN_COUNTRY),
        }
    )
    table = table.dropna(subset=["customer_id"]).drop_duplicates("customer_id", keep="last")
    return table.set_index("customer_id")["country"]


def daily_revenue(
    orders: pd.DataFrame, customers: pd.DataFrame, fx: pd.DataFrame
) -> pd.DataFrame:
    """Completed orders and their EUR revenue per UTC day and customer country."""
    converted = convert_to_eur(clean_orders(orders), fx)
    completed = converted[converted["status"] == "completed"]
    country = completed["customer_id"].map(customer_countries(customers))
    grouped = (
        completed.assign(
            date=completed["ordered_at"].dt.floor("D"),
            country=country.fillna(UNKNOWN_COUNTRY).astype(object),
        )
        .groupby(["date", "country"], as_index=False, sort=True)
        .agg(orders=("order_id", "size"), revenue_eur=("amount_eur", "sum"))
    )
    result = pd.DataFrame(
        {
            "date": grouped["date"].dt.strftime("%Y-%m-%d").astype(object),
            "country": grouped["country"].astype(object),
            "orders": grouped["orders"].astype("int64"),
            "revenue_eur": grouped["revenue_eur"].astype("float64").round(2),
        },
        columns=OUTPUT_COLUMNS,
    )
    return result.reset_index(drop=True)
