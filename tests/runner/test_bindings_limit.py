"""The bindings cap holds under concurrent binds, on SQLite and on PostgreSQL (where the invite's
row lock, not a database-wide write lock, is what serialises the count and the insert)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from runner.settings import Settings
from runner.store import Database, open_database
from runner.store.bindings import BindingLimitReached, new_binding
from runner.store.records import create_invite

CAP, ATTEMPTS = 3, 8


def _race(db: Database) -> tuple[int, int]:
    """ATTEMPTS threads bind the same invite at once; (bound, refused)."""
    invite, _token = create_invite(
        db, challenge_id="calculator", candidate="A", expires_days=1, max_submissions=1,
        created_by=None,
    )  # fmt: skip
    start = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []

    def bind() -> None:
        start.wait()
        try:
            with db.writing() as session:
                new_binding(
                    session, "k" * 32, invite_id=invite.id, provider="github",
                    repo_url="https://github.com/a/b", branch="main", created_by=None,
                    max_bindings=CAP,
                )  # fmt: skip
        except BindingLimitReached:
            outcomes.append("refused")
        else:
            outcomes.append("bound")

    threads = [threading.Thread(target=bind) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes.count("bound"), outcomes.count("refused")


def test_concurrent_binds_respect_the_cap_on_sqlite(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "data"))
    try:
        assert _race(db) == (CAP, ATTEMPTS - CAP)
    finally:
        db.close()


@pytest.mark.services
def test_concurrent_binds_respect_the_cap_on_postgres(
    postgres_database: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_database)
    db = open_database(settings)
    try:
        assert _race(db) == (CAP, ATTEMPTS - CAP)
    finally:
        db.close()
