"""A submission's bounded Git history: the newest commits with their dates, authors, subjects
and line counts, read from the intake's bare repository (no checkout).

`read_history` runs one `git log` through the intake's own runner (`_Git.run`: the scrubbed
environment, the `-c` hardening flags, the wall-clock deadline) with `--no-ext-diff
--no-textconv --no-renames` (no diff driver, no text conversion the repository's attributes
could name; `$GIT_DIR/info/attributes` is neutral anyway) and a cap on its output. Binary files
count 0 lines (numstat prints `-`); a merge counts 0 (git shows no diff for it); a commit at the
shallow boundary (its parents were not fetched) has no counts (`Commit.counted` is False), since
git would diff it against an empty tree.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["LOG_FORMAT", "SUBJECT_CHARS", "Commit", "GitHistory", "parse_log"]

SUBJECT_CHARS = 200
"""Longest commit subject kept (longer ones are cut, with "…")."""
_NAME_CHARS = 200
#: A date this close to the ends of `datetime`'s range is dropped (kept as ""): converting it
#: to UTC or adding a minute to it would overflow in every reader.
_DATE_EDGE = timedelta(days=2)
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_MARK = b"\x1e"
#: One header per commit, NUL-separated: NUL never occurs in a commit's header fields, and the
#: subject (which might hold anything else, never a newline: %s joins its lines) comes last.
LOG_FORMAT = "--format=%x1e%H%x00%P%x00%aI%x00%cI%x00%an%x00%ae%x00%s"


@dataclass(frozen=True)
class Commit:
    """One commit as its author wrote it: every field but `sha` and `parents` is
    candidate-controlled (dates included)."""

    sha: str
    parents: list[str]
    authored_at: str
    """ISO 8601 with the author's offset, as git prints it (`%aI`); "" when out of range."""
    committed_at: str
    author_name: str
    author_email: str
    subject: str
    added: int = 0
    removed: int = 0
    counted: bool = True
    """False at the shallow boundary: its parents were not fetched, so no line counts."""

    @property
    def lines(self) -> int:
        """Lines added plus lines removed."""
        return self.added + self.removed


@dataclass(frozen=True)
class GitHistory:
    """The newest commits of a submission, newest first (topological order)."""

    commits: list[Commit] = field(default_factory=list)
    limit: int = 0
    """How many commits were asked for."""
    complete: bool = False
    """The whole history is here (it reached a root commit within `limit`)."""
    note: str | None = None
    """Why the history is missing or shorter than asked (too large, too slow)."""

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> GitHistory:
        """Read the stored form (unknown keys ignored, so an older reader survives a newer
        writer)."""
        data: dict[str, Any] = json.loads(text)
        known = set(Commit.__dataclass_fields__)
        commits = [
            Commit(**{k: v for k, v in c.items() if k in known}) for c in data.get("commits", [])
        ]
        return cls(
            commits=commits,
            limit=int(data.get("limit", 0)),
            complete=bool(data.get("complete", False)),
            note=data.get("note"),
        )


def _cut(text: bytes, limit: int) -> str:
    value = text.decode("utf-8", "replace")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _date(raw: bytes) -> str:
    """`%aI` as git printed it, or "" when it is not a date every reader can work with (git
    accepts `@253402329600 -1200`, 9999-12-31T20:00:00-12:00, whose UTC is past year 9999)."""
    text = raw.decode("ascii", "replace")[:40]
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return ""
    if not datetime.min + _DATE_EDGE <= moment <= datetime.max - _DATE_EDGE:
        return ""
    return text


def _header(line: bytes, boundary: set[str]) -> Commit | None:
    parts = line[len(_MARK) :].split(b"\0", 6)
    if len(parts) != 7:
        return None
    sha, parents, authored, committed, name, email, subject = parts
    text = sha.decode("ascii", "replace")
    if not _SHA.fullmatch(text):
        return None
    return Commit(
        sha=text,
        parents=[p for p in parents.decode("ascii", "replace").split() if _SHA.fullmatch(p)],
        authored_at=_date(authored),
        committed_at=_date(committed),
        author_name=_cut(name, _NAME_CHARS),
        author_email=_cut(email, _NAME_CHARS),
        subject=_cut(subject, SUBJECT_CHARS),
        counted=text not in boundary,
    )


def _count(line: bytes) -> tuple[int, int] | None:
    """`added<TAB>removed<TAB>path` -> the two numbers; binary (`-`) counts 0."""
    parts = line.split(b"\t", 2)
    if len(parts) != 3:
        return None
    added, removed = (int(p) if p.isdigit() else 0 for p in parts[:2])
    return added, removed


def parse_log(output: bytes, boundary: set[str]) -> list[Commit]:
    """The commits of `git log LOG_FORMAT --numstat` output; `boundary` holds the shallow
    commits (their counts are dropped)."""
    commits: list[Commit] = []
    added = removed = 0
    for line in output.split(b"\n"):
        if line.startswith(_MARK):
            if (commit := _header(line, boundary)) is not None:
                _finish(commits, added, removed)
                commits.append(commit)
                added = removed = 0
        elif commits and (counts := _count(line)) is not None:
            added, removed = added + counts[0], removed + counts[1]
    _finish(commits, added, removed)
    return commits


def _finish(commits: list[Commit], added: int, removed: int) -> None:
    if commits and commits[-1].counted:
        last = commits[-1]
        commits[-1] = Commit(**{**asdict(last), "added": added, "removed": removed})
