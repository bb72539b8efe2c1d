"""The probes' session: start PostgreSQL, let the app migrate it, load the data set, analyse it.

The app's schema comes from its own migrations (with whatever indexes they add); the rows come
from here, by COPY, so the probes know every answer and every count without asking the app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dataset import Data, Oracle, generate
from httpget import get
from pg import Meter, Server

READY_SECONDS = 90
TABLES = {
    "catalog_author": ("id", "name", "country"),
    "catalog_book": ("id", "title", "author_id", "genre", "year", "price"),
    "catalog_review": ("id", "book_id", "rating", "created"),
    "catalog_order": ("id", "email", "book_id", "quantity", "unit_price", "created"),
    "catalog_setting": ("id", "key", "value"),
}


@dataclass
class Shop:
    server: Server
    meter: Meter
    data: Data
    oracle: Oracle

    def write(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """One write behind the app's back, as the app's role (never as a superuser), into a
        schema that still holds no code of the app's."""
        self.server.refuse_app_code()
        with self.server.connect_app() as conn:
            conn.execute(sql, params)


def _wait_until_migrated(server: Server) -> None:
    deadline = time.monotonic() + READY_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            status, body, _ = get("/readyz")
            if status == 200:
                return
            last = f"HTTP {status}: {body[:200]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.25)
    raise RuntimeError(f"the app did not migrate its database: {last}\n{server.log()}")


def _load(server: Server, data: Data) -> None:
    rows = {
        "catalog_author": data.authors,
        "catalog_book": data.books,
        "catalog_review": data.reviews,
        "catalog_order": data.orders,
        "catalog_setting": data.settings,
    }
    # As the app's role: whatever the app's schema runs on a write runs with the app's rights
    # (and the schema is checked to hold none of the app's code first).
    server.refuse_app_code()
    with server.connect_app() as conn:
        for table, columns in TABLES.items():
            with conn.cursor() as cur:
                cur.execute(f"TRUNCATE public.{table} CASCADE")
                with cur.copy(f"COPY public.{table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(_tsv(rows[table]))
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('public.{table}', 'id'), "
                f"(SELECT max(id) FROM public.{table}))"
            )
        for table in TABLES:
            conn.execute(f"VACUUM (ANALYZE) public.{table}")


def _tsv(rows: list[Any]) -> str:
    # COPY's text format; the generated values hold no tabs, newlines or backslashes.
    return "".join("\t".join(map(str, row)) + "\n" for row in rows)


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    server = Server()
    server.start()
    try:
        _wait_until_migrated(server)
        data = generate()
        _load(server, data)
        with server.connect() as conn:
            yield Shop(server, Meter(conn), data, Oracle(data))
    finally:
        server.stop()
