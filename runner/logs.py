"""Log set-up: plain text, or one JSON object a line for log collectors (`TAKEHOME_LOG_FORMAT`).

A log line about a run passes its ids as `extra={"run_id": ..., "submission_id": ...}`; the JSON
formatter writes them as fields, so a collector can follow one submission across the api and
every worker.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

__all__ = ["CONTEXT_FIELDS", "JsonFormatter", "configure_logging"]

#: Record attributes copied into a JSON line when a log call sets them in `extra`.
CONTEXT_FIELDS = ("run_id", "submission_id", "challenge_id", "attempt", "worker")


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
