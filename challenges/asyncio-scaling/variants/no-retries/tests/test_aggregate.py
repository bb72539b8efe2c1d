from dashboard.aggregate import build_dashboard, summarise_orders, top_recommendations


def test_only_paid_orders_count():
    orders = {
        "orders": [
            {"id": "o-0", "amount_cents": 1250, "status": "paid"},
            {"id": "o-1", "amount_cents": 999, "status": "refunded"},
            {"id": "o-2", "amount_cents": 100, "status": "paid"},
        ]
    }
    assert summarise_orders(orders) == {"paid_count": 2, "paid_total_cents": 1350}


def test_top_three_by_score_then_sku():
    items = [
        {"sku": "sku-b", "score": 0.5},
        {"sku": "sku-a", "score": 0.5},
        {"sku": "sku-c", "score": 0.9},
        {"sku": "sku-d", "score": 0.1},
    ]
    assert top_recommendations({"items": items}) == ["sku-c", "sku-a", "sku-b"]


def test_dashboard_shape():
    profile = {"id": "u1", "name": "Ada u1", "tier": "gold"}
    body = build_dashboard(u1 := "u1", profile, {"orders": []}, {"items": []})
    assert body == {
        "user_id": u1,
        "name": "Ada u1",
        "tier": "gold",
        "orders": {"paid_count": 0, "paid_total_cents": 0},
        "recommendations": [],
        "degraded": [],
    }


def test_missing_parts_are_degraded():
    profile = {"id": "u2", "name": "Grace u2", "tier": "silver"}
    body = build_dashboard("u2", profile, None, None)
    assert body["orders"] is None
    assert body["recommendations"] is None
    assert body["degraded"] == ["orders", "recommendations"]
