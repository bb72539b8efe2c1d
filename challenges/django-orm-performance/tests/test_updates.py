"""Answers follow the data: rows written after the first answers show in the next ones (an app
that caches answers across requests, or loads the tables once, loses here)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from conftest import Shop
from test_answers import expect

DAY = datetime.date(2030, 1, 1)


def test_new_rows_show_up(shop: Shop) -> None:
    for path in ("/api/reports/genres/", "/api/books/9/reviews/", "/api/authors/3/",
                 "/api/orders/recent/", "/api/orders/?email=customer5@example.org"):  # fmt: skip
        assert expect_ok(path)
    review = (len(shop.data.reviews) + 1, 9, 5, DAY)
    order = (len(shop.data.orders) + 1, "customer5@example.org", 9, 2, Decimal("12.34"), DAY)
    shop.write("INSERT INTO public.catalog_review (id, book_id, rating, created) "
               "VALUES (%s, %s, %s, %s)", review)  # fmt: skip
    shop.write("INSERT INTO public.catalog_order (id, email, book_id, quantity, unit_price, "
               "created) VALUES (%s, %s, %s, %s, %s, %s)", order)  # fmt: skip
    shop.write("UPDATE public.catalog_setting SET value = '19' WHERE key = 'vat_percent'")
    shop.data.reviews.append(review)
    shop.data.orders.append(order)
    shop.data.settings = [(1, "currency", "EUR"), (2, "vat_percent", "19")]
    expect("/api/reports/genres/", shop.oracle.genre_report())
    expect("/api/books/9/reviews/", shop.oracle.book_reviews(9, 10))
    expect("/api/authors/3/", shop.oracle.author_detail(3))
    expect("/api/orders/recent/", shop.oracle.recent_orders())
    expect("/api/orders/?email=customer5@example.org",
           shop.oracle.customer_orders("customer5@example.org"))  # fmt: skip


def expect_ok(path: str) -> bool:
    from httpget import get

    return get(path)[0] == 200
