"""Downgrading a test database: `Database.migrate` only upgrades, so tests of a migration's
downgrade go through Alembic itself, on the database's own connection."""

from __future__ import annotations

from alembic import command

from runner.store import Database
from runner.store.db import migrations_config


def downgrade(db: Database, revision: str) -> None:
    """Downgrade `db` to `revision`."""
    config = migrations_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
