"""The endpoints' answers on a small data set, and how many queries each one needs."""

import datetime
from decimal import Decimal
from unittest import mock

from django.db import OperationalError
from django.test import TestCase

from catalog import startup
from catalog.models import Author, Book, Order, Review, Setting

DAY = datetime.date(2024, 3, 1)


class ShopTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ann = Author.objects.create(name="Ann Lee", country="GB")
        cls.bo = Author.objects.create(name="Bo Tan", country="SG")
        cls.sea = Book.objects.create(
            title="Sea", author=cls.ann, genre="poetry", year=2001, price=Decimal("10.00")
        )
        cls.sky = Book.objects.create(
            title="Sky", author=cls.ann, genre="poetry", year=2003, price=Decimal("15.25")
        )
        cls.code = Book.objects.create(
            title="Code", author=cls.bo, genre="tech", year=2020, price=Decimal("40.00")
        )
        for day, rating in enumerate([5, 4, 4]):
            Review.objects.create(
                book=cls.sea, rating=rating, created=DAY + datetime.timedelta(days=day)
            )
        Review.objects.create(book=cls.code, rating=2, created=DAY)
        Order.objects.create(
            email="a@x.org", book=cls.sea, quantity=2, unit_price=Decimal("9.99"), created=DAY
        )
        Order.objects.create(
            email="a@x.org", book=cls.code, quantity=1, unit_price=Decimal("40.00"), created=DAY
        )
        Order.objects.create(
            email="b@x.org", book=cls.sky, quantity=3, unit_price=Decimal("15.25"), created=DAY
        )
        Setting.objects.create(key="vat_percent", value="20")

    def json(self, url, queries):
        with self.assertNumQueries(queries):
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()


class EndpointTests(ShopTestCase):
    def test_health_needs_no_database(self):
        with self.assertNumQueries(0):
            self.assertEqual(self.client.get("/healthz").content, b"ok")

    def test_book_list_pages(self):
        data = self.json("/api/books/?page=1", 1)
        self.assertEqual([b["title"] for b in data["books"]], ["Sea", "Sky", "Code"])
        self.assertEqual(data["books"][2]["author"], "Bo Tan")
        self.assertEqual(data["books"][1]["price"], "15.25")
        self.assertEqual(self.json("/api/books/?page=2", 1)["books"], [])

    def test_bad_parameters_are_400(self):
        for url in ("/api/books/?page=0", "/api/books/?page=x", "/api/orders/"):
            self.assertEqual(self.client.get(url).status_code, 400, url)
        url = f"/api/books/{self.sea.id}/reviews/?limit=51"
        self.assertEqual(self.client.get(url).status_code, 400)

    def test_book_reviews_newest_first(self):
        data = self.json(f"/api/books/{self.sea.id}/reviews/?limit=2", 2)
        self.assertEqual([r["rating"] for r in data["reviews"]], [4, 4])
        self.assertEqual(data["reviews"][0]["created"], "2024-03-03")
        self.assertEqual(self.client.get("/api/books/999/reviews/").status_code, 404)

    def test_author_counts(self):
        data = self.json(f"/api/authors/{self.ann.id}/", 3)
        self.assertEqual((data["books"], data["reviews"]), (2, 3))
        self.assertEqual(self.client.get("/api/authors/999/").status_code, 404)

    def test_customer_orders(self):
        data = self.json("/api/orders/?email=a@x.org", 1)
        self.assertEqual([o["total"] for o in data["orders"]], ["40.00", "19.98"])
        self.assertEqual(data["spent"], "59.98")

    def test_recent_orders_with_vat(self):
        data = self.json("/api/orders/recent/", 2)
        self.assertEqual(data["vat_percent"], "20")
        self.assertEqual([o["gross"] for o in data["orders"]], ["54.90", "48.00", "23.98"])

    def test_recent_orders_without_vat_setting(self):
        Setting.objects.all().delete()
        self.assertEqual(self.json("/api/orders/recent/", 2)["vat_percent"], "0")

    def test_genre_report(self):
        data = self.json("/api/reports/genres/", 2)
        poetry, tech = data["genres"]
        self.assertEqual(
            poetry,
            {
                "genre": "poetry",
                "books": 2,
                "avg_price": "12.63",
                "reviews": 3,
                "avg_rating": "4.33",
            },
        )
        self.assertEqual((tech["reviews"], tech["avg_rating"]), (1, "2.00"))

    def test_genre_without_reviews(self):
        Review.objects.filter(book=self.code).delete()
        tech = self.json("/api/reports/genres/", 2)["genres"][1]
        self.assertEqual((tech["reviews"], tech["avg_rating"]), (0, None))


class StartupTests(TestCase):
    def test_ready_after_migrating(self):
        self.assertTrue(startup.migrate_when_ready())
        self.assertTrue(startup.is_ready())
        self.assertEqual(self.client.get("/readyz").status_code, 200)

    def test_retries_until_the_database_answers(self):
        failing = mock.patch.object(
            startup, "call_command", side_effect=OperationalError("no database")
        )
        with failing, mock.patch.object(startup.time, "sleep") as slept:
            self.assertFalse(startup.migrate_when_ready(pause=0.1, attempts=3))
        self.assertEqual(slept.call_count, 3)

    def test_not_ready_before_migrating(self):
        startup._ready.clear()
        self.assertEqual(self.client.get("/readyz").status_code, 503)
        startup._ready.set()
