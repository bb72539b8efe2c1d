"""Performance probes: what each endpoint costs the database, measured by PostgreSQL itself.

Per request (on parameters no other probe asked for, so nothing is cached): the app role's
statements, the rows they returned and the buffer blocks they touched, from
`pg_stat_statements` (reset by the probes' superuser right before). These counts do not depend
on the machine's load, so scores are stable. Each metric earns full credit within its budget and
none at its limit, on a log scale between; an endpoint's score is its worst metric's, and only a
correct answer counts. DB time and wall latency are recorded for the reviewer, not scored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import Shop
from httpget import get


@dataclass(frozen=True)
class Budget:
    warm: str
    path: str
    answer: Callable[[Shop], object]
    queries: tuple[float, float]
    rows: tuple[float, float]
    blocks: tuple[float, float]


BUDGETS = {
    "book_list": Budget(
        "/api/books/?page=2", "/api/books/?page=250",
        lambda s: s.oracle.book_list(250),
        queries=(3, 20), rows=(100, 1000), blocks=(8000, 40000),
    ),
    "book_reviews": Budget(
        "/api/books/20/reviews/", "/api/books/9/reviews/?limit=20",
        lambda s: s.oracle.book_reviews(9, 20),
        queries=(3, 20), rows=(60, 600), blocks=(120, 1200),
    ),
    "author_detail": Budget(
        "/api/authors/5/", "/api/authors/4/",
        lambda s: s.oracle.author_detail(4),
        queries=(4, 20), rows=(10, 1000), blocks=(8000, 40000),
    ),
    "customer_orders": Budget(
        "/api/orders/?email=customer5@example.org", "/api/orders/?email=customer4242@example.org",
        lambda s: s.oracle.customer_orders("customer4242@example.org"),
        queries=(2, 20), rows=(50, 500), blocks=(60, 600),
    ),
    "recent_orders": Budget(
        "/api/orders/recent/", "/api/orders/recent/",
        lambda s: s.oracle.recent_orders(),
        queries=(3, 20), rows=(100, 1000), blocks=(100, 1000),
    ),
    "genre_report": Budget(
        "/api/reports/genres/", "/api/reports/genres/",
        lambda s: s.oracle.genre_report(),
        queries=(3, 20), rows=(100, 20000), blocks=(8000, 40000),
    ),
}  # fmt: skip


def credit(value: float, budget: tuple[float, float]) -> float:
    """1 within the budget, 0 at the limit or past it, on a log scale between."""
    good, bad = budget
    if value <= good:
        return 1.0
    if value >= bad:
        return 0.0
    return math.log(bad / value) / math.log(bad / good)


@pytest.mark.parametrize("endpoint", sorted(BUDGETS))
def test_database_cost(shop: Shop, endpoint: str, record_property: Callable[..., None]) -> None:
    budget = BUDGETS[endpoint]
    get(budget.warm)  # the code path warmed up
    shop.meter.reset()
    status, body, seconds = get(budget.path)
    cost = shop.meter.read()
    assert status == 200, f"GET {budget.path}: HTTP {status}"
    assert body == json.dumps(budget.answer(shop)).encode(), f"GET {budget.path}: wrong answer"
    scores = {
        "queries": credit(cost.queries, budget.queries),
        "rows": credit(cost.rows, budget.rows),
        "blocks": credit(cost.blocks, budget.blocks),
    }
    for name, value in (*vars(cost).items(), ("wall_ms", round(seconds * 1000, 1))):
        record_property(name, value)
    score = min(scores.values())
    record_property("score", round(score, 3))
    detail = ", ".join(
        f"{k} {getattr(cost, k)} (budget {getattr(budget, k)[0]:g})" for k in scores
    )
    assert score > 0, f"GET {budget.path}: {detail}"
