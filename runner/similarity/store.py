"""The similarity index: fingerprints of every graded submission, compared as each one arrives.

`SimilarityIndex.check(submission_id, challenge, snapshot)` (called by the worker once a report
is stored) in one write transaction:

0. on PostgreSQL takes the challenge's advisory lock (`_serialise`), so two workers checking
   two submissions of one challenge at once still see each other;
1. fingerprints the snapshot (`runner.similarity.fingerprints`), every k-gram of the challenge's
   starter and hidden tests excluded as boilerplate;
2. replaces the submission's rows in the inverted index (`similarity_fingerprints`) and its
   pairs (a regrade computes them again);
3. asks the index which other submissions of the challenge share its `_SAMPLE` smallest
   hashes (a bottom-k sample of them): one query on the (challenge, hash) index, counted per
   submission in SQL, so its cost does not grow with how much the others share. Other
   submissions of the same invite are skipped (a candidate's own earlier push is not a signal);
4. estimates each one's score from the sample, and for the best `_VERIFIED` estimates (down to
   `_SLACK` under the threshold) reads their rows among its hashes, computes the exact score
   (`pair_score`) and, for the best `MAX_PAIRS` at or above the threshold, the matched regions,
   stored as `SimilarityPair` rows;
5. compares with the challenge's reference and each variant (its full tree as graded), whose
   fingerprints are made from the pack once per challenge version and kept in memory: the best
   match at or above the threshold is stored, and the pages flag it as a possible leaked
   reference solution.

A submission with more than `MAX_SUBMISSION_BYTES` of Python is not fingerprinted: its check is
stored as "skipped" with the reason ("too large"), shown to reviewers as a failed check is.

`record(...)` is what the worker calls: it never raises. A failure is logged and stored as a
"failed" `SimilarityCheck` with the error; the grading it follows is already complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from runner.challenge import Challenge
from runner.intake import Snapshot
from runner.similarity.fingerprints import (
    MAX_SUBMISSION_BYTES,
    Fingerprint,
    RegionMatcher,
    all_hashes,
    fingerprint_files,
    match_regions,
    pair_score,
    source_bytes,
)
from runner.store import Database
from runner.store.models import Submission, utcnow
from runner.store.similarity import SimilarityCheck, SimilarityFingerprint, SimilarityPair

__all__ = ["MAX_PAIRS", "MIN_FINGERPRINTS", "PackPrints", "SimilarityIndex", "pack_solutions"]

_log = logging.getLogger("takehome.similarity")

#: Pairs stored per submission with other submissions (the best ones): a reviewer reads a few.
MAX_PAIRS = 20
#: A side with fewer distinct fingerprints is not compared: a near-empty submission (or one that
#: is mostly the starter) would score 100% on a handful of shared lines.
MIN_FINGERPRINTS = 5
_CHUNK = 500
#: Candidates are found from the new submission's `_SAMPLE` smallest hashes (a bottom-k
#: sample: one indexed query over 128 hashes instead of all of them, whatever the number of
#: earlier submissions sharing them); each candidate's score is then computed exactly.
_SAMPLE = 128
#: How far under the threshold an estimate may be and still get its exact comparison (about
#: three standard errors of a 128-hash sample).
_SLACK = 0.15
#: Candidates compared exactly, the best estimates first.
_VERIFIED = 2 * MAX_PAIRS
#: The table itself: a Core executemany, not the ORM's bulk path (its per-row bookkeeping
#: costs more than the insert).
_FINGERPRINTS = cast(Table, SimilarityFingerprint.__table__)


@dataclass(frozen=True)
class PackPrints:
    """A challenge version's boilerplate hashes and its own solutions' fingerprints."""

    boilerplate: frozenset[int]
    """Every k-gram hash of the starter and the hidden tests."""
    solutions: dict[str, tuple[str, list[Fingerprint], frozenset[int]]]
    """By name ("reference", or a variant's folder name): the kind, the fingerprints and their
    distinct hashes."""


def pack_solutions(challenge: Challenge) -> dict[str, tuple[str, dict[str, bytes]]]:
    """The pack's own solutions by name: "reference", and each variant (its folder name) as
    graded (`Variant.snapshot()`); each with its kind ("reference" or "variant") and files."""
    found = {"reference": ("reference", dict(challenge.reference().files))}
    for variant in challenge.variants():
        found[variant.name] = ("variant", dict(variant.snapshot().files))
    return found


def _pack_prints(challenge: Challenge) -> PackPrints:
    boilerplate = all_hashes(challenge.starter().files) | all_hashes(challenge.hidden_tests())
    solutions = {}
    for name, (kind, files) in pack_solutions(challenge).items():
        prints = fingerprint_files(files, exclude=boilerplate)
        solutions[name] = (kind, prints, frozenset(fp.hash for fp in prints))
    return PackPrints(frozenset(boilerplate), solutions)


def _serialise(session: Session, challenge_id: str) -> None:
    """One check of a challenge at a time: two checks running side by side (PostgreSQL, two
    workers) would each miss the other's uncommitted fingerprints. SQLite's write transaction
    already serialises them."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(f"similarity {challenge_id}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _distinct(prints: Iterable[Fingerprint]) -> int:
    return len({fp.hash for fp in prints})


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class SimilarityIndex:
    """Fingerprints submissions of each challenge and stores their similar pairs."""

    def __init__(self, db: Database, threshold: float) -> None:
        """`threshold`: the lowest score stored as a pair (`Settings.similarity_threshold`)."""
        self._db = db
        self.threshold = threshold
        self._packs: dict[tuple[str, str], PackPrints] = {}
        self._lock = threading.Lock()

    def pack(self, challenge: Challenge) -> PackPrints:
        """The pack's fingerprints, made once per challenge version (`version_hash`)."""
        key = (challenge.id, challenge.version_hash)
        with self._lock:
            found = self._packs.get(key)
            if found is None:
                found = self._packs[key] = _pack_prints(challenge)
            return found

    def record(self, submission_id: str, challenge: Challenge, snapshot: Snapshot) -> None:
        """`check`, logged and recorded as failed instead of raising (the worker's hook)."""
        try:
            self.check(submission_id, challenge, snapshot)
        except Exception as exc:  # a signal's failure must never fail the grading
            _log.exception("submission %s: similarity check failed", submission_id)
            self._record_failure(submission_id, challenge, f"{type(exc).__name__}: {exc}")

    def _record_failure(
        self, submission_id: str, challenge: Challenge, error: str, state: str = "failed"
    ) -> None:
        try:
            with self._db.writing() as session:
                self._forget(session, submission_id)
                session.add(self._check_row(session, submission_id, challenge, state, error=error))
        except Exception:  # the database itself is down: the log line above is all we have
            _log.exception("submission %s: cannot record the failed check", submission_id)

    def check(self, submission_id: str, challenge: Challenge, snapshot: Snapshot) -> int:
        """Fingerprint, index and compare one submission; the number of pairs stored (0 when
        it is skipped as too large)."""
        size = source_bytes(snapshot.files)
        if size > MAX_SUBMISSION_BYTES:
            self._record_failure(
                submission_id,
                challenge,
                f"too large: {size} bytes of Python, more than the"
                f" {MAX_SUBMISSION_BYTES} compared",
                state="skipped",
            )
            return 0
        pack = self.pack(challenge)
        prints = fingerprint_files(snapshot.files, exclude=pack.boilerplate)
        with self._db.writing() as session:
            _serialise(session, challenge.id)
            self._forget(session, submission_id)
            check = self._check_row(
                session, submission_id, challenge, "done", fingerprints=_distinct(prints)
            )
            session.add(check)
            if prints:  # one executemany, not an ORM object per row
                session.execute(
                    insert(_FINGERPRINTS),
                    [
                        {
                            "challenge_id": challenge.id,
                            "submission_id": submission_id,
                            "hash": fp.hash,
                            "path": fp.path,
                            "first_line": fp.first_line,
                            "last_line": fp.last_line,
                        }
                        for fp in prints
                    ],
                )
            pairs = self._pack_pairs(check, prints, pack)
            if check.fingerprints >= MIN_FINGERPRINTS:
                pairs += self._submission_pairs(session, check, prints)
            session.add_all(pairs)
            return len(pairs)

    @staticmethod
    def _forget(session: Session, submission_id: str) -> None:
        session.execute(
            delete(SimilarityFingerprint).where(
                SimilarityFingerprint.submission_id == submission_id
            )
        )
        session.execute(
            delete(SimilarityPair).where(
                or_(
                    SimilarityPair.submission_id == submission_id,
                    SimilarityPair.other_submission_id == submission_id,
                )
            )
        )
        session.execute(
            delete(SimilarityCheck).where(SimilarityCheck.submission_id == submission_id)
        )

    @staticmethod
    def _check_row(
        session: Session,
        submission_id: str,
        challenge: Challenge,
        state: str,
        *,
        fingerprints: int = 0,
        error: str | None = None,
    ) -> SimilarityCheck:
        invite_id = session.scalar(
            select(Submission.invite_id).where(Submission.id == submission_id)
        )
        return SimilarityCheck(
            submission_id=submission_id,
            challenge_id=challenge.id,
            invite_id=invite_id,
            version_hash=challenge.version_hash,
            state=state,
            fingerprints=fingerprints,
            error=error[:4000] if error else None,
            checked_at=utcnow(),
        )

    def _pack_pairs(
        self, check: SimilarityCheck, prints: list[Fingerprint], pack: PackPrints
    ) -> list[SimilarityPair]:
        """The best match among the pack's solutions, if it reaches the threshold."""
        mine = {fp.hash for fp in prints}
        scored = [  # on a tie the reference itself wins over a variant
            (pair_score(len(mine & hashes), len(mine), len(hashes)), name == "reference", name)
            for name, (_kind, _prints, hashes) in pack.solutions.items()
            if min(len(mine), len(hashes)) >= MIN_FINGERPRINTS
        ]
        if not scored or max(scored)[0] < self.threshold:
            return []
        score, _is_reference, name = max(scored)
        kind, other, hashes = pack.solutions[name]
        regions = [region.as_json() for region in match_regions(prints, other)]
        pair = SimilarityPair(
            challenge_id=check.challenge_id,
            submission_id=check.submission_id,
            other_kind=kind,
            other_name=name,
            score=score,
            matched=len(mine & hashes),
            regions=json.dumps(regions),
        )
        return [pair]

    def _shared_counts(
        self, session: Session, check: SimilarityCheck, hashes: Sequence[int]
    ) -> dict[str, int]:
        """Distinct hashes shared with each other submission of the challenge (one indexed
        query per chunk; chunks hold disjoint hashes, so their counts add up)."""
        counts: dict[str, int] = {}
        table = SimilarityFingerprint
        for chunk in _chunks(hashes):
            rows = session.execute(
                select(table.submission_id, func.count(func.distinct(table.hash)))
                .where(
                    table.challenge_id == check.challenge_id,
                    table.hash.in_(chunk),
                    table.submission_id != check.submission_id,
                )
                .group_by(table.submission_id)
            )
            for other_id, count in rows:
                counts[other_id] = counts.get(other_id, 0) + count
        return counts

    def _candidates(
        self, session: Session, check: SimilarityCheck, hits: dict[str, int], sampled: int
    ) -> list[str]:
        """The others worth an exact comparison: estimated from how many of the `sampled`
        hashes each shares (`_estimate`), at least `threshold - _SLACK`, the best
        `_VERIFIED` of them; other submissions of the same invite left out."""
        rows = session.execute(
            select(
                SimilarityCheck.submission_id,
                SimilarityCheck.fingerprints,
                SimilarityCheck.invite_id,
            ).where(SimilarityCheck.submission_id.in_(list(hits)), SimilarityCheck.state == "done")
        )
        found = []
        for other_id, size, invite_id in rows:
            if size < MIN_FINGERPRINTS or (check.invite_id and invite_id == check.invite_id):
                continue
            shared = hits[other_id] / sampled * check.fingerprints
            estimate = pair_score(round(shared), check.fingerprints, size)
            if estimate >= self.threshold - _SLACK:
                found.append((estimate, other_id))
        found.sort(reverse=True)
        return [other_id for _, other_id in found[:_VERIFIED]]

    def _submission_pairs(
        self, session: Session, check: SimilarityCheck, prints: list[Fingerprint]
    ) -> list[SimilarityPair]:
        hashes = sorted({fp.hash for fp in prints})
        sample = hashes[:_SAMPLE]  # bottom-k: blake2b values are uniform, the smallest a sample
        hits = self._shared_counts(session, check, sample)
        if not hits:
            return []
        candidates = self._candidates(session, check, hits, len(sample))
        theirs = self._prints_of(session, candidates, hashes)
        mine = set(hashes)
        scored = []
        for other_id in candidates:
            other = theirs.get(other_id, [])
            shared = len(mine & {fp.hash for fp in other})
            score = pair_score(shared, check.fingerprints, self._size(session, other_id))
            if score >= self.threshold:
                scored.append((score, shared, other_id))
        scored.sort(reverse=True)
        matcher = RegionMatcher(prints)  # regions only for the pairs kept
        return [
            SimilarityPair(
                challenge_id=check.challenge_id,
                submission_id=check.submission_id,
                other_submission_id=other_id,
                other_kind="submission",
                other_name="",
                score=score,
                matched=shared,
                regions=json.dumps(
                    [region.as_json() for region in matcher.against(theirs[other_id])]
                ),
            )
            for score, shared, other_id in scored[:MAX_PAIRS]
        ]

    @staticmethod
    def _size(session: Session, submission_id: str) -> int:
        found = session.get(SimilarityCheck, submission_id)
        return found.fingerprints if found is not None else 0

    @staticmethod
    def _prints_of(
        session: Session, others: list[str], hashes: Sequence[int]
    ) -> dict[str, list[Fingerprint]]:
        """The fingerprints of `others` among `hashes`, by submission: filtered in SQL, one
        query per chunk of hashes (as `_shared_counts`), so a large submission of theirs is not
        read whole."""
        table = SimilarityFingerprint
        found: dict[str, list[Fingerprint]] = {}
        if not others:
            return found
        for chunk in _chunks(hashes):
            rows = session.execute(
                select(
                    table.submission_id, table.hash, table.path, table.first_line, table.last_line
                ).where(table.submission_id.in_(others), table.hash.in_(chunk))
            )
            for other_id, value, path, first, last in rows:
                found.setdefault(other_id, []).append(Fingerprint(value, path, first, last))
        return found
