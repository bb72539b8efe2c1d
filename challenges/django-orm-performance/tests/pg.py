"""The probes' own PostgreSQL: started here, owned by the probes' user, reached by the app over
127.0.0.1 as a role that is not a superuser, and watched with `pg_stat_statements`.

The superuser connects only through a Unix socket in this container's own file system, which the
app's container cannot see; TCP logins as anyone but the app's role are rejected. The superuser
owns the database and its schemas; the app's role may only create objects in `public`, so it
cannot plant a schema or object that a superuser's unqualified name would find: every superuser
session runs with `search_path = pg_catalog` and names the statistics in schema `stats`. The
probes' own writes to the app's tables log in as the app's role (through the same socket), so
whatever the app hung on its tables runs with the app's rights, never a superuser's.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

BIN = Path("/usr/lib/postgresql/15/bin")
#: Where the app looks for its database (its settings' defaults): keep the two in step.
PORT = 55432
APP_ROLE = APP_DB = "shop"
#: The schema of `pg_stat_statements`: owned by the superuser, unreadable to the app.
STATS = "stats"
_CONF = {
    "listen_addresses": "'127.0.0.1'",
    "port": str(PORT),
    "max_connections": "30",
    "shared_buffers": "64MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_preload_libraries": "'pg_stat_statements'",
    # Nested statements (functions, triggers) count too, and so do utility statements: a
    # server-side cursor's rows are read by FETCH, which only `track_utility` sees.
    "pg_stat_statements.track": "all",
    "pg_stat_statements.track_utility": "on",
    # Room for every distinct statement of a session (an eviction would lower the counts).
    "pg_stat_statements.max": "10000",
    # Statistics from every row of these tables: the same plans on every run.
    "default_statistics_target": "1000",
    "autovacuum": "off",
    "jit": "off",
}
_HBA = f"""\
local all postgres trust
local {APP_DB} {APP_ROLE} trust
host {APP_DB} {APP_ROLE} 127.0.0.1/32 trust
host all all 0.0.0.0/0 reject
"""


@dataclass(frozen=True)
class Cost:
    """What one request cost the database, as PostgreSQL saw it."""

    queries: int
    rows: int
    blocks: int
    db_ms: float


class Server:
    def __init__(self) -> None:
        root = (
            Path("/work/out") if os.access("/work/out", os.W_OK) else Path(tempfile.gettempdir())
        )
        self.root = Path(tempfile.mkdtemp(prefix="pg-", dir=root))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.socket.mkdir()

    def start(self) -> None:
        _run(BIN / "initdb", "-D", self.data, "-U", "postgres", "-E", "UTF8", "--locale=C", "-N",
             "--auth-local=trust", "--auth-host=reject")  # fmt: skip
        conf = "\n".join(f"{k} = {v}" for k, v in _CONF.items())
        with open(self.data / "postgresql.conf", "a") as fh:
            fh.write(f"\n{conf}\nunix_socket_directories = '{self.socket}'\n")
        (self.data / "pg_hba.conf").write_text(_HBA)
        _run(BIN / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w", "-t", "60",
             "start")  # fmt: skip
        with self.connect("postgres") as conn:
            # NOLOGIN until every grant is in place: the app retries its migrations while its
            # login fails, but a login that gets in before its schema rights would fail them
            # for good (`permission denied for schema public` is not a connection error).
            conn.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
            # The superuser owns the database (and so schema `public`): the app may connect and
            # create its tables in `public`, nothing more (no schemas, no temporary tables).
            conn.execute(f"CREATE DATABASE {APP_DB} OWNER postgres")
            conn.execute(f"REVOKE ALL ON DATABASE {APP_DB} FROM PUBLIC")
            conn.execute(f"GRANT CONNECT ON DATABASE {APP_DB} TO {APP_ROLE}")
        with self.connect() as conn:
            conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            conn.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {APP_ROLE}")
            conn.execute(f"CREATE SCHEMA {STATS}")
            conn.execute(f"REVOKE ALL ON SCHEMA {STATS} FROM PUBLIC")
            conn.execute(f"CREATE EXTENSION pg_stat_statements SCHEMA {STATS}")
            conn.execute(f"ALTER ROLE {APP_ROLE} LOGIN")

    def connect(self, dbname: str = APP_DB) -> psycopg.Connection[tuple[object, ...]]:
        """The superuser, on a search path that holds nothing the app can create."""
        return psycopg.connect(
            host=str(self.socket), port=PORT, user="postgres", dbname=dbname, autocommit=True,
            options="-c search_path=pg_catalog",
        )  # fmt: skip

    def connect_app(self) -> psycopg.Connection[tuple[object, ...]]:
        """The app's role through the probes' socket: the probes' writes to the app's tables run
        with the app's rights, so nothing the app hung on them runs as a superuser."""
        return psycopg.connect(
            host=str(self.socket), port=PORT, user=APP_ROLE, dbname=APP_DB, autocommit=True,
            options="-c search_path=pg_catalog",
        )  # fmt: skip

    def refuse_app_code(self) -> None:
        """Fail (every probe, through the session fixture) if the app's schema holds code that
        the probes' writes or reads would run: functions, triggers, rules."""
        with self.connect() as conn:
            row = conn.execute(_APP_CODE, (APP_ROLE,)).fetchone()
        assert row is not None
        kinds = ("functions", "triggers", "rules")
        found = [f"{n} {kind}" for n, kind in zip(row, kinds, strict=True) if n]
        if found:
            raise RuntimeError(
                f"the app's migrations created {', '.join(found)}: the probes do not load data "
                "into a schema with code of its own (REVIEWER.md, trust model)"
            )

    def stop(self) -> None:
        subprocess.run([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True, check=False)  # fmt: skip

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


class Meter:
    """Counts the app role's statements around one request."""

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        self.conn = conn
        row = conn.execute("SELECT oid FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
        assert row is not None
        self.role = row[0]

    def reset(self) -> None:
        self.conn.execute(f"SELECT {STATS}.pg_stat_statements_reset()")

    def evictions(self) -> int:
        """How often `pg_stat_statements` dropped entries since the reset (counts too low)."""
        row = self.conn.execute(f"SELECT dealloc FROM {STATS}.pg_stat_statements_info").fetchone()
        assert row is not None
        return int(row[0])

    def read(self) -> Cost:
        # Statements end (and are counted) before the app can answer; a short settle anyway.
        time.sleep(0.05)
        row = self.conn.execute(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(rows), 0),"
            " coalesce(sum(shared_blks_hit + shared_blks_read), 0),"
            " coalesce(sum(total_exec_time), 0)"
            f" FROM {STATS}.pg_stat_statements WHERE userid = %s",
            (self.role,),
        ).fetchone()
        assert row is not None
        return Cost(int(row[0]), int(row[1]), int(row[2]), float(row[3]))


#: The app's code in the database: functions (in `public` or owned by the app), triggers that
#: PostgreSQL did not make itself (foreign keys) and rules other than a view's, on its tables.
_APP_CODE = """
SELECT
  (SELECT count(*) FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proowner = r.oid OR n.nspowner = r.oid OR n.nspname = 'public'),
  (SELECT count(*) FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    WHERE NOT t.tgisinternal
      AND (c.relowner = r.oid OR c.relnamespace = 'public'::pg_catalog.regnamespace)),
  (SELECT count(*) FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class c ON c.oid = w.ev_class
    WHERE w.rulename <> '_RETURN'
      AND (c.relowner = r.oid OR c.relnamespace = 'public'::pg_catalog.regnamespace))
FROM pg_catalog.pg_roles r WHERE r.rolname = %s
"""


def _run(*argv: object) -> None:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
