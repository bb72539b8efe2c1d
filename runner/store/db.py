"""The database: engine, sessions and schema migrations (Alembic, applied on open).

Embedded default: SQLite in WAL mode at `<data_dir>/takehome.db`, with a busy timeout so the
web threads and the worker threads wait for each other instead of failing. A write transaction
(`Database.writing()`) starts with `BEGIN IMMEDIATE` on SQLite: it takes the write lock up front,
so two writers never deadlock upgrading a read lock. `TAKEHOME_DATABASE_URL` selects another
database: PostgreSQL through psycopg 3 (`postgresql+psycopg://user:password@host/db`); the same
migrations apply. There a write transaction is a plain READ COMMITTED one: the queue's claims are
conditional UPDATEs, which PostgreSQL re-checks on the locked row, so two workers never take the
same run; rows a check-then-insert depends on are locked with `SELECT ... FOR UPDATE`. Migrations
run under an advisory lock, so an api and its workers starting together migrate once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from runner.settings import Settings

__all__ = ["Database", "database_url", "migrations_config", "open_database"]

_PG_LOCK = 0x74616B65  # "take": the advisory lock key of schema migrations


def database_url(settings: Settings) -> str:
    """`settings.database_url`, or the SQLite file under the data dir."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{settings.data_dir / 'takehome.db'}"


def migrations_config() -> Config:
    """The Alembic configuration of the bundled migrations."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("runner.store") / "migrations"))
    return config


class Database:
    """An engine and two session factories: plain (reads) and `writing()` (one write txn)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._single_reads = engine.execution_options(takehome_single_read=True)
        self._writers = sessionmaker(
            engine.execution_options(takehome_immediate=True), expire_on_commit=False
        )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; closed (rolled back) at the end."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def single_read(self) -> Iterator[Connection]:
        """A plain connection for one SELECT (the hot reads: a candidate's poll, an API token):
        no ORM session, and on SQLite no explicit BEGIN (one statement is its own consistent
        read, and the round trip costs as much as the SELECT)."""
        with self._single_reads.connect() as connection:
            yield connection

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on an exception."""
        with self._writers() as session, session.begin():
            yield session

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (`alembic upgrade head` by default)."""
        config = migrations_config()
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Held until this transaction ends: concurrent starters wait, then find the
                # schema up to date.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction begins (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("takehome_single_read", False):
            return  # autocommit: the one SELECT runs in its own implicit read transaction
        immediate = options.get("takehome_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _private_data_dir(settings: Settings) -> None:
    """The data dir made (or tightened to) 0700 and the SQLite file created 0600 before SQLite
    opens it: it holds password hashes and token digests. SQLite gives its `-wal` and `-shm`
    files the database file's mode, so they are 0600 too. A dir this process does not own (a
    mounted volume) is left as it is."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(PermissionError):
        data_dir.chmod(0o700)
    database = data_dir / "takehome.db"
    os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    with contextlib.suppress(PermissionError):
        database.chmod(0o600)


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Connect (creating the data dir for SQLite, private: see `_private_data_dir`) and apply
    pending migrations."""
    url = database_url(settings)
    if url.startswith("sqlite"):
        if not settings.database_url:
            _private_data_dir(settings)
        else:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = _sqlite_engine(url)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    database = Database(engine)
    if migrate:
        database.migrate()
    return database
