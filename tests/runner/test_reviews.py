"""The rubric manifest, rubric arithmetic and the review store, on SQLite and PostgreSQL.

Store tests run against a real database: a migrated SQLite file and (marked `services`) a fresh
PostgreSQL database, where the schema also goes down to 0002 and up again, and two threads
saving one reviewer's first review of a submission end with one review and two revisions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from runner._manifest import Manifest, ManifestError, RubricCriterion, Weights, parse_manifest
from runner.blobs import LocalBlobStore
from runner.challenge import load_challenge
from runner.intake import Snapshot
from runner.rubric import (
    overall_with_rubric,
    recommendation_counts,
    rubric_score,
    scaled,
    why_flagged,
)
from runner.settings import Settings
from runner.store import Database, Decision, Review, ReviewRevision, open_database
from runner.store.records import NewSubmission, NotFound, add_submission, create_reviewer
from runner.store.reviews import (
    IncompleteReview,
    InvalidDecision,
    InvalidReview,
    LevelEntry,
    LineComment,
    NotYourReview,
    ReviewContent,
    ReviewsHidden,
    ReviewTarget,
    current_decisions,
    edit_review,
    record_decision,
    reviews_seen,
    revisions,
    save_review,
    submit_review,
)
from tests.migrations import downgrade

ROOT = Path(__file__).resolve().parents[2]
CALCULATOR = ROOT / "tests" / "challenges" / "calculator"
BUNDLED = ("django-security", "asyncio-scaling", "data-pipeline", "ml-churn")
_BASE = b'id = "x-y"\ntitle = "T"\nversion = "1"\nframework = "python"\nmode = "unit"\n'
_LEVELS = 'levels = [{score = 1, label = "a"}, {score = 2, label = "b"}]\n'


def _criterion(cid: str = "c", extra: str = "") -> str:
    return f'[[rubric]]\nid = "{cid}"\ntitle = "C"\n{extra}'


@pytest.mark.parametrize(
    ("toml", "field", "message"),
    [
        (_criterion("a", _LEVELS) + _criterion("a", _LEVELS), "rubric", "'a' appears more"),
        (
            _criterion(extra='levels = [{score = 1, label = "a"}, {score = 1, label = "b"}]\n'),
            "rubric[0].levels",
            "level score 1 appears more than once",
        ),
        (_criterion(extra="levels = []\n"), "rubric[0].levels", "at least 2 items"),
        (_criterion(extra="weight = 0\n" + _LEVELS), "rubric[0].weight", "greater than 0"),
        (_criterion(extra="weight = -1\n" + _LEVELS), "rubric[0].weight", "greater than 0"),
        (
            _criterion(extra='levels = [{score = 1, label = ""}, {score = 2, label = "b"}]\n'),
            "rubric[0].levels[0].label",
            "at least 1 character",
        ),
        (_criterion("Bad Id", _LEVELS), "rubric[0].id", "should match pattern"),
        (_criterion(extra="colour = 1\n" + _LEVELS), "rubric[0].colour", "Extra inputs"),
        ("[weights]\nrubric = 10\n", "", "weights.rubric is set but the challenge has no"),
    ],
)
def test_a_bad_rubric_names_file_and_field(toml: str, field: str, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(Path("pack/challenge.toml"), _BASE + toml.encode(), Manifest)
    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value).startswith(f"pack/challenge.toml: {field}")


def test_levels_are_sorted_and_looked_up() -> None:
    toml = _criterion(extra='levels = [{score = 4, label = "hi"}, {score = 0, label = "lo"}]\n')
    manifest = parse_manifest(Path("c.toml"), _BASE + toml.encode(), Manifest)
    criterion = manifest.criterion("c")
    assert criterion is not None
    assert [lv.score for lv in criterion.levels] == [0, 4]
    assert (criterion.low, criterion.high) == (0, 4)
    assert criterion.level(3) is None
    assert manifest.criterion("nope") is None


@pytest.mark.parametrize("pack", BUNDLED)
def test_every_bundled_pack_has_a_rubric_of_three_to_five_criteria(pack: str) -> None:
    rubric = load_challenge(ROOT / "challenges" / pack).manifest.rubric
    assert 3 <= len(rubric) <= 5
    for criterion in rubric:
        assert criterion.description
        assert all(level.anchor for level in criterion.levels)
    assert any(c.id == "notes" for c in rubric)  # the brief asks every candidate for a note


def _rubric() -> tuple[RubricCriterion, ...]:
    return load_challenge(CALCULATOR).manifest.rubric  # tests 1..3 (w 2), notes 0..2 (w 1)


def test_rubric_arithmetic() -> None:
    tests, notes = _rubric()
    assert [scaled(tests, s) for s in (1, 2, 3)] == [0.0, 50.0, 100.0]
    assert scaled(notes, 9) == 100.0  # clamped (a level removed from the rubric since)
    assert rubric_score(_rubric(), []) is None
    assert rubric_score(_rubric(), [{"tests": 3, "notes": 1}]) == 83.3
    assert rubric_score(_rubric(), [{"tests": 3, "notes": 1}, {"tests": 1, "notes": 2}]) == 58.3
    assert rubric_score(_rubric(), [{"tests": 2}]) == 50.0  # a draft's missing level is skipped
    folded = Weights(rubric=100)  # categories sum to 100: rubric and score weigh the same
    assert overall_with_rubric(80.0, 60.0, folded) == 70.0
    assert overall_with_rubric(80.0, 60.0, Weights()) is None  # default: shown beside only
    assert overall_with_rubric(None, 60.0, folded) is None
    assert recommendation_counts(["yes", "yes", "strong_no", None]) == {
        "strong_yes": 0,
        "yes": 2,
        "no": 0,
        "strong_no": 1,
    }


def test_disagreement_flags() -> None:
    one_apart = [("a", {"tests": 2, "notes": 1}), ("b", {"tests": 3, "notes": 2})]
    assert why_flagged(_rubric(), one_apart, ["yes", "strong_yes"]) == []
    two_apart = [("a", {"tests": 1, "notes": 0}), ("b", {"tests": 3, "notes": 2})]
    assert why_flagged(_rubric(), two_apart, ["no", "strong_no"]) == [
        "tests: 2 levels apart",
        "notes: 2 levels apart",
    ]
    assert why_flagged(_rubric(), one_apart, ["yes", "no"]) == [
        "recommendations split between yes and no"
    ]
    assert why_flagged(_rubric(), one_apart[:1], ["strong_yes", None]) == []


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(Settings(data_dir=tmp_path / "data"))
    yield db
    db.close()


def _world(db: Database, tmp_path: Path) -> tuple[ReviewTarget, str, str]:
    """A submission with two source files, and two reviewers."""
    files = {"calc/ops.py": b"a = 1\nb = 2\nc = 3\n", "README.md": b"one line"}
    new = NewSubmission("calculator", Snapshot(files=files), "a.tgz")
    sub, _run = add_submission(db, LocalBlobStore(tmp_path / "blobs"), new)
    a = create_reviewer(db, "a@example.com", "pw-a-0123456789").id
    b = create_reviewer(db, "b@example.com", "pw-b-0123456789").id
    return ReviewTarget(sub, _rubric(), {"calc/ops.py": 3, "README.md": 1}), a, b


def _complete(tests: int = 3, notes: int = 1, recommendation: str = "yes") -> ReviewContent:
    return ReviewContent(
        levels={"tests": LevelEntry(tests, "note"), "notes": LevelEntry(notes)},
        comments=(LineComment("calc/ops.py", 3, "last line"),),
        summary="fine",
        recommendation=recommendation,
    )


def _rows(db: Database) -> tuple[int, int, int]:
    with db.reading() as session:
        reviews = session.scalar(sa.select(sa.func.count()).select_from(Review)) or 0
        revs = session.scalar(sa.select(sa.func.count()).select_from(ReviewRevision)) or 0
        decisions = session.scalar(sa.select(sa.func.count()).select_from(Decision)) or 0
    return reviews, revs, decisions


def _check_store(db: Database, tmp_path: Path) -> None:
    target, a, b = _world(db, tmp_path)
    bad = ReviewContent(comments=(LineComment("calc/ops.py", 4, "x"),))
    with pytest.raises(InvalidReview, match=r"comments\[0\]\.line: calc/ops\.py has lines 1 to 3"):
        save_review(db, target, a, bad)
    with pytest.raises(InvalidReview, match=r"README\.md"):
        save_review(db, target, a, ReviewContent(comments=(LineComment("README.md", 2, "x"),)))
    with pytest.raises(IncompleteReview, match="recommendation"):
        save_review(db, target, a, _complete(recommendation=None), submit=True)  # type: ignore[arg-type]
    assert _rows(db) == (0, 0, 0)
    with pytest.raises(NotFound):
        submit_review(db, target, a)
    draft = save_review(db, target, a, ReviewContent(levels={"tests": LevelEntry(2)}))
    assert draft.state == "draft"
    with pytest.raises(NotYourReview):
        edit_review(db, target, draft.id, b, _complete())
    review = edit_review(db, target, draft.id, a, _complete())
    submitted = submit_review(db, target, a)
    assert (review.revision, submitted.state, submitted.revision) == (2, "submitted", 3)
    with db.reading() as session:
        assert reviews_seen(session, target.submission_id, b).others is None
        with pytest.raises(ReviewsHidden):
            revisions(session, submitted.id, b)
        assert [r.number for r in revisions(session, submitted.id, a)] == [1, 2, 3]
    save_review(db, target, b, _complete(tests=1, recommendation="no"), submit=True)
    with db.reading() as session:
        seen = reviews_seen(session, target.submission_id, b)
        assert seen.others is not None
        assert [r.reviewer.email for r in seen.others] == ["a@example.com"]
        assert [r.number for r in revisions(session, submitted.id, b)] == [3]  # submitted only
    assert _rows(db) == (2, 4, 0)
    _check_decisions(db, target.submission_id, a)


def _check_decisions(db: Database, submission_id: str, reviewer: str) -> None:
    for value, reason in (("hire", "x"), ("hold", " "), ("hold", "x" * 20_001)):
        with pytest.raises(InvalidDecision):
            record_decision(
                db, reviewer_id=reviewer, value=value, reason=reason, submission_id=submission_id
            )
    with pytest.raises(InvalidDecision):
        record_decision(db, reviewer_id=reviewer, value="hold", reason="x")
    with pytest.raises(NotFound):
        record_decision(db, reviewer_id=reviewer, value="hold", reason="x", invite_id="nope")
    first = record_decision(
        db, reviewer_id=reviewer, value="hold", reason="wait", submission_id=submission_id
    )
    second = record_decision(
        db, reviewer_id=reviewer, value="advance", reason="go", submission_id=submission_id
    )
    assert first.reviewer.email == "a@example.com"
    with db.reading() as session:
        current = current_decisions(session, [(submission_id, None), ("other", None)])
    assert list(current) == [submission_id]
    assert current[submission_id].id == second.id
    assert _rows(db)[2] == 2


def test_store_on_sqlite(sqlite_db: Database, tmp_path: Path) -> None:
    _check_store(sqlite_db, tmp_path)


def _check_concurrent_first_saves(db: Database, tmp_path: Path) -> None:
    target, a, _b = _world(db, tmp_path)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save() -> None:
        barrier.wait()
        try:
            save_review(db, target, a, ReviewContent(summary="race"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert _rows(db)[:2] == (1, 2)


def test_concurrent_first_saves_on_sqlite(sqlite_db: Database, tmp_path: Path) -> None:
    _check_concurrent_first_saves(sqlite_db, tmp_path)


def _check_down_and_up(db: Database) -> None:
    downgrade(db, "0002")
    with db.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert not tables & {"reviews", "review_revisions", "decisions"}
    db.migrate()
    with db.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert {"reviews", "review_revisions", "decisions"} <= tables


def test_migration_0003_down_and_up_on_sqlite(sqlite_db: Database) -> None:
    _check_down_and_up(sqlite_db)


@pytest.mark.services
def test_store_on_postgres(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "data", database_url=postgres_database))
    try:
        assert db.engine.dialect.name == "postgresql"
        _check_store(db, tmp_path)
    finally:
        db.close()


@pytest.mark.services
def test_concurrent_first_saves_on_postgres(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "data", database_url=postgres_database))
    try:
        _check_concurrent_first_saves(db, tmp_path)
    finally:
        db.close()


@pytest.mark.services
def test_migration_0003_down_and_up_on_postgres(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "data", database_url=postgres_database))
    try:
        _check_down_and_up(db)
    finally:
        db.close()
