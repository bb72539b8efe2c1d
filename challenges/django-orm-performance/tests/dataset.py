"""The probes' data set, generated from a fixed seed, and the answers it implies.

Nothing here asks the app: the expected answers are computed from the rows the probes load.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

SEED = 20261202
AUTHORS = 2_000
BOOKS = 20_000
REVIEWS = 200_000
ORDERS = 120_000
CUSTOMERS = 30_000
#: The first books get most of the reviews (a few bestsellers, a long tail).
BESTSELLERS = 40
VAT_PERCENT = "21"
GENRES = (
    "biography", "children", "classics", "crime", "fantasy", "history",
    "horror", "poetry", "romance", "science", "thriller", "travel",
)  # fmt: skip
COUNTRIES = ("DE", "FR", "GB", "IT", "JP", "NL", "SE", "US")
_FIRST = ("Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kai", "Lou")
_LAST = ("Ng", "Oak", "Poe", "Quinn", "Roy", "Sato", "Tate", "Umar", "Voss", "Wu", "Yates")
_WORDS = ("Night", "River", "Glass", "Stone", "Winter", "Garden", "Silent", "Red", "Lost", "Sea")
_START = datetime.date(2015, 1, 1)
CENT = Decimal("0.01")


@dataclass
class Data:
    authors: list[tuple[int, str, str]] = field(default_factory=list)
    books: list[tuple[int, str, int, str, int, Decimal]] = field(default_factory=list)
    reviews: list[tuple[int, int, int, datetime.date]] = field(default_factory=list)
    orders: list[tuple[int, str, int, int, Decimal, datetime.date]] = field(default_factory=list)
    settings: list[tuple[int, str, str]] = field(default_factory=list)


def generate(seed: int = SEED) -> Data:
    rng = random.Random(seed)
    data = Data()
    for i in range(1, AUTHORS + 1):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {i}"
        data.authors.append((i, name, rng.choice(COUNTRIES)))
    for i in range(1, BOOKS + 1):
        title = f"The {rng.choice(_WORDS)} {rng.choice(_WORDS)} #{i}"
        price = Decimal(rng.randint(399, 4999)) / 100
        author = rng.randint(1, AUTHORS) if i > BESTSELLERS else 1 + i % 7
        data.books.append((i, title, author, rng.choice(GENRES), rng.randint(1950, 2024), price))
    for i in range(1, REVIEWS + 1):
        book = rng.randint(1, BESTSELLERS) if rng.random() < 0.3 else rng.randint(1, BOOKS)
        day = _START + datetime.timedelta(days=rng.randint(0, 3600))
        data.reviews.append((i, book, rng.randint(1, 5), day))
    for i in range(1, ORDERS + 1):
        book = data.books[rng.randint(1, BOOKS) - 1]
        email = f"customer{rng.randint(1, CUSTOMERS)}@example.org"
        day = _START + datetime.timedelta(days=rng.randint(0, 3600))
        data.orders.append((i, email, book[0], rng.randint(1, 4), book[5], day))
    data.settings = [(1, "currency", "EUR"), (2, "vat_percent", VAT_PERCENT)]
    return data


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def mean(total: int | Decimal, count: int) -> str | None:
    return money(Decimal(total) / Decimal(count)) if count else None


class Oracle:
    """The expected answer of every endpoint, from the generated rows."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self._authors = {a[0]: a for a in data.authors}

    def book_list(self, page: int) -> dict[str, object]:
        start = (page - 1) * 50
        rows = [
            {
                "id": b[0],
                "title": b[1],
                "author": self._authors[b[2]][1],
                "genre": b[3],
                "year": b[4],
                "price": money(b[5]),
            }
            for b in sorted(self.data.books)[start : start + 50]
        ]
        return {"page": page, "books": rows}

    def book_reviews(self, book: int, limit: int) -> dict[str, object]:
        mine = [r for r in self.data.reviews if r[1] == book]
        mine.sort(key=lambda r: (r[3], r[0]), reverse=True)
        rows = [{"id": r[0], "rating": r[2], "created": r[3].isoformat()} for r in mine[:limit]]
        return {"book": book, "reviews": rows}

    def author_detail(self, author: int) -> dict[str, object]:
        books = {b[0] for b in self.data.books if b[2] == author}
        reviews = sum(1 for r in self.data.reviews if r[1] in books)
        _, name, country = self._authors[author]
        return {
            "id": author,
            "name": name,
            "country": country,
            "books": len(books),
            "reviews": reviews,
        }

    def customer_orders(self, email: str) -> dict[str, object]:
        mine = [o for o in self.data.orders if o[1] == email]
        mine.sort(key=lambda o: (o[5], o[0]), reverse=True)
        rows = [
            {"id": o[0], "book": o[2], "quantity": o[3], "total": money(o[3] * o[4])} for o in mine
        ]
        spent = sum((o[3] * o[4] for o in mine), Decimal(0))
        return {"email": email, "orders": rows, "spent": money(spent)}

    def recent_orders(self) -> dict[str, object]:
        vat = Decimal(dict((s[1], s[2]) for s in self.data.settings).get("vat_percent", "0"))
        rows = [
            {
                "id": o[0],
                "email": o[1],
                "quantity": o[3],
                "gross": money(o[3] * o[4] * (100 + vat) / 100),
            }
            for o in sorted(self.data.orders, reverse=True)[:50]
        ]
        return {"vat_percent": str(vat), "orders": rows}

    def genre_report(self) -> dict[str, object]:
        genre_of = {b[0]: b[3] for b in self.data.books}
        stats: dict[str, list[Decimal | int]] = {}
        for b in self.data.books:
            entry = stats.setdefault(b[3], [0, Decimal(0), 0, 0])
            entry[0] += 1
            entry[1] += b[5]
        for r in self.data.reviews:
            entry = stats[genre_of[r[1]]]
            entry[2] += 1
            entry[3] += r[2]
        rows = [
            {
                "genre": genre,
                "books": int(n),
                "avg_price": mean(price, int(n)),
                "reviews": int(rn),
                "avg_rating": mean(rating, int(rn)),
            }
            for genre, (n, price, rn, rating) in sorted(stats.items())
        ]
        return {"genres": rows}
