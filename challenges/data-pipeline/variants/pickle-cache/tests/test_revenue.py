from pipeline import daily_revenue
from pipeline.revenue import OUTPUT_COLUMNS, customer_countries


def test_customer_countries(customers):
    assert customer_countries(customers).to_dict() == {"C1": "AT", "C2": "ZZ"}


def test_daily_revenue(make_orders, customers, fx):
    raw = make_orders(
        {"order_id": "A", "customer_id": "C1", "amount": "1.005"},
        {"order_id": "B", "customer_id": "C1", "amount": "2"},
        {"order_id": "C", "customer_id": "C2", "ordered_at": "2024-03-05 00:30:00"},
        {"order_id": "D", "customer_id": None, "status": "cancelled"},
        {"order_id": "E", "customer_id": "C9", "ordered_at": "2024-03-05T00:30:00Z"},
    )
    result = daily_revenue(raw, customers, fx)
    assert list(result.columns) == OUTPUT_COLUMNS
    assert result.values.tolist() == [
        ["2024-03-04", "AT", 2, 3.0],
        ["2024-03-04", "ZZ", 1, 10.0],
        ["2024-03-05", "ZZ", 1, 10.0],
    ]


def test_empty_report(make_orders, customers, fx):
    result = daily_revenue(make_orders({"status": "pending"}), customers, fx)
    assert list(result.columns) == OUTPUT_COLUMNS
    assert result.empty
