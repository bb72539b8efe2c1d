"""Feature probes: every endpoint answers exactly as before, byte for byte, on the seeded data."""

from __future__ import annotations

import json

import pytest
from conftest import Shop
from httpget import get


def expect(path: str, answer: object) -> None:
    status, body, _ = get(path)
    assert status == 200, f"GET {path}: HTTP {status}: {body[:300]!r}"
    wanted = json.dumps(answer).encode()
    assert body == wanted, f"GET {path}: got {body[:300]!r}..., expected {wanted[:300]!r}..."


@pytest.mark.parametrize("page", [1, 7, 400])
def test_book_list(shop: Shop, page: int) -> None:
    expect(f"/api/books/?page={page}", shop.oracle.book_list(page))


@pytest.mark.parametrize(("book", "limit"), [(3, 10), (12345, 10), (17, 50)])
def test_book_reviews(shop: Shop, book: int, limit: int) -> None:
    expect(f"/api/books/{book}/reviews/?limit={limit}", shop.oracle.book_reviews(book, limit))


@pytest.mark.parametrize("author", [2, 777])
def test_author_detail(shop: Shop, author: int) -> None:
    expect(f"/api/authors/{author}/", shop.oracle.author_detail(author))


@pytest.mark.parametrize("customer", [17, 29999])
def test_customer_orders(shop: Shop, customer: int) -> None:
    email = f"customer{customer}@example.org"
    expect(f"/api/orders/?email={email}", shop.oracle.customer_orders(email))


def test_recent_orders(shop: Shop) -> None:
    expect("/api/orders/recent/", shop.oracle.recent_orders())


def test_genre_report(shop: Shop) -> None:
    expect("/api/reports/genres/", shop.oracle.genre_report())


def test_errors_are_kept(shop: Shop) -> None:
    assert get("/api/books/?page=0")[0] == 400
    assert get("/api/books/999999/reviews/")[0] == 404
    assert get("/api/authors/999999/")[0] == 404
    assert get("/api/orders/")[0] == 400
