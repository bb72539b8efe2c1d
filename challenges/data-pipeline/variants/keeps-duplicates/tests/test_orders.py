import pandas as pd
import pytest

from pipeline import clean_orders
from pipeline.orders import parse_timestamps


def test_duplicates_keep_last(make_orders):
    raw = make_orders({"amount": "1"}, {"order_id": " EU-1 ", "amount": "2"})
    result = clean_orders(raw)
    assert list(result["amount"]) == [2.0]


def test_invalid_rows_dropped(make_orders):
    raw = make_orders(
        {"order_id": None},
        {"order_id": "A", "source": "mars"},
        {"order_id": "B", "amount": "-1"},
        {"order_id": "C", "amount": "inf"},
        {"order_id": "D", "ordered_at": "2024-03-04"},
        {"order_id": "E"},
    )
    assert list(clean_orders(raw)["order_id"]) == ["E"]


def test_defaults_fill_missing_values(make_orders):
    raw = make_orders({"currency": " ", "status": None, "source": "US"})
    row = clean_orders(raw).iloc[0]
    assert (row["currency"], row["status"], row["source"]) == ("USD", "completed", "us")


def test_input_untouched(make_orders):
    raw = make_orders({"order_id": " X "})
    before = raw.copy()
    clean_orders(raw)
    pd.testing.assert_frame_equal(raw, before)


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("2024-03-04T12:00:00Z", "us", "2024-03-04 12:00:00"),
        ("2024-03-04 12:00:00-05:00", "eu", "2024-03-04 17:00:00"),
        ("2024-07-01 12:00:00", "eu", "2024-07-01 10:00:00"),
        ("2024-07-01 12:00:00", "uk", "2024-07-01 11:00:00"),
        ("2024-01-01 19:00:00", "us", "2024-01-02 00:00:00"),
        ("2024-10-27 02:30:00", "eu", "2024-10-27 00:30:00"),
        ("2024-03-31 02:30:00", "eu", "2024-03-31 01:00:00"),
    ],
)
def test_parse_timestamps(text, source, expected):
    parsed = parse_timestamps(pd.Series([text]), pd.Series([source]))
    assert parsed.iloc[0] == pd.Timestamp(expected, tz="UTC")


@pytest.mark.parametrize("text", [None, "2024-13-01 00:00:00", "01/02/2024 10:00:00", "now"])
def test_parse_timestamps_rejects(text):
    parsed = parse_timestamps(pd.Series([text], dtype=object), pd.Series(["eu"]))
    assert pd.isna(parsed.iloc[0])
