"""Storage of the service: SQLAlchemy models, the database and its migrations, record helpers.

`open_database(settings)` connects and migrates; `records` holds the operations the API and the
command line share (so the rules, e.g. an invite's submission limit, live in one place).
"""

from runner.store.db import Database, database_url, open_database
from runner.store.models import (
    RUN_STATES,
    ApiToken,
    Base,
    Invite,
    RepoBinding,
    Reviewer,
    Run,
    StoredReport,
    Submission,
    WebhookDelivery,
)

__all__ = [
    "RUN_STATES",
    "ApiToken",
    "Base",
    "Database",
    "Invite",
    "RepoBinding",
    "Reviewer",
    "Run",
    "StoredReport",
    "Submission",
    "WebhookDelivery",
    "database_url",
    "open_database",
]
