"""Pure functions that turn upstream payloads into the dashboard the brief specifies."""

from __future__ import annotations

from typing import Any

OPTIONAL = ("orders", "recommendations")
TOP_RECOMMENDATIONS = 3


def summarise_orders(payload: dict[str, Any]) -> dict[str, int]:
    """Count and total of the paid orders (refunded ones are left out)."""
    paid = [o["amount_cents"] for o in payload["orders"] if o["status"] == "paid"]
    return {"paid_count": len(paid), "paid_total_cents": sum(paid)}


def top_recommendations(payload: dict[str, Any]) -> list[str]:
    """The skus of the three best-scored items; ties go to the smaller sku."""
    items = sorted(payload["items"], key=lambda item: (-item["score"], item["sku"]))
    return [item["sku"] for item in items[:TOP_RECOMMENDATIONS]]


def build_dashboard(
    user_id: str,
    profile: dict[str, Any],
    orders: dict[str, Any] | None,
    recommendations: dict[str, Any] | None,
) -> dict[str, Any]:
    """The dashboard body; a missing optional part is null and named in `degraded`."""
    parts = zip(OPTIONAL, (orders, recommendations), strict=True)
    degraded = [name for name, part in parts if part is None]
    return {
        "user_id": user_id,
        "name": profile["name"],
        "tier": profile["tier"],
        "orders": None if orders is None else summarise_orders(orders),
        "recommendations": (
            None if recommendations is None else top_recommendations(recommendations)
        ),
        "degraded": degraded,
    }
