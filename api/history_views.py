"""The Git history of a submission as a reviewer sees it: the timeline and its signals.

`history_view` is the one read the report page (`_history.html`) and
`GET /api/submissions/{id}/history` share: the stored history (`runner.githistory.load_history`),
each commit with its size and time marks, the signals (`runner.githistory.history_signals`),
and a caution that dates and authors are the candidate's own. While the invite is blind
(`api.blinding`) every author's name and e-mail address is `HIDDEN`, and the identifying
strings of the invite (its e-mail address, repository URLs) are scrubbed from the subjects.
Candidates never reach it (reviewer routes only). An upload has no history: the view says so.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from api.blinding import HIDDEN, Identity, blinding
from api.services import Services
from api.views import SubmissionView
from runner.githistory import HistoryContext, commit_marks, history_signals, load_history
from runner.gitintake import Commit, GitHistory
from runner.starter import invite_starter_commit
from runner.store import Invite

__all__ = ["CAUTION", "history_view"]

CAUTION = (
    "Commit dates and authors are written by the candidate's own git (any date can be set):"
    " these are signals for a person to weigh, not proof, and they never change the score."
)
_UPLOAD = (
    "History is only available for Git submissions (URL or push): a .git folder inside an"
    " uploaded archive is not read."
)
_NOT_RECORDED = "No history was recorded for this submission (made before histories were kept)."


def _context(session: Session, svc: Services, view: SubmissionView) -> HistoryContext:
    invite = session.get(Invite, view.invite_id) if view.invite_id else None
    bulk = svc.settings.git_history_bulk_lines
    if invite is None:
        return HistoryContext(starter_descent=view.starter_descent, bulk_lines=bulk)
    return HistoryContext(
        invite_created_at=invite.created_at,
        started_at=invite.started_at,
        deadline=invite.deadline(),
        starter_commit=invite_starter_commit(svc.db, invite.id),
        starter_descent=view.starter_descent,
        bulk_lines=bulk,
    )


def _commit(commit: Commit, marks: list[str], who: Identity | None) -> dict[str, Any]:
    shown = dataclasses.asdict(commit)
    if who is not None:
        shown["author_name"] = shown["author_email"] = HIDDEN
        shown["subject"] = who.text(commit.subject)
    return {**shown, "marks": marks}


def _body(history: GitHistory, context: HistoryContext, who: Identity | None) -> dict[str, Any]:
    marks = commit_marks(history, context)
    commits = [_commit(c, marks.get(c.sha, []), who) for c in history.commits]
    widest = max((c.lines for c in history.commits if c.counted), default=0)
    return {
        "available": True,
        "reason": None,
        "limit": history.limit,
        "complete": history.complete,
        "note": history.note,
        "starter_commit": context.starter_commit,
        "widest": widest,
        "commits": commits,
        "signals": [dataclasses.asdict(s) for s in history_signals(history, context)],
    }


def history_view(session: Session, svc: Services, view: SubmissionView) -> dict[str, Any]:
    """The submission's history for a reviewer (JSON-ready; see the module docstring)."""
    base = {"caution": CAUTION, "commits": [], "signals": []}
    if view.source_kind != "git":
        return {**base, "available": False, "reason": _UPLOAD}
    history = load_history(session, view.id)
    if history is None:
        return {**base, "available": False, "reason": _NOT_RECORDED}
    found = blinding(session, svc.settings.secret_key, [view.invite_id])
    who = found.hidden.get(view.invite_id or "")
    return {**base, **_body(history, _context(session, svc, view), who)}
