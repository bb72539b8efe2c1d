"""Daily revenue pipeline: clean regional order exports, convert to EUR, aggregate."""

from pipeline.fx import convert_to_eur
from pipeline.orders import clean_orders
from pipeline.revenue import daily_revenue

__all__ = ["clean_orders", "convert_to_eur", "daily_revenue"]
