"""The probes' own PostgreSQL: started here, owned by the probes' user, reached by the app over
127.0.0.1 as a role that is not a superuser, and watched with `pg_stat_statements`.

The superuser connects only through a Unix socket in this container's own file system, which the
app's container cannot see; TCP logins as anyone but the app's role are rejected.
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
    # Statistics from every row of these tables: the same plans on every run.
    "default_statistics_target": "1000",
    "autovacuum": "off",
    "jit": "off",
}
_HBA = f"""\
local all postgres trust
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
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
            conn.execute(f"CREATE DATABASE {APP_DB} OWNER {APP_ROLE}")
        with self.connect() as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            # The app must not watch its own statistics (to see when a measurement starts).
            conn.execute("REVOKE ALL ON pg_stat_statements, pg_stat_statements_info FROM PUBLIC")
            conn.execute("REVOKE ALL ON FUNCTION pg_stat_statements(boolean) FROM PUBLIC")

    def connect(self, dbname: str = APP_DB) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=str(self.socket), port=PORT, user="postgres", dbname=dbname, autocommit=True
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
        self.conn.execute("SELECT pg_stat_statements_reset()")

    def read(self) -> Cost:
        # Statements end (and are counted) before the app can answer; a short settle anyway.
        time.sleep(0.05)
        row = self.conn.execute(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(rows), 0),"
            " coalesce(sum(shared_blks_hit + shared_blks_read), 0),"
            " coalesce(sum(total_exec_time), 0) FROM pg_stat_statements WHERE userid = %s",
            (self.role,),
        ).fetchone()
        assert row is not None
        return Cost(int(row[0]), int(row[1]), int(row[2]), float(row[3]))


def _run(*argv: object) -> None:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
