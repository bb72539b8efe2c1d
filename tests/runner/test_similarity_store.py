"""The similarity index (runner/similarity/store.py) with real submissions of the data-pipeline
pack, on SQLite and PostgreSQL: a disguised copy of the reference is flagged against the
reference's submission and as the leaked reference, an independent solution is not, starter-only
code never matches, and a failing check is recorded without raising."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy import func, select

from runner.challenge import Challenge, load_challenge
from runner.intake import Snapshot, snapshot_path
from runner.settings import Settings
from runner.similarity import SimilarityIndex
from runner.similarity.fingerprints import MAX_FILE_BYTES, MAX_SUBMISSION_BYTES
from runner.store import Database, Invite, Submission, open_database
from runner.store.models import utcnow
from runner.store.similarity import SimilarityCheck, SimilarityFingerprint, SimilarityPair
from tests.similarity_copies import disguised

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "challenges" / "data-pipeline"
INDEPENDENT = ROOT / "tests" / "fixtures" / "similarity" / "independent"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = request.getfixturevalue("postgres_database") if request.param == "postgres" else ""
    database = open_database(Settings(data_dir=tmp_path, database_url=url))
    yield database
    database.close()


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge(PIPELINE)


def _submit(db: Database, name: str, invite: str | None = None) -> str:
    with db.writing() as session:
        if invite is not None and session.get(Invite, invite) is None:
            session.add(
                Invite(
                    id=invite,
                    challenge_id="data-pipeline",
                    candidate=invite,
                    token_hash=invite,
                    expires_at=utcnow(),
                    max_submissions=3,
                )
            )
            session.flush()
        session.add(
            Submission(
                id=name,
                invite_id=invite,
                challenge_id="data-pipeline",
                source_kind="upload",
                filename=f"{name}.zip",
                snapshot_digest="sha256:00",
            )
        )
    return name


def _snapshot(files: Mapping[str, bytes]) -> Snapshot:
    return Snapshot(files=dict(files))


def _pairs(db: Database, submission_id: str) -> list[SimilarityPair]:
    with db.reading() as session:
        query = select(SimilarityPair).where(
            (SimilarityPair.submission_id == submission_id)
            | (SimilarityPair.other_submission_id == submission_id)
        )
        return list(session.scalars(query.order_by(SimilarityPair.score.desc())))


def _check(db: Database, submission_id: str) -> SimilarityCheck:
    with db.reading() as session:
        found = session.get(SimilarityCheck, submission_id)
    assert found is not None
    return found


def test_a_disguised_copy_is_flagged_against_the_original_and_the_reference(
    db: Database, challenge: Challenge
) -> None:
    index = SimilarityIndex(db, threshold=0.5)
    reference = dict(challenge.reference().files)
    copy = disguised(reference)
    assert all(copy[p] != reference[p] for p in copy if p.endswith(".py") and reference[p])
    index.check(_submit(db, "first", "ada"), challenge, _snapshot(reference))
    index.check(_submit(db, "second", "bob"), challenge, _snapshot(copy))
    pairs = _pairs(db, "second")
    assert [(p.other_kind, p.other_name) for p in pairs] == [
        ("submission", ""),
        ("reference", "reference"),
    ] or [(p.other_kind, p.other_name) for p in pairs] == [
        ("reference", "reference"),
        ("submission", ""),
    ]
    peer = next(p for p in pairs if p.other_kind == "submission")
    assert (peer.submission_id, peer.other_submission_id) == ("second", "first")
    assert peer.score > 0.9
    regions = json.loads(peer.regions)
    assert len(regions) >= 5
    assert {r["file"] for r in regions} >= {"pipeline/fx.py", "pipeline/orders.py"}
    assert all(r["file"] == r["other_file"] for r in regions)
    # The first one, the reference itself, matched the reference when it came in.
    assert [(p.other_kind, p.score) for p in _pairs(db, "first") if p.other_kind != "submission"]
    assert _check(db, "second").state == "done"


def test_the_reference_submitted_as_is_is_flagged_as_the_reference(
    db: Database, challenge: Challenge
) -> None:
    index = SimilarityIndex(db, threshold=0.5)
    index.check(_submit(db, "leak"), challenge, challenge.reference())
    [pair] = _pairs(db, "leak")
    assert (pair.other_kind, pair.other_name, pair.other_submission_id) == (
        "reference",
        "reference",
        None,
    )
    assert pair.score == 1.0
    assert pair.matched == _check(db, "leak").fingerprints


def test_an_independent_solution_is_not_similar(db: Database, challenge: Challenge) -> None:
    index = SimilarityIndex(db, threshold=0.5)
    index.check(_submit(db, "ref", "ada"), challenge, challenge.reference())
    independent = snapshot_path(INDEPENDENT)
    assert index.check(_submit(db, "own", "bob"), challenge, independent) == 0
    assert _pairs(db, "own") == []
    assert _check(db, "own").fingerprints > 100


def test_starter_only_code_never_matches(db: Database, challenge: Challenge) -> None:
    index = SimilarityIndex(db, threshold=0.05)
    starter = challenge.starter()
    index.check(_submit(db, "s1", "ada"), challenge, starter)
    index.check(_submit(db, "s2", "bob"), challenge, _snapshot(disguised(dict(starter.files))))
    index.check(_submit(db, "ref", "cy"), challenge, challenge.reference())
    assert _check(db, "s1").fingerprints == 0
    assert _check(db, "s2").fingerprints == 0  # renamed and reformatted: still the starter
    assert _pairs(db, "s1") == []
    assert _pairs(db, "s2") == []


def test_the_same_invite_is_not_compared_and_a_recheck_replaces(
    db: Database, challenge: Challenge
) -> None:
    index = SimilarityIndex(db, threshold=0.5)
    reference = challenge.reference()
    index.check(_submit(db, "push1", "ada"), challenge, reference)
    index.check(_submit(db, "push2", "ada"), challenge, reference)
    assert [p.other_kind for p in _pairs(db, "push2")] == ["reference"]
    index.check(_submit(db, "other", "bob"), challenge, reference)
    before = len(_pairs(db, "other"))
    with db.reading() as session:
        rows = session.scalar(select(func.count()).select_from(SimilarityFingerprint))
    index.check("other", challenge, reference)
    assert len(_pairs(db, "other")) == before == 3  # push1, push2, the reference
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(SimilarityFingerprint)) == rows


def test_a_failing_check_is_recorded_and_does_not_raise(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(PIPELINE, folder)
    broken = load_challenge(folder)
    shutil.rmtree(folder / "reference")  # read on each call: the check cannot read it
    index = SimilarityIndex(db, threshold=0.5)
    index.record(_submit(db, "sub"), broken, broken.starter())
    check = _check(db, "sub")
    assert check.state == "failed"
    assert check.error
    assert "reference" in check.error


def _rows(db: Database, submission_id: str) -> int:
    with db.reading() as session:
        query = select(func.count()).where(SimilarityFingerprint.submission_id == submission_id)
        return session.scalar(query) or 0


def test_many_repetitive_files_write_a_bounded_number_of_rows(
    db: Database, challenge: Challenge
) -> None:
    """A block repeated: a row per statement or so without the caps, a few per hash and file
    with them; a copy of it is still found."""
    block = b"def f(a, b):\n    return [a, b]\nx = f(1, 'a')\nwhile x:\n    x.pop()\n"
    count = 12  # files of 2,000 lines each: enough for the per-file cap to be what bounds rows
    files = {f"gen/m{n}.py": block * 400 for n in range(count)}
    index = SimilarityIndex(db, threshold=0.5)
    index.check(_submit(db, "rep1", "ada"), challenge, _snapshot(files))
    index.check(_submit(db, "rep2", "bob"), challenge, _snapshot(files))
    check = _check(db, "rep2")
    assert check.state == "done"
    assert 0 < _rows(db, "rep2") <= count * 4 * check.fingerprints
    assert _rows(db, "rep2") < count * 2000 // 10
    [peer] = [p for p in _pairs(db, "rep2") if p.other_kind == "submission"]
    assert (peer.other_submission_id, peer.score) == ("rep1", 1.0)


def test_a_submission_over_the_byte_cap_is_skipped_not_indexed(
    db: Database, challenge: Challenge
) -> None:
    count = MAX_SUBMISSION_BYTES // MAX_FILE_BYTES + 1
    files = {f"gen/m{n}.py": b"x = 1\n" * (MAX_FILE_BYTES // 6) for n in range(count)}
    index = SimilarityIndex(db, threshold=0.5)
    assert index.check(_submit(db, "huge"), challenge, _snapshot(files)) == 0
    check = _check(db, "huge")
    assert check.state == "skipped"
    assert check.error is not None
    assert "too large" in check.error
    assert _rows(db, "huge") == 0
    assert _pairs(db, "huge") == []
    # Under the cap again (a regrade of a smaller push), it is checked as usual.
    index.check("huge", challenge, challenge.reference())
    assert _check(db, "huge").state == "done"
    assert _rows(db, "huge") > 0
