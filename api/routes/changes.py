"""Changes against the starter: the reviewer's page and its JSON (reviewers only).

Computed on each request from the submission's snapshot in the blob store and the challenge's
starter (`runner.changes`); nothing is cached in the database.

The page is also where a reviewer comments on lines: each submission line's number links to the
same page with a comment form under that line (`comment_file`, `comment_line`; plain HTML, the CSP
allows no script), which posts to the review's comment form and comes back here. The comments the
reviewer may see (`api.change_views.visible_comments`: their own, the others' once their own
review is submitted) are shown under their lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.auth import CurrentReviewer, csrf_page
from api.blinding import blind_view
from api.change_views import (
    ShownComment,
    VisibleComments,
    changes_url,
    compare_submission,
    line_anchor,
    visible_comments,
)
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
)

__all__ = ["router"]

router = APIRouter()
#: Diff lines shown inline on the overview page; later files are linked, not shown.
_OVERVIEW_LINES = 2000
Page = Annotated[int, Query(ge=1, le=10_000, description="Page of the file's diff, from 1")]
FilePath = Annotated[str | None, Query(max_length=1024, description="A changed file's path")]
CommentFile = Annotated[
    str | None, Query(max_length=1024, description="Open the comment form on this file's line")
]
CommentLine = Annotated[
    int | None, Query(ge=1, le=10_000_000, description="The line the comment form is under")
]


def _compare(svc: Services, submission_id: str) -> tuple[SubmissionView, Changes]:
    with svc.db.reading() as session:
        view = blind_view(session, svc, load_submission(session, submission_id))
    return view, compare_submission(svc, view)


def _comments(svc: Services, submission_id: str, reviewer_id: str) -> VisibleComments:
    with svc.db.reading() as session:
        return visible_comments(session, submission_id, reviewer_id)


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
    comments: tuple[ShownComment, ...] = ()
    anchor: str | None = None
    """The row's HTML id; None for a removed line (no comment can be placed on it)."""
    comment_href: str | None = None
    """The link that opens the comment form under this line."""
    form_open: bool = False


@dataclass(frozen=True)
class _Shown:
    """A file's diff page as shown: hunks of rows, or nothing for a skipped file."""

    change: FileChange
    page: int
    hunks: tuple[tuple[Hunk, tuple[_Row, ...]], ...]


@dataclass(frozen=True)
class _Where:
    """The page being shown (its `file` and `page` parameters) and the line whose comment form
    is open, if any."""

    submission_id: str
    file: str | None
    page: int
    comments: VisibleComments
    open_at: tuple[str, int] | None = None

    def href(self, path: str, line: int) -> str:
        """This page with the comment form open under `path`:`line`."""
        query = {"comment_file": path, "comment_line": line}
        base = changes_url(self.submission_id, self.file, self.page)
        glue = "&" if "?" in base else "?"
        return f"{base}{glue}{urlencode(query)}#{line_anchor(path, line)}"


def _row(line: DiffLine, html: Markup, path: str, found: list[PlacedFinding], at: _Where) -> _Row:
    if line.new is None:
        return _Row(line, html, ())
    return _Row(
        line,
        html,
        tuple(found),
        tuple(at.comments.at.get((path, line.new), ())),
        line_anchor(path, line.new),
        at.href(path, line.new),
        at.open_at == (path, line.new),
    )


def _show(
    change: FileChange, page: int, findings: Sequence[PlacedFinding], where: _Where
) -> _Shown:
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
            _row(
                line,
                new[line.new - 1] if line.new is not None else old[(line.old or 1) - 1],
                change.path,
                at.get(line.new, []) if line.new is not None else [],
                where,
            )
            for line in hunk.lines
        )
        shown.append((hunk, rows))
    return _Shown(change, page, tuple(shown))


def _page_context(view: SubmissionView, changes: Changes, where: _Where) -> dict[str, Any]:
    if where.file is not None:
        shown = [_show(changes.file(where.file), where.page, changes.findings, where)]
        linked: list[FileChange] = []
    else:
        shown, linked, budget = [], [], _OVERVIEW_LINES
        for change in changes.files:
            size = sum(len(hunk.lines) for hunk in change.page(1))
            if size > budget:
                linked.append(change)
                continue
            budget -= size
            shown.append(_show(change, 1, changes.findings, where))
    return {
        "view": view,
        "changes": changes,
        "summary": changes.as_json()["summary"],
        "categories": changes.categories(),
        "origins": ORIGINS,
        "shown": shown,
        "linked": linked,
        "single": where.file is not None,
        "notes": [(note, markdown_html(note.text)) for note in changes.notes],
        "token_css": TOKEN_CSS,
        "where": where,
        "cancel_href": changes_url(where.submission_id, where.file, where.page),
        "all_comments": sorted(where.comments.at.items()),
        "others_hidden": where.comments.others_hidden,
    }


@router.get(
    "/reviewer/submissions/{submission_id}/changes",
    tags=["reviewer pages"],
    summary="Changes page",
    response_class=HTMLResponse,
)
async def changes_page(
    request: Request,
    submission_id: str,
    *,
    svc: Svc,
    reviewer: CurrentReviewer,
    file: FilePath = None,
    page: Page = 1,
    comment_file: CommentFile = None,
    comment_line: CommentLine = None,
) -> Response:
    """The submission against its starter: files, highlighted diffs, findings and line comments
    on their lines; `comment_file` and `comment_line` open a comment form under that line."""
    view, changes = await run_in_threadpool(_compare, svc, submission_id)
    comments = await run_in_threadpool(_comments, svc, submission_id, reviewer.id)
    open_at = (
        (comment_file, comment_line)
        if comment_file is not None and comment_line is not None
        else None
    )
    where = _Where(view.id, file, page, comments, open_at)
    context = await run_in_threadpool(_page_context, view, changes, where)
    return csrf_page(request, svc, "changes.html", {**context, "reviewer": reviewer})
