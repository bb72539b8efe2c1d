"""Storage of the service: SQLAlchemy models, the database and its migrations, record helpers.

`open_database(settings)` connects and migrates; `records` holds the operations the API and the
command line share (so the rules, e.g. an invite's submission limit, live in one place).
"""

from runner.store.db import Database, database_url, open_database
from runner.store.events import EventAttempt, EventDelivery, EventEndpoint
from runner.store.models import (
    RUN_STATES,
    ApiToken,
    Base,
    Decision,
    Invite,
    RepoBinding,
    Review,
    Reviewer,
    ReviewRevision,
    Run,
    StoredReport,
    Submission,
    WebhookDelivery,
)
from runner.store.similarity import SimilarityCheck, SimilarityFingerprint, SimilarityPair

__all__ = [
    "RUN_STATES",
    "ApiToken",
    "Base",
    "Database",
    "Decision",
    "EventAttempt",
    "EventDelivery",
    "EventEndpoint",
    "Invite",
    "RepoBinding",
    "Review",
    "ReviewRevision",
    "Reviewer",
    "Run",
    "SimilarityCheck",
    "SimilarityFingerprint",
    "SimilarityPair",
    "StoredReport",
    "Submission",
    "WebhookDelivery",
    "database_url",
    "open_database",
]
