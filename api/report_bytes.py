"""The stored JSON of reports as bytes, kept per report id for the reviewer's report read.

A stored report never changes (a regrade adds another), so its bytes can be kept by report id
with no invalidation: a read is then one indexed lookup of the submission's current report id,
not the transfer and encoding of up to `max_report_bytes` per request. The bytes are served as
stored (never parsed or re-serialised). Bounded by a byte budget, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import bindparam, select

from api.views import Reader
from runner.store import StoredReport

__all__ = ["ReportBytes"]

_CURRENT_ID = select(StoredReport.id).where(
    StoredReport.submission_id == bindparam("submission_id"), StoredReport.current.is_(True)
)
_JSON = select(StoredReport.json).where(StoredReport.id == bindparam("report_id"))


class ReportBytes:
    """Current reports' JSON by submission, from a cache of at most `budget` bytes."""

    def __init__(self, budget: int = 64 * 1024 * 1024) -> None:
        self.budget = budget
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def current(self, reader: Reader, submission_id: str) -> bytes | None:
        """The submission's current report as stored; None while it has none."""
        report_id = reader.execute(_CURRENT_ID, {"submission_id": submission_id}).scalar()
        if report_id is None:
            return None
        with self._lock:
            found = self._kept.get(report_id)
            if found is not None:
                self._kept.move_to_end(report_id)
                return found
        text = reader.execute(_JSON, {"report_id": report_id}).scalar()
        if text is None:
            return None
        data = text.encode()
        self._keep(report_id, data)
        return data

    def _keep(self, report_id: str, data: bytes) -> None:
        if len(data) > self.budget:
            return
        with self._lock:
            if report_id in self._kept:
                return
            self._kept[report_id] = data
            self._size += len(data)
            while self._size > self.budget:
                _, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped)
