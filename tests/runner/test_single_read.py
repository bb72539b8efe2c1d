"""`Database.single_read`: one SELECT on a plain connection, without an explicit BEGIN."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from api.services import Services
from runner.store import Reviewer
from runner.store.records import create_reviewer


def _statements(svc: Services, read: Any) -> list[str]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]).strip().split()[0].upper())

    event.listen(svc.db.engine, "before_cursor_execute", record)
    try:
        read()
    finally:
        event.remove(svc.db.engine, "before_cursor_execute", record)
    return seen


def test_a_single_read_sends_only_its_select(svc: Services) -> None:
    query = select(Reviewer.email)

    def single() -> None:
        with svc.db.single_read() as connection:
            connection.execute(query).all()

    def plain() -> None:
        with svc.db.engine.connect() as connection:
            connection.execute(query).all()

    assert _statements(svc, single) == ["SELECT"]
    assert _statements(svc, plain) == ["BEGIN", "SELECT"]


def test_a_single_read_sees_what_was_committed_before_it(svc: Services) -> None:
    with svc.db.single_read() as connection:
        before = connection.execute(select(Reviewer.email)).scalars().all()
    create_reviewer(svc.db, "late@example.com", "a long enough password")
    with svc.db.single_read() as connection:
        after = connection.execute(select(Reviewer.email)).scalars().all()
    assert set(after) - set(before) == {"late@example.com"}
