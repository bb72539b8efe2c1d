"""Reviews and decisions: record, check and read what reviewers say about a submission.

A review is checked against what it is about before anything is stored: every level must be one
of its criterion's levels, every criterion one of the submission's challenge's rubric, every line
comment on a file of the submission's source and a line within it, the recommendation one of
`RECOMMENDATIONS`. A draft may be partial; submitting (and editing a submitted review) needs a
level for every criterion and a recommendation. Each save is one transaction that updates the
`Review` and appends a `ReviewRevision`, so a refused save stores nothing and history is kept.

Independence: `reviews_seen` gives a reviewer the other reviewers' submitted reviews only once
their own review of that submission is submitted; `revisions` keeps the same rule.

Exception tree (all `StoreError`s of `runner.store.records`)::

    ReviewError
    ├── InvalidReview        a level, criterion, comment or recommendation that does not exist
    │   └── IncompleteReview     submitting without every criterion's level or a recommendation
    ├── CommentGone          removing a line comment (by its id) the review no longer has
    ├── NotYourReview        editing another reviewer's review
    └── ReviewsHidden        asking for others' reviews before submitting one's own
    InvalidDecision          a decision value not in `DECISIONS`, an empty reason, no target
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from runner._manifest import RubricCriterion
from runner.store import events
from runner.store.db import Database
from runner.store.models import (
    DECISIONS,
    RECOMMENDATIONS,
    Decision,
    Invite,
    Review,
    ReviewRevision,
    Submission,
    utcnow,
)
from runner.store.records import NotFound, StoreError

__all__ = [
    "MAX_COMMENTS",
    "MAX_TEXT",
    "CommentGone",
    "IncompleteReview",
    "InvalidDecision",
    "InvalidReview",
    "LevelEntry",
    "LineComment",
    "NotYourReview",
    "ReviewContent",
    "ReviewError",
    "ReviewTarget",
    "ReviewsHidden",
    "ReviewsSeen",
    "check_content",
    "content_of",
    "current_decisions",
    "decision_history",
    "edit_review",
    "my_review",
    "my_reviews",
    "new_comment_id",
    "record_decision",
    "reviews_seen",
    "revisions",
    "save_review",
    "submit_review",
    "submitted_reviews",
    "without_comment",
]

MAX_TEXT = 20_000
"""Longest summary, note, comment or decision reason, in characters."""
MAX_COMMENTS = 500
"""Most line comments in one review."""


class ReviewError(StoreError):
    """Base of the review faults a caller can act on."""


class InvalidReview(ReviewError):
    """A review names something its submission does not have; `field` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class IncompleteReview(InvalidReview):
    """A review cannot be submitted yet: a criterion has no level, or no recommendation."""


class CommentGone(ReviewError):
    """Removing a line comment the review does not have (any more): a stale page."""


class NotYourReview(ReviewError):
    """A reviewer tried to change another reviewer's review."""


class ReviewsHidden(ReviewError):
    """Other reviewers' reviews are asked for before one's own is submitted."""


class InvalidDecision(StoreError):
    """A decision with a value not in `DECISIONS`, an empty or long reason, or no target."""


@dataclass(frozen=True)
class LevelEntry:
    """A reviewer's level on one criterion, and an optional note."""

    score: int
    note: str = ""


_COMMENT_ID = re.compile(r"[0-9a-f]{16}")


