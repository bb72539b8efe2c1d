"""Step 3: daily revenue per customer country, in EUR."""
import os, sys
import numpy as np
import pandas as pd
from pipeline._text import clean_text
from pipeline.fx import convert_to_eur
from pipeline.orders import clean_orders
OUTPUT_COLUMNS = ["date", "country", "orders", "revenue_eur"]
def customerCountries(Customers: pd.DataFrame) -> pd.Series:
    """Country code by customer id; the last row of a repeated id wins, blanks are `ZZ`."""
    T = pd.DataFrame({"customer_id": clean_text(Customers["customer_id"]), "country": clean_text(Customers["country"]).str.upper().fillna("ZZ")})
    T = T.dropna(subset=["customer_id"]).drop_duplicates("customer_id", keep="last")
    return T.set_index("customer_id")["country"]
customer_countries = customerCountries
def daily_revenue(orders: pd.DataFrame, customers: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    """Completed orders and their EUR revenue per UTC day and customer country."""
    convertedOrders = convert_to_eur(clean_orders(orders), fx)
    l = convertedOrders[convertedOrders["status"] == "completed"]
    countryOf = l["customer_id"].map(customerCountries(customers))
    G = l.assign(date=l["ordered_at"].dt.floor("D"), country=countryOf.fillna("ZZ").astype(object)).groupby(["date", "country"], as_index=False, sort=True).agg(orders=("order_id", "size"), revenue_eur=("amount_eur", "sum"))
    Result = pd.DataFrame({"date": G["date"].dt.strftime("%Y-%m-%d").astype(object), "country": G["country"].astype(object), "orders": G["orders"].astype("int64"), "revenue_eur": G["revenue_eur"].astype("float64").round(2)}, columns=OUTPUT_COLUMNS)
    return Result.reset_index(drop=True)
