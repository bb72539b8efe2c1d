"""Changes against the starter: the reviewer's page and its JSON (reviewers only).

Computed on each request from the submission's snapshot in the blob store and the challenge's
starter (`runner.changes`); nothing is cached in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup

from api.auth import CurrentReviewer, csrf_page
from api.blinding import blind_view
from api.highlight import TOKEN_CSS, highlight_lines
from api.pages import markdown_html
from api.services import Services, Svc
from api.views import SubmissionView, load_submission
from runner.changes import (
    ORIGINS,
    Changes,
    DiffLine,
    FileChange,
    Hunk,
    Note,
    PlacedFinding,
    compare_to_starter,
)
from runner.intake import Snapshot

__all__ = ["router"]

router = APIRouter()
#: Diff lines shown inline on the overview page; later files are linked, not shown.
_OVERVIEW_LINES = 2000
Page = Annotated[int, Query(ge=1, le=10_000, description="Page of the file's diff, from 1")]
FilePath = Annotated[str | None, Query(max_length=1024, description="A changed file's path")]


def _compare(svc: Services, submission_id: str) -> tuple[SubmissionView, Changes]:
    with svc.db.reading() as session:
        view = blind_view(session, svc, load_submission(session, submission_id))
    challenge = svc.challenges.get(view.challenge_id)
    snapshot = Snapshot.from_tar(svc.blobs.get(view.snapshot_digest))
    return view, compare_to_starter(snapshot, challenge, view.report())


def _note_json(note: Note) -> dict[str, Any]:
    return {
        "path": note.path,
        "status": note.status,
        "truncated": note.truncated,
        "text": note.text,
        "html": str(markdown_html(note.text)),
    }


@router.get(
    "/api/submissions/{submission_id}/changes",
    tags=["json api"],
    summary="Changes against the starter",
)
async def changes_json(
    submission_id: str,
    svc: Svc,
    reviewer: CurrentReviewer,
    file: FilePath = None,
    page: Page = 1,
) -> dict[str, Any]:
    """Files added, removed and changed against the starter that was graded, with line counts;
    every finding marked introduced or inherited, counted per category; NOTES.md and README.md
    as text and as escaped HTML. With `file`: that file's diff hunks, page `page`."""
    del reviewer
    view, changes = await run_in_threadpool(_compare, svc, submission_id)
    if file is not None:
        change = changes.file(file)
        return {
            "submission": view.id,
            **change.as_json(),
            "page": page,
            "hunks": [hunk.as_json() for hunk in change.page(page)],
            "findings": [p.as_json() for p in changes.findings if p.finding.file == file],
        }
    return {
        "submission": view.id,
        "challenge": view.challenge_id,
        **changes.as_json(),
        "notes": [_note_json(note) for note in changes.notes],
    }


@dataclass(frozen=True)
class _Row:
    """One diff line as the page shows it: highlighted HTML and the findings on it."""

    line: DiffLine
    html: Markup
    findings: tuple[PlacedFinding, ...]


@dataclass(frozen=True)
class _Shown:
    """A file's diff page as shown: hunks of rows, or nothing for a skipped file."""

    change: FileChange
    page: int
    hunks: tuple[tuple[Hunk, tuple[_Row, ...]], ...]


def _show(change: FileChange, page: int, findings: Sequence[PlacedFinding]) -> _Shown:
    hunks = change.page(page)
    if not hunks:
        return _Shown(change, page, ())
    new = highlight_lines(change.path, change.new_lines)
    old = highlight_lines(change.path, change.old_lines)
    at: dict[int, list[PlacedFinding]] = {}
    for placed in findings:
        if placed.finding.file == change.path and placed.finding.line is not None:
            at.setdefault(placed.finding.line, []).append(placed)
    shown = []
    for hunk in hunks:
        rows = tuple(
            _Row(
                line,
                new[line.new - 1] if line.new is not None else old[(line.old or 1) - 1],
                tuple(at.get(line.new, ())) if line.new is not None else (),
            )
            for line in hunk.lines
        )
        shown.append((hunk, rows))
    return _Shown(change, page, tuple(shown))


def _page_context(
    view: SubmissionView, changes: Changes, file: str | None, page: int
) -> dict[str, Any]:
    if file is not None:
        shown = [_show(changes.file(file), page, changes.findings)]
        linked: list[FileChange] = []
    else:
        shown, linked, budget = [], [], _OVERVIEW_LINES
        for change in changes.files:
            size = sum(len(hunk.lines) for hunk in change.page(1))
            if size > budget:
                linked.append(change)
                continue
            budget -= size
            shown.append(_show(change, 1, changes.findings))
    return {
        "view": view,
        "changes": changes,
        "summary": changes.as_json()["summary"],
        "categories": changes.categories(),
        "origins": ORIGINS,
        "shown": shown,
        "linked": linked,
        "single": file is not None,
        "notes": [(note, markdown_html(note.text)) for note in changes.notes],
        "token_css": TOKEN_CSS,
    }


@router.get(
    "/reviewer/submissions/{submission_id}/changes",
    tags=["reviewer pages"],
    summary="Changes page",
)
async def changes_page(
    request: Request,
    submission_id: str,
    *,
    svc: Svc,
    reviewer: CurrentReviewer,
    file: FilePath = None,
    page: Page = 1,
) -> Response:
    """The submission against its starter: files, highlighted diffs, findings on their lines."""
    view, changes = await run_in_threadpool(_compare, svc, submission_id)
    context = await run_in_threadpool(_page_context, view, changes, file, page)
    return csrf_page(request, svc, "changes.html", {**context, "reviewer": reviewer})