def new_comment_id() -> str:
    """A fresh line comment id (16 hex digits)."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class LineComment:
    """A comment on one line of one file of the submission, with its stable id (kept in the
    review's body; a form removes a comment by it, never by its position)."""

    file: str
    line: int
    text: str
    id: str = field(default_factory=new_comment_id)


def _stored_comment(entry: dict[str, Any], position: int) -> LineComment:
    """A comment as stored; one stored before comments had ids gets one derived from its
    content and position (the same at every read, and stored with the review's next save)."""
    if "id" in entry:
        return LineComment(**entry)
    key = json.dumps([entry["file"], entry["line"], entry["text"], position])
    derived = hashlib.sha256(key.encode()).hexdigest()[:16]
    return LineComment(entry["file"], entry["line"], entry["text"], derived)


def without_comment(content: ReviewContent, comment_id: str) -> tuple[ReviewContent, LineComment]:
    """`content` less the comment with `comment_id`, and that comment: `InvalidReview` for
    what is not a comment id, `CommentGone` when the review has no such comment (any more)."""
    if not _COMMENT_ID.fullmatch(comment_id):
        raise InvalidReview("comments", f"{comment_id[:20]!r} is not a comment id")
    kept = tuple(c for c in content.comments if c.id != comment_id)
    removed = next((c for c in content.comments if c.id == comment_id), None)
    if removed is None:
        raise CommentGone("that comment is not in your review (any more): reload the page")
    return replace(content, comments=kept), removed


@dataclass(frozen=True)
class ReviewContent:
    """What a reviewer says: levels per criterion, line comments, summary, recommendation."""

    levels: Mapping[str, LevelEntry] = field(default_factory=dict)
    comments: tuple[LineComment, ...] = ()
    summary: str = ""
    recommendation: str | None = None

    def body(self) -> str:
        """The JSON kept in `Review.body` (the recommendation has its own column)."""
        return json.dumps(
            {
                "levels": {cid: asdict(entry) for cid, entry in self.levels.items()},
                "comments": [asdict(comment) for comment in self.comments],
                "summary": self.summary,
            },
            sort_keys=True,
        )

    def level_scores(self) -> dict[str, int]:
        """Criterion id -> level score."""
        return {cid: entry.score for cid, entry in self.levels.items()}


def content_of(review: Review | ReviewRevision) -> ReviewContent:
    """The content of a stored review or revision."""
    data: dict[str, Any] = json.loads(review.body)
    return ReviewContent(
        levels={cid: LevelEntry(**entry) for cid, entry in data["levels"].items()},
        comments=tuple(_stored_comment(c, i) for i, c in enumerate(data["comments"])),
        summary=data["summary"],
        recommendation=review.recommendation,
    )


@dataclass(frozen=True)
class ReviewTarget:
    """What a review of a submission is checked against: its rubric and its source's files."""

    submission_id: str
    rubric: Sequence[RubricCriterion]
    line_counts: Mapping[str, int]
    """Path -> number of lines, of every file in the submission's source snapshot."""


def _text(field_name: str, text: str, *, required: bool = False) -> None:
    if len(text) > MAX_TEXT:
        raise InvalidReview(field_name, f"longer than {MAX_TEXT} characters")
    if required and not text.strip():
        raise InvalidReview(field_name, "must not be empty")


def check_content(target: ReviewTarget, content: ReviewContent, *, complete: bool) -> None:
    """Raise `InvalidReview` for anything the submission's rubric or source does not have;
    with `complete`, `IncompleteReview` unless every criterion has a level and a
    recommendation is given."""
    _check_levels(target.rubric, content.levels)
    _check_comments(target.line_counts, content.comments)
    _text("summary", content.summary)
    if content.recommendation is not None and content.recommendation not in RECOMMENDATIONS:
        raise InvalidReview(
            "recommendation",
            f"{content.recommendation!r} is not one of {', '.join(RECOMMENDATIONS)}",
        )
    if complete:
        if missing := [c.id for c in target.rubric if c.id not in content.levels]:
            raise IncompleteReview("levels", f"no level for {', '.join(missing)}")
        if content.recommendation is None:
            raise IncompleteReview("recommendation", "a submitted review needs a recommendation")


def _check_levels(rubric: Sequence[RubricCriterion], levels: Mapping[str, LevelEntry]) -> None:
    criteria = {criterion.id: criterion for criterion in rubric}
    for cid, entry in levels.items():
        criterion = criteria.get(cid)
        if criterion is None:
            known = ", ".join(criteria) or "none: this challenge has no rubric"
            raise InvalidReview(f"levels.{cid}", f"no such criterion (known: {known})")
        if criterion.level(entry.score) is None:
            scores = ", ".join(str(level.score) for level in criterion.levels)
            raise InvalidReview(f"levels.{cid}", f"{entry.score} is not a level ({scores})")
        _text(f"levels.{cid}.note", entry.note)


def _check_comments(line_counts: Mapping[str, int], comments: Sequence[LineComment]) -> None:
    if len(comments) > MAX_COMMENTS:
        raise InvalidReview("comments", f"more than {MAX_COMMENTS} comments")
    for index, comment in enumerate(comments):
        where = f"comments[{index}]"
        lines = line_counts.get(comment.file)
        if lines is None:
            raise InvalidReview(f"{where}.file", f"{comment.file!r} is not in the submission")
        if not 1 <= comment.line <= lines:
            raise InvalidReview(
                f"{where}.line", f"{comment.file} has lines 1 to {lines}, not {comment.line}"
            )
        _text(f"{where}.text", comment.text, required=True)


def _lock_submission(session: Session, submission_id: str) -> None:
    # FOR UPDATE (PostgreSQL): two saves of one submission's reviews run one after the other,
    # so the first save of a review cannot be inserted twice.
    if session.get(Submission, submission_id, with_for_update=True) is None:
        raise NotFound("no such submission")


def _store(session: Session, review: Review, content: ReviewContent, state: str) -> None:
    now = utcnow()
    review.body = content.body()
    review.recommendation = content.recommendation
    review.updated_at = now
    if state == "submitted" and review.submitted_at is None:
        review.submitted_at = now
    review.state = state
    session.flush()
    session.add(
        ReviewRevision(
            review_id=review.id,
            number=review.revision,
            state=state,
            recommendation=content.recommendation,
            body=review.body,
            created_at=now,
        )
    )


def _mine(session: Session, submission_id: str, reviewer_id: str) -> Review | None:
    return session.scalar(
        select(Review).where(
            Review.submission_id == submission_id, Review.reviewer_id == reviewer_id
        )
    )


def save_review(
    db: Database,
    target: ReviewTarget,
    reviewer_id: str,
    content: ReviewContent,
    *,
    submit: bool = False,
) -> Review:
    """Save the reviewer's review of the target (a draft, unless `submit` or already submitted:
    a submitted review stays submitted and must stay complete); each save is a revision."""
    with db.writing() as session:
        _lock_submission(session, target.submission_id)
        review = _mine(session, target.submission_id, reviewer_id)
        submitted = submit or (review is not None and review.state == "submitted")
        check_content(target, content, complete=submitted)
        if review is None:
            review = Review(submission_id=target.submission_id, reviewer_id=reviewer_id)
            session.add(review)
        else:
            review.revision += 1
        _store(session, review, content, "submitted" if submitted else "draft")
        return review


def submit_review(db: Database, target: ReviewTarget, reviewer_id: str) -> Review:
    """Submit the reviewer's draft as it is (`NotFound` without one)."""
    with db.writing() as session:
        _lock_submission(session, target.submission_id)
        review = _mine(session, target.submission_id, reviewer_id)
        if review is None:
            raise NotFound("you have no review of this submission: save one first")
        content = content_of(review)
        check_content(target, content, complete=True)
        review.revision += 1
        _store(session, review, content, "submitted")
        return review


def edit_review(
    db: Database, target: ReviewTarget, review_id: str, reviewer_id: str, content: ReviewContent
) -> Review:
    """Save new content into review `review_id`, which must be the reviewer's own."""
    with db.writing() as session:
        review = session.get(Review, review_id)
        if review is None or review.submission_id != target.submission_id:
            raise NotFound("no such review of this submission")
        if review.reviewer_id != reviewer_id:
            raise NotYourReview("this review is another reviewer's: only its author edits it")
    return save_review(db, target, reviewer_id, content)


def my_review(session: Session, submission_id: str, reviewer_id: str) -> Review | None:
    """The reviewer's own review of the submission, draft or submitted."""
    return _mine(session, submission_id, reviewer_id)


def my_reviews(
    session: Session, submission_ids: Sequence[str], reviewer_id: str
) -> dict[str, Review]:
    """The reviewer's own reviews of those submissions, by submission id."""
    if not submission_ids:
        return {}
    query = select(Review).where(
        Review.submission_id.in_(submission_ids), Review.reviewer_id == reviewer_id
    )
    return {review.submission_id: review for review in session.scalars(query)}


@dataclass(frozen=True)
class ReviewsSeen:
    """A reviewer's view of a submission's reviews: their own, and the others' once allowed."""

    mine: Review | None
    others: list[Review] | None
    """The other reviewers' submitted reviews; None while the viewer's own is not submitted."""


def reviews_seen(session: Session, submission_id: str, reviewer_id: str) -> ReviewsSeen:
    """What `reviewer_id` may see of the submission's reviews (see the module docstring)."""
    mine = _mine(session, submission_id, reviewer_id)
    if mine is None or mine.state != "submitted":
        return ReviewsSeen(mine, None)
    others = session.scalars(
        select(Review)
        .where(
            Review.submission_id == submission_id,
            Review.reviewer_id != reviewer_id,
            Review.state == "submitted",
        )
        .order_by(Review.submitted_at, Review.id)
    )
    return ReviewsSeen(mine, list(others))


def revisions(session: Session, review_id: str, reviewer_id: str) -> list[ReviewRevision]:
    """A review's saved revisions, oldest first: one's own always, another reviewer's only once
    one's own review of the same submission is submitted (and then only its submitted ones)."""
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound("no such review")
    query = select(ReviewRevision).where(ReviewRevision.review_id == review_id)
    if review.reviewer_id != reviewer_id:
        if reviews_seen(session, review.submission_id, reviewer_id).others is None:
            raise ReviewsHidden("submit your own review of this submission first")
        query = query.where(ReviewRevision.state == "submitted")
    return list(session.scalars(query.order_by(ReviewRevision.number)))


def submitted_reviews(session: Session, submission_ids: Sequence[str]) -> dict[str, list[Review]]:
    """The submitted reviews of each submission (for aggregates; callers apply `reviews_seen`'s
    rule before showing them)."""
    found: dict[str, list[Review]] = {sid: [] for sid in submission_ids}
    if not submission_ids:
        return found
    query = (
        select(Review)
        .where(Review.submission_id.in_(submission_ids), Review.state == "submitted")
        .order_by(Review.submitted_at, Review.id)
    )
    for review in session.scalars(query):
        found[review.submission_id].append(review)
    return found


def record_decision(
    db: Database,
    *,
    reviewer_id: str,
    value: str,
    reason: str,
    submission_id: str | None = None,
    invite_id: str | None = None,
) -> Decision:
    """Record the team's decision on a submission, or on an invite as a whole (exactly one)."""
    if value not in DECISIONS:
        raise InvalidDecision(f"decision {value!r} is not one of {', '.join(DECISIONS)}")
    if not reason.strip() or len(reason) > MAX_TEXT:
        raise InvalidDecision(f"a decision needs a reason of 1 to {MAX_TEXT} characters")
    if (submission_id is None) == (invite_id is None):
        raise InvalidDecision("a decision is on a submission or on an invite")
    with db.writing() as session:
        if submission_id is not None and session.get(Submission, submission_id) is None:
            raise NotFound("no such submission")
        if invite_id is not None and session.get(Invite, invite_id) is None:
            raise NotFound("no such invite")
        decision = Decision(
            submission_id=submission_id,
            invite_id=invite_id,
            value=value,
            reason=reason.strip(),
            decided_by=reviewer_id,
        )
        session.add(decision)
        session.flush()
        session.refresh(decision, ["reviewer"])
        events.decided(session, decision)
        return decision


def _newest(session: Session, column: Any, keys: set[str]) -> dict[str, Decision]:
    found: dict[str, Decision] = {}
    if not keys:
        return found
    query = select(Decision).where(column.in_(keys)).order_by(Decision.created_at, Decision.id)
    on_submission = column is Decision.submission_id
    for decision in session.scalars(query):
        key = decision.submission_id if on_submission else decision.invite_id
        if key is not None:
            found[key] = decision  # later rows win: the newest decision is the current one
    return found


def current_decisions(
    session: Session, submissions: Sequence[tuple[str, str | None]]
) -> dict[str, Decision]:
    """The current decision of each (submission id, invite id): the submission's own newest
    decision, else its invite's newest; submissions without either are left out."""
    own = _newest(session, Decision.submission_id, {sid for sid, _ in submissions})
    invites = _newest(session, Decision.invite_id, {iid for _, iid in submissions if iid})
    found = {}
    for sid, iid in submissions:
        decision = own.get(sid) or (invites.get(iid) if iid else None)
        if decision is not None:
            found[sid] = decision
    return found


def decision_history(
    session: Session, submission_id: str | None, invite_id: str | None
) -> list[Decision]:
    """Every decision on the submission and on the invite as a whole, newest first (either id
    may be None)."""
    on_invite = (Decision.invite_id == invite_id) & Decision.submission_id.is_(None)
    if submission_id is None and invite_id is None:
        return []
    where: ColumnElement[bool]
    if submission_id is None:
        where = on_invite
    elif invite_id is None:
        where = Decision.submission_id == submission_id
    else:
        where = (Decision.submission_id == submission_id) | on_invite
    query = select(Decision).where(where)
    return list(session.scalars(query.order_by(Decision.created_at.desc(), Decision.id.desc())))
