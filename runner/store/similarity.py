"""The similarity tables (migration 0009): fingerprints, one check per submission, pairs.

- `SimilarityFingerprint`: the inverted index. One row per kept fingerprint of a submission
  (`runner.similarity.fingerprints`), indexed on (challenge, hash), so the submissions sharing a
  new submission's fingerprints come from one indexed query.
- `SimilarityCheck`: one row per submission fingerprinted: its state ("done", or "failed" with
  the error: a failure there never fails the grading), how many distinct fingerprints it has (the
  denominator of a pair's score) and the challenge version it was made against.
- `SimilarityPair`: a pair scoring at or above `similarity_threshold`, stored once, by the
  submission whose check found it (`submission_id`); `other_submission_id` is the earlier
  submission, or None for the challenge's own reference or a variant (`other_kind`,
  `other_name`). `regions` is JSON: the matched line ranges per file pair.

Signals for a reviewer, never part of a score.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runner.store.models import Base, new_id, utcnow

__all__ = ["PAIR_KINDS", "SimilarityCheck", "SimilarityFingerprint", "SimilarityPair"]

#: What the other side of a pair is: an earlier submission, the reference or a variant.
PAIR_KINDS = ("submission", "reference", "variant")


class SimilarityFingerprint(Base):
    """One kept fingerprint of a submission: hash, file and line range."""

    __tablename__ = "similarity_fingerprints"
    __table_args__ = (Index("ix_similarity_fingerprints_lookup", "challenge_id", "hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    challenge_id: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    hash: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(1024))
    first_line: Mapped[int]
    last_line: Mapped[int]


class SimilarityCheck(Base):
    """The similarity check of one submission (the newest; a regrade replaces it)."""

    __tablename__ = "similarity_checks"
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    challenge_id: Mapped[str] = mapped_column(String(64), index=True)
    invite_id: Mapped[str | None] = mapped_column(String(32))
    version_hash: Mapped[str] = mapped_column(String(71))
    state: Mapped[str] = mapped_column(String(16))
    """"done", "failed", or "skipped" (too large to compare), the last two with `error`."""
    fingerprints: Mapped[int] = mapped_column(default=0)
    """Distinct fingerprint hashes kept (starter and hidden tests excluded)."""
    error: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class SimilarityPair(Base):
    """A similar pair: score, matched fingerprints and the matched regions (JSON)."""

    __tablename__ = "similarity_pairs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    challenge_id: Mapped[str] = mapped_column(String(64), index=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    other_submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("submissions.id"), index=True
    )
    other_kind: Mapped[str] = mapped_column(String(16))
    other_name: Mapped[str] = mapped_column(String(255), default="")
    """The variant's folder name ("reference" for the reference; "" for a submission)."""
    score: Mapped[float] = mapped_column(Float)
    matched: Mapped[int]
    """Distinct fingerprints in common."""
    regions: Mapped[str] = mapped_column(Text)
    """JSON list of `{"file": ..., "lines": [a, b], "other_file": ..., "other_lines": [c, d]}`."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
