import pandas as pd
import pytest
from _support import ORDER_COLUMNS, by_id, order, orders, utc

from pipeline import clean_orders


def test_columns_and_types():
    result = clean_orders(orders(order(), order("UK-1", source="uk", currency="GBP")))
    assert set(ORDER_COLUMNS) <= set(result.columns)
    assert len(result) == 2
    assert isinstance(result["ordered_at"].dtype, pd.DatetimeTZDtype)
    assert str(result["ordered_at"].dt.tz) == "UTC"
    assert result["amount"].dtype == "float64"


def test_text_is_trimmed_and_normalised():
    raw = orders(order(" EU-7 ", " C9 ", " 2024-03-04 12:00:00 ", " 12.50 ", " eur ", " Completed ",
                       " EU "))
    row = by_id(clean_orders(raw))["EU-7"]
    assert row["customer_id"] == "C9"
    assert row["amount"] == 12.5
    assert row["currency"] == "EUR"
    assert row["status"] == "completed"
    assert row["source"] == "eu"
    assert row["ordered_at"] == utc("2024-03-04 11:00:00")


def test_rows_without_order_id_are_dropped():
    raw = orders(order(None), order("   "), order("EU-2"))
    assert list(clean_orders(raw)["order_id"]) == ["EU-2"]


def test_unknown_source_is_dropped():
    raw = orders(order("X-1", source="apac"), order("X-2", source=None), order("X-3", source="US"))
    assert list(clean_orders(raw)["order_id"]) == ["X-3"]


def test_bad_amounts_are_dropped():
    raw = orders(
        order("A-1", amount=None),
        order("A-2", amount="twelve"),
        order("A-3", amount="-5.00"),
        order("A-4", amount="  "),
        order("A-5", amount="0"),
        order("A-6", amount="19.99"),
    )
    assert sorted(clean_orders(raw)["order_id"]) == ["A-5", "A-6"]


@pytest.mark.parametrize(
    "text",
    [None, "", "yesterday", "04/03/2024 12:00", "2024-03-04", "2024-02-30 10:00:00",
     "2024-03-04 25:00:00", "2024-03-04 12:00"],
)
def test_malformed_timestamps_are_dropped(text):
    raw = orders(order("T-1", ordered_at=text), order("T-2"))
    assert list(clean_orders(raw)["order_id"]) == ["T-2"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-04T12:00:00Z", "2024-03-04 12:00:00"),
        ("2024-03-04 12:00:00+01:00", "2024-03-04 11:00:00"),
        ("2024-03-04T23:30:00-05:00", "2024-03-05 04:30:00"),
        ("2024-03-04T00:15:00+02:00", "2024-03-03 22:15:00"),
        ("2024-03-04T12:00:00.250Z", "2024-03-04 12:00:00.250"),
    ],
)
def test_explicit_offsets_win_over_source_zone(text, expected):
    for source in ("eu", "uk", "us"):
        raw = orders(order("T-1", ordered_at=text, source=source))
        assert clean_orders(raw)["ordered_at"].iloc[0] == utc(expected), source


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        ("eu", "2024-01-15 09:00:00", "2024-01-15 08:00:00"),
        ("eu", "2024-07-15 09:00:00", "2024-07-15 07:00:00"),
        ("uk", "2024-01-15 09:00:00", "2024-01-15 09:00:00"),
        ("uk", "2024-07-15T09:00:00", "2024-07-15 08:00:00"),
        ("us", "2024-01-15 21:30:00", "2024-01-16 02:30:00"),
        ("us", "2024-07-15 21:30:00", "2024-07-16 01:30:00"),
    ],
)
def test_naive_timestamps_are_local_time_of_the_source(source, text, expected):
    raw = orders(order("T-1", ordered_at=text, source=source))
    assert clean_orders(raw)["ordered_at"].iloc[0] == utc(expected)


def test_dst_edge_local_times():
    raw = orders(
        # 02:30 happens twice in Berlin on 2024-10-27: the daylight-time one counts.
        order("EU-AMB", ordered_at="2024-10-27 02:30:00", source="eu"),
        # 02:30 never happens in Berlin on 2024-03-31: it moves forward to 03:00 CEST.
        order("EU-GAP", ordered_at="2024-03-31 02:30:00", source="eu"),
        order("US-AMB", ordered_at="2024-11-03 01:30:00", source="us"),
        order("US-GAP", ordered_at="2024-03-10 02:15:00", source="us"),
    )
    result = by_id(clean_orders(raw))
    assert result["EU-AMB"]["ordered_at"] == utc("2024-10-27 00:30:00")
    assert result["EU-GAP"]["ordered_at"] == utc("2024-03-31 01:00:00")
    assert result["US-AMB"]["ordered_at"] == utc("2024-11-03 05:30:00")
    assert result["US-GAP"]["ordered_at"] == utc("2024-03-10 07:00:00")


def test_last_row_of_a_repeated_order_wins():
    raw = orders(
        order("EU-1", amount="10.00"),
        order("EU-2", amount="20.00"),
        order(" EU-1", amount="11.00", status="cancelled"),
        order("EU-1 ", amount="12.00"),
    )
    result = clean_orders(raw)
    assert sorted(result["order_id"]) == ["EU-1", "EU-2"]
    assert by_id(result)["EU-1"]["amount"] == 12.0


def test_invalid_last_version_drops_the_order():
    raw = orders(order("EU-1", amount="10.00"), order("EU-1", amount="oops"), order("EU-2"))
    assert list(clean_orders(raw)["order_id"]) == ["EU-2"]


def test_missing_currency_is_the_source_currency():
    raw = orders(
        order("EU-1", currency=None, source="eu"),
        order("UK-1", currency=" ", source="uk"),
        order("US-1", currency=None, source="us"),
        order("US-2", currency="cad", source="us"),
    )
    result = by_id(clean_orders(raw))
    assert {k: v["currency"] for k, v in result.items()} == {
        "EU-1": "EUR", "UK-1": "GBP", "US-1": "USD", "US-2": "CAD",
    }


def test_missing_status_means_completed():
    raw = orders(order("US-1", status=None, source="us"), order("US-2", status="Pending"))
    result = by_id(clean_orders(raw))
    assert result["US-1"]["status"] == "completed"
    assert result["US-2"]["status"] == "pending"


def test_missing_customer_is_kept():
    result = by_id(clean_orders(orders(order("EU-1", customer_id=None))))
    assert pd.isna(result["EU-1"]["customer_id"])


def test_input_is_not_modified():
    raw = orders(order(" EU-1 ", currency=None), order("EU-1"), order("EU-2", amount="x"))
    before = raw.copy()
    clean_orders(raw)
    pd.testing.assert_frame_equal(raw, before)


def test_empty_export():
    result = clean_orders(orders())
    assert len(result) == 0
    assert set(ORDER_COLUMNS) <= set(result.columns)
