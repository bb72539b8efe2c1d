import pytest
from _support import STANDARD_FX, by_id, fx, order, orders

from pipeline import clean_orders, convert_to_eur


def convert(*rows, rates=STANDARD_FX):
    return by_id(convert_to_eur(clean_orders(orders(*rows)), rates))


def test_keeps_order_columns_and_adds_amount_eur():
    result = convert_to_eur(clean_orders(orders(order("EU-1"))), STANDARD_FX)
    assert {"order_id", "ordered_at", "amount", "currency", "amount_eur"} <= set(result.columns)
    assert result["amount_eur"].dtype == "float64"


def test_eur_needs_no_rate():
    result = convert(order("EU-1", ordered_at="2020-01-01 12:00:00", amount="10.50"))
    assert result["EU-1"]["amount_eur"] == pytest.approx(10.5)


def test_rate_of_the_order_day():
    result = convert(
        order("UK-1", ordered_at="2024-03-01T10:00:00Z", amount="100", currency="GBP"),
        order("US-1", ordered_at="2024-03-04T10:00:00Z", amount="100", currency="USD"),
    )
    assert result["UK-1"]["amount_eur"] == pytest.approx(116.0)
    assert result["US-1"]["amount_eur"] == pytest.approx(94.0)


def test_weekend_uses_latest_earlier_rate():
    result = convert(
        order("UK-SAT", ordered_at="2024-03-02T10:00:00Z", amount="100", currency="GBP"),
        order("UK-SUN", ordered_at="2024-03-03T23:59:59Z", amount="100", currency="GBP"),
        order("US-LATE", ordered_at="2024-03-09T10:00:00Z", amount="100", currency="USD"),
    )
    assert result["UK-SAT"]["amount_eur"] == pytest.approx(116.0)
    assert result["UK-SUN"]["amount_eur"] == pytest.approx(116.0)
    assert result["US-LATE"]["amount_eur"] == pytest.approx(95.0)


def test_rate_day_is_the_utc_day():
    # 21:30 in New York on Friday 1 March is already Saturday 2 March in UTC: Friday's rate;
    # 20:00 in New York on Monday 4 March is 01:00 on Tuesday 5 March in UTC: Tuesday's rate.
    result = convert(
        order("US-1", ordered_at="2024-03-01 21:30:00", amount="100", currency=None, source="us"),
        order("US-2", ordered_at="2024-03-04 20:00:00", amount="100", currency=None, source="us"),
        order("EU-1", ordered_at="2024-03-01 00:30:00", amount="100", currency="GBP"),
    )
    assert result["US-1"]["amount_eur"] == pytest.approx(93.0)
    assert result["US-2"]["amount_eur"] == pytest.approx(95.0)
    assert result["EU-1"]["amount_eur"] == pytest.approx(117.0)


def test_no_earlier_rate_drops_the_order():
    result = convert(
        order("UK-OLD", ordered_at="2024-02-28T23:00:00Z", currency="GBP"),
        order("UK-NEW", ordered_at="2024-02-29T00:00:00Z", currency="GBP"),
    )
    assert sorted(result) == ["UK-NEW"]


def test_unknown_currency_drops_the_order():
    result = convert(order("US-1", currency="CAD", source="us"), order("EU-1"))
    assert sorted(result) == ["EU-1"]


def test_rates_are_per_currency():
    rates = fx(
        ("2024-03-01", "GBP", "1.20"),
        ("2024-03-04", "USD", "0.90"),
        ("2024-03-05", "CHF", "1.05"),
    )
    result = convert(
        order("UK-1", ordered_at="2024-03-05T10:00:00Z", amount="10", currency="GBP"),
        order("US-1", ordered_at="2024-03-05T10:00:00Z", amount="10", currency="USD"),
        order("CH-1", ordered_at="2024-03-04T10:00:00Z", amount="10", currency="CHF"),
        rates=rates,
    )
    assert result["UK-1"]["amount_eur"] == pytest.approx(12.0)
    assert result["US-1"]["amount_eur"] == pytest.approx(9.0)
    assert "CH-1" not in result


def test_unsorted_rate_table():
    rates = fx(
        ("2024-03-04", "GBP", "1.15"),
        ("2024-02-29", "GBP", "1.17"),
        ("2024-03-01", "GBP", "1.16"),
    )
    result = convert(
        order("UK-1", ordered_at="2024-03-03T10:00:00Z", amount="100", currency="GBP"),
        rates=rates,
    )
    assert result["UK-1"]["amount_eur"] == pytest.approx(116.0)
