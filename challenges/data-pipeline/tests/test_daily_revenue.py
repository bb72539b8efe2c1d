import pandas as pd
import pytest
from _support import OUTPUT_COLUMNS, STANDARD_FX, customers, order, orders, records

from pipeline import daily_revenue

CUSTOMERS = customers(("C1", "DE"), ("C2", "GB"), ("C3", "US"), ("C4", "FR"))


def revenue(*rows, people=CUSTOMERS, rates=STANDARD_FX):
    return daily_revenue(orders(*rows), people, rates)


def test_output_schema():
    result = revenue(
        order("EU-2", customer_id="C4", ordered_at="2024-03-05 12:00:00"),
        order("EU-1", customer_id="C1", ordered_at="2024-03-04 12:00:00"),
        order("EU-3", customer_id="C2", ordered_at="2024-03-04 12:00:00"),
    )
    assert list(result.columns) == OUTPUT_COLUMNS
    assert result["orders"].dtype == "int64"
    assert result["revenue_eur"].dtype == "float64"
    assert all(isinstance(value, str) for value in result["date"])
    assert all(isinstance(value, str) for value in result["country"])
    assert list(result.index) == list(range(len(result)))
    assert records(result) == [
        ("2024-03-04", "DE", 1, 10.0),
        ("2024-03-04", "GB", 1, 10.0),
        ("2024-03-05", "FR", 1, 10.0),
    ]


def test_end_to_end_export():
    raw = orders(
        order("EU-100", "C1", "2024-03-04 09:15:00", "19.99", None, "completed", "eu"),
        order("EU-101", "C4", "2024-03-04T10:00:00+01:00", "5.01", "EUR", "completed", "eu"),
        order("EU-102", "C1", "2024-03-04 23:30:00", "100.00", None, "completed", "eu"),
        order("UK-200", "C2", "2024-03-02 18:00:00", "40.00", None, None, "uk"),
        order("UK-201", "C2", "2024-03-04T08:00:00Z", "10.00", "gbp", "Completed", "uk"),
        order("US-300", "C3", "2024-03-04 20:00:00", "50.00", None, None, "us"),
        order("US-301", "C3", "2024-03-04 09:00:00", "12.00", "usd", "cancelled", "us"),
        order("US-302", "C9", "2024-03-04 09:00:00", "10.00", None, "completed", "us"),
        order("EU-100", "C1", "2024-03-04 09:15:00", "21.99", None, "completed", "eu"),
        order("EU-103", "C1", "not a date", "7.00", None, "completed", "eu"),
    )
    result = daily_revenue(raw, CUSTOMERS, STANDARD_FX)
    assert records(result) == [
        ("2024-03-02", "GB", 1, 46.4),
        ("2024-03-04", "DE", 2, 121.99),
        ("2024-03-04", "FR", 1, 5.01),
        ("2024-03-04", "GB", 1, 11.5),
        ("2024-03-04", "ZZ", 1, 9.4),
        ("2024-03-05", "US", 1, 47.5),
    ]


def test_only_completed_orders_count():
    result = revenue(
        order("EU-1", status="completed"),
        order("EU-2", status="cancelled"),
        order("EU-3", status="refunded"),
        order("EU-4", status=" COMPLETED"),
        order("US-1", status=None, source="us", currency=None),
    )
    assert records(result) == [("2024-03-04", "DE", 3, 29.4)]


def test_re_export_as_cancelled_removes_the_order():
    result = revenue(
        order("EU-1", amount="10"),
        order("EU-2", amount="20"),
        order("EU-1", amount="10", status="cancelled"),
    )
    assert records(result) == [("2024-03-04", "DE", 1, 20.0)]


def test_repeated_customers_do_not_multiply_orders():
    people = customers(("C1", "DE"), ("C1", "AT"), ("C2", "GB"), ("C2", "GB"), ("C2", "GB"))
    result = revenue(order("EU-1", "C1"), order("EU-2", "C2"), people=people)
    assert records(result) == [("2024-03-04", "AT", 1, 10.0), ("2024-03-04", "GB", 1, 10.0)]


def test_unknown_customers_and_countries_are_zz():
    people = customers(("C1", None), ("C2", "  "), ("C3", "de"), (" C4 ", " fr "))
    result = revenue(
        order("EU-1", "C1"),
        order("EU-2", "C2"),
        order("EU-3", None),
        order("EU-4", "C404"),
        order("EU-5", " C3"),
        order("EU-6", "C4"),
        people=people,
    )
    assert records(result) == [
        ("2024-03-04", "DE", 1, 10.0),
        ("2024-03-04", "FR", 1, 10.0),
        ("2024-03-04", "ZZ", 4, 40.0),
    ]


def test_days_are_utc_days():
    result = revenue(
        order("EU-1", "C1", "2024-03-05 00:30:00"),
        order("US-1", "C3", "2024-03-04 19:30:00", currency="EUR", source="us"),
        order("EU-2", "C1", "2024-03-04T23:59:59Z"),
    )
    assert records(result) == [
        ("2024-03-04", "DE", 2, 20.0),
        ("2024-03-05", "US", 1, 10.0),
    ]


def test_revenue_is_rounded_to_cents():
    result = revenue(
        # 3 x 0.114 = 0.342: the day's total is rounded, not each order.
        order("UK-1", "C2", "2024-03-05T10:00:00Z", "0.10", "GBP", source="uk"),
        order("UK-2", "C2", "2024-03-05T11:00:00Z", "0.10", "GBP", source="uk"),
        order("UK-3", "C2", "2024-03-05T12:00:00Z", "0.10", "GBP", source="uk"),
    )
    assert list(result["revenue_eur"]) == [0.34]


def test_weekend_revenue_is_converted():
    result = revenue(
        order("UK-1", "C2", "2024-03-02T10:00:00Z", "100", "GBP", source="uk"),
        order("US-1", "C3", "2024-03-03T10:00:00Z", "100", "USD", source="us"),
    )
    assert records(result) == [("2024-03-02", "GB", 1, 116.0), ("2024-03-03", "US", 1, 93.0)]


def test_missing_currency_is_converted_not_dropped():
    result = revenue(
        order("UK-1", "C2", "2024-03-04 10:00:00", "100", None, None, "uk"),
        order("US-1", "C3", "2024-03-04 10:00:00", "100", None, None, "us"),
    )
    assert records(result) == [("2024-03-04", "GB", 1, 115.0), ("2024-03-04", "US", 1, 94.0)]


def test_nothing_to_report():
    result = revenue(order("EU-1", status="cancelled"), order("EU-2", amount="n/a"))
    assert list(result.columns) == OUTPUT_COLUMNS
    assert len(result) == 0


@pytest.mark.parametrize("country", ["NA", "nl", " It "])
def test_country_codes_are_upper_case(country):
    people = customers(("C1", country))
    result = revenue(order("EU-1", "C1"), people=people)
    assert list(result["country"]) == [country.strip().upper()]


def test_inputs_are_not_modified():
    raw = orders(order(" EU-1 ", currency=None), order("EU-1", status="cancelled"))
    people = customers(("C1", " de"), ("C1", "AT"))
    rates = STANDARD_FX.copy()
    copies = [frame.copy() for frame in (raw, people, rates)]
    daily_revenue(raw, people, rates)
    for frame, copy in zip((raw, people, rates), copies):
        pd.testing.assert_frame_equal(frame, copy)
