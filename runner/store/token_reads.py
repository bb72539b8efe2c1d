"""The API-token check every bearer request makes, as one SELECT of columns built once.

`records.usable_api_token` answers the same question through an ORM session (a joined load of
the token and its reviewer); it stays for the CLI. This read is the hot one: it runs on a plain
connection, without a session, an identity map or a statement built per call, and returns the
reviewer as a transient `Reviewer` built from the selected columns (nothing is loaded lazily
from it later: it has no relationships).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from runner.store.models import ApiToken, Reviewer, utcnow
from runner.store.secrets import token_digest

__all__ = ["TokenUse", "token_use"]

_REVIEWER_COLUMNS = tuple(Reviewer.__table__.columns)
_TOKEN_USE = (
    select(
        ApiToken.id.label("token_id"),
        ApiToken.expires_at.label("token_expires_at"),
        ApiToken.revoked_at.label("token_revoked_at"),
        ApiToken.last_used_at.label("token_last_used_at"),
        *_REVIEWER_COLUMNS,
    )
    .join(Reviewer, Reviewer.id == ApiToken.reviewer_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


@dataclass(frozen=True)
class TokenUse:
    """A usable API token: its reviewer, its id and when it was last used."""

    reviewer: Reviewer
    token_id: str
    last_used_at: datetime | None


def token_use(connection: Connection, token: str, now: datetime | None = None) -> TokenUse | None:
    """The token's use when it is known, not expired, not revoked, and its reviewer is not
    disabled (as `records.usable_api_token`); else None."""
    row = connection.execute(_TOKEN_USE, {"token_hash": token_digest(token)}).first()
    if row is None or row.token_revoked_at is not None or row.disabled_at is not None:
        return None
    expires = row.token_expires_at
    if expires is not None and expires <= (now or utcnow()):
        return None
    fields = row._mapping
    reviewer = Reviewer(**{column.key: fields[column] for column in _REVIEWER_COLUMNS})
    return TokenUse(reviewer, row.token_id, row.token_last_used_at)
