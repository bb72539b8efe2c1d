import pytest

from pipeline import clean_orders, convert_to_eur
from pipeline.fx import clean_rates


def test_clean_rates_drops_bad_rows(fx):
    rates = clean_rates(fx)
    assert len(rates) == 3
    assert rates["date"].is_monotonic_increasing


def test_conversion(make_orders, fx):
    raw = make_orders(
        {"order_id": "EU-1", "amount": "10"},
        {"order_id": "UK-1", "currency": "GBP", "ordered_at": "2024-03-03T10:00:00Z"},
        {"order_id": "UK-2", "currency": "GBP", "ordered_at": "2024-03-04T10:00:00Z"},
        {"order_id": "UK-3", "currency": "GBP", "ordered_at": "2024-02-01T10:00:00Z"},
        {"order_id": "CA-1", "currency": "CAD"},
    )
    result = convert_to_eur(clean_orders(raw), fx)
    amounts = dict(zip(result["order_id"], result["amount_eur"]))
    assert amounts == pytest.approx({"EU-1": 10.0, "UK-1": 12.0, "UK-2": 11.0})
