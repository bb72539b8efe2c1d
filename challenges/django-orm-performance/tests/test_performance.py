"""Performance probes: what each endpoint costs the database, measured by PostgreSQL itself.

Per request (on parameters no other probe asked for, and right after a write behind the app's
back that changes the answer expected, so no earlier answer or copy of the tables serves it): the
app role's statements, the rows they returned and the buffer blocks they touched, from
`pg_stat_statements` (reset by the probes' superuser right before; no entry evicted meanwhile).
These counts do not depend on the machine's load, so scores are stable. Each metric earns full
credit within its budget and none at its limit, on a log scale between; an endpoint's score is its
worst metric's, and only a correct answer counts. The time before the request (the warm-up, the
write, and whatever the app did meanwhile, such as refreshing a copy) has a budget too: two
requests' and the write's. DB time and wall latency are recorded for the reviewer, not scored.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from conftest import Shop
from httpget import get

DAY = datetime.date(2030, 1, 2)


def _review(shop: Shop, book: int, rating: int = 1) -> None:
    row = (len(shop.data.reviews) + 1, book, rating, DAY)
    shop.write("INSERT INTO public.catalog_review (id, book_id, rating, created) "
               "VALUES (%s, %s, %s, %s)", row)  # fmt: skip
    shop.data.reviews.append(row)


def _order(shop: Shop, email: str, book: int = 9) -> None:
    row = (len(shop.data.orders) + 1, email, book, 3, Decimal("7.77"), DAY)
    shop.write("INSERT INTO public.catalog_order (id, email, book_id, quantity, unit_price, "
               "created) VALUES (%s, %s, %s, %s, %s, %s)", row)  # fmt: skip
    shop.data.orders.append(row)


def _retitle(shop: Shop, book: int) -> None:
    old = shop.data.books[book - 1]
    shop.write("UPDATE public.catalog_book SET title = %s WHERE id = %s", (old[1] + " II", book))
    shop.data.books[book - 1] = (old[0], old[1] + " II", *old[2:])


def _first_book_of(shop: Shop, author: int) -> int:
    return min(b[0] for b in shop.data.books if b[2] == author)


@dataclass(frozen=True)
class Budget:
    warm: str
    path: str
    answer: Callable[[Shop], object]
    change: Callable[[Shop], None]
    queries: tuple[float, float]
    rows: tuple[float, float]
    blocks: tuple[float, float]


BUDGETS = {
    "book_list": Budget(
        "/api/books/?page=2", "/api/books/?page=250",
        lambda s: s.oracle.book_list(250), lambda s: _retitle(s, 12460),
        queries=(3, 20), rows=(100, 1000), blocks=(8000, 40000),
    ),
    "book_reviews": Budget(
        "/api/books/20/reviews/", "/api/books/9/reviews/?limit=20",
        lambda s: s.oracle.book_reviews(9, 20), lambda s: _review(s, 9),
        queries=(3, 20), rows=(60, 600), blocks=(120, 1200),
    ),
    "author_detail": Budget(
        "/api/authors/5/", "/api/authors/4/",
        lambda s: s.oracle.author_detail(4), lambda s: _review(s, _first_book_of(s, 4)),
        queries=(4, 20), rows=(10, 1000), blocks=(8000, 40000),
    ),
    "customer_orders": Budget(
        "/api/orders/?email=customer5@example.org", "/api/orders/?email=customer4242@example.org",
        lambda s: s.oracle.customer_orders("customer4242@example.org"),
        lambda s: _order(s, "customer4242@example.org"),
        queries=(2, 20), rows=(50, 500), blocks=(60, 600),
    ),
    "recent_orders": Budget(
        "/api/orders/recent/", "/api/orders/recent/",
        lambda s: s.oracle.recent_orders(), lambda s: _order(s, "customer77@example.org"),
        queries=(3, 20), rows=(100, 1000), blocks=(100, 1000),
    ),
    "genre_report": Budget(
        "/api/reports/genres/", "/api/reports/genres/",
        lambda s: s.oracle.genre_report(), lambda s: _review(s, 1, rating=5),
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


def _gap(budget: tuple[float, float], write: float) -> tuple[float, float]:
    """The budget of the time before a measured request: two requests' (the warm-up, and any
    work the app does off the request) and the probe's own write."""
    return 2 * budget[0] + write, 2 * budget[1] + write


@pytest.mark.parametrize("endpoint", sorted(BUDGETS))
def test_database_cost(shop: Shop, endpoint: str, record_property: Callable[..., None]) -> None:
    budget = BUDGETS[endpoint]
    shop.meter.reset()
    get(budget.warm)  # the code path warmed up
    budget.change(shop)  # the answer expected differs from any the app gave before
    gap = shop.meter.read()  # the warm-up, the write and whatever the app did meanwhile
    assert shop.meter.evictions() == 0, "pg_stat_statements evicted entries: not measured"
    shop.meter.reset()
    status, body, seconds = get(budget.path)
    cost = shop.meter.read()
    assert shop.meter.evictions() == 0, "pg_stat_statements evicted entries: not measured"
    assert status == 200, f"GET {budget.path}: HTTP {status}"
    assert body == json.dumps(budget.answer(shop)).encode(), f"GET {budget.path}: wrong answer"
    scores = {
        "queries": credit(cost.queries, budget.queries),
        "rows": credit(cost.rows, budget.rows),
        "blocks": credit(cost.blocks, budget.blocks),
        # Work done off the measured request (a refresh of a copy, a preload) costs as well.
        "gap_queries": credit(gap.queries, _gap(budget.queries, 5)),
        "gap_rows": credit(gap.rows, _gap(budget.rows, 5)),
        "gap_blocks": credit(gap.blocks, _gap(budget.blocks, 50)),
    }
    for name, value in (*vars(cost).items(), ("wall_ms", round(seconds * 1000, 1))):
        record_property(name, value)
    for name, value in vars(gap).items():
        record_property(f"gap_{name}", value)
    score = min(scores.values())
    record_property("score", round(score, 3))
    detail = (
        ", ".join(
            f"{k} {getattr(cost, k)} (budget {getattr(budget, k)[0]:g})"
            for k in vars(budget)
            if k in scores
        )
        + f"; before it (warm-up, write, meanwhile): {gap}"
    )
    assert score > 0, f"GET {budget.path}: {detail}"
