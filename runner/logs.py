"""Log set-up: plain text, or one JSON object a line for log collectors (`TAKEHOME_LOG_FORMAT`).

A log line about a run passes its ids as `extra={"run_id": ..., "submission_id": ...}`; the JSON
formatter writes them as fields, so a collector can follow one submission across the api and
every worker.

Invite tokens are a candidate's only credential and sit in request paths (`/i/<token>/...`):
`RedactInviteTokens`, on the handler `configure_logging` installs, writes every such path as
`/i/<redacted>`, so no access line (text or JSON) holds one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

__all__ = ["CONTEXT_FIELDS", "JsonFormatter", "RedactInviteTokens", "configure_logging"]

#: Record attributes copied into a JSON line when a log call sets them in `extra`.
CONTEXT_FIELDS = ("run_id", "submission_id", "challenge_id", "attempt", "worker")


#: An invite path's token: anything after `/i/` up to the next path, query or quote delimiter.
_TOKEN = re.compile(r"/i/(?!<redacted>)[^/?#\s\"']+")
_REDACTED = "/i/<redacted>"


def _redact(value: object) -> object:
    return _TOKEN.sub(_REDACTED, value) if isinstance(value, str) else value


class RedactInviteTokens(logging.Filter):
    """Rewrites `/i/<token>` to `/i/<redacted>` in a record's arguments (uvicorn's access record
    passes the request path as one, and keeps its shape), then in the message they make."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops the record."""
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact(arg) for key, arg in record.args.items()}
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: the handler reports it as usual
            return True
        if _TOKEN.search(message):  # in the format string, or split across it and an argument
            record.msg, record.args = _TOKEN.sub(_REDACTED, message), ()
        return True


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", <context fields>, "exc"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(fmt: Literal["text", "json"], level: int = logging.INFO) -> None:
    """Route the root logger (and uvicorn's and celery's, which propagate) to stderr."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactInviteTokens())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
