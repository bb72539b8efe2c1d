"""What a candidate changed against the starter they were given, as data.

`compare_to_starter(snapshot, challenge, report)` diffs a submission's snapshot with the
challenge's `starter/` file by file and places every finding of the report on its line:

- a file is `added`, `removed` or `changed` (byte-identical files are only counted); a text file
  gets a unified diff (difflib, `ChangeLimits.context` lines of context) split into hunks and
  paged (`ChangeLimits.page_lines` diff lines a page; a longer hunk is cut into valid smaller
  ones); a binary file (a NUL byte, or not UTF-8), one over `ChangeLimits.max_file_bytes` or
  `max_file_lines` on either side (`oversized`), or one past the comparison's line budget
  (`over_budget`) is named with its reason and never diffed;
- a finding on a line the candidate added or changed is `introduced`; on a starter line they
  left alone it is `inherited`, with the starter's line number (mapped through the diff). The
  others say why they have no place: `no_file`, `no_line`, `outside` (a path the submission does
  not hold, such as a hidden test, or a line past its end), `unknown` (the file was not diffed,
  or the starter is not the one graded);
- `NOTES.md` and `README.md` at the root (any letter case) are returned as text, capped at
  `ChangeLimits.max_note_bytes`, for the caller to render escaped.

The starter must be the one graded. A report records the challenge's `version_hash`; when it is
not the version now on disk, nothing is diffed and `starter_version_mismatch` is set: a diff
against another starter would put findings on the wrong lines. (The hash covers the manifest
and the hidden tests too, so a pack whose tests alone changed counts as a mismatch as well.)
Without a report, or a report that recorded no version, the starter on disk is used and
`graded_version` is None.

Lookups on the result raise `ChangesNotFound` (a `LookupError`): a path that is not a changed
file, a page past the last one.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from graders.model import Finding, Report
from runner.challenge import Challenge
from runner.intake import Snapshot

__all__ = [
    "ORIGINS",
    "ChangeLimits",
    "Changes",
    "ChangesNotFound",
    "DiffLine",
    "FileChange",
    "FileStatus",
    "Hunk",
    "LineKind",
    "Note",
    "Origin",
    "PlacedFinding",
    "SkipReason",
    "compare_to_starter",
]

FileStatus = Literal["added", "removed", "changed"]
SkipReason = Literal["binary", "oversized", "over_budget"]
LineKind = Literal["context", "added", "removed"]
Origin = Literal["introduced", "inherited", "no_file", "no_line", "outside", "unknown"]
#: Every origin, in display order.
ORIGINS: tuple[Origin, ...] = get_args(Origin)
_NOTE_NAMES = ("notes.md", "readme.md")
_KiB = 1024


class ChangesNotFound(LookupError):
    """No changed file with that path, or no such page of its diff."""


@dataclass(frozen=True)
class ChangeLimits:
    """Bounds of one comparison: file size diffed, diff lines a page, note size, context."""

    max_file_bytes: int = 256 * _KiB
    max_file_lines: int = 5000
    """difflib's matcher is quadratic in the worst case: a longer file is named, not diffed."""
    max_total_lines: int = 40_000
    """Lines diffed in one comparison; the files after the budget is spent are `over_budget`."""
    page_lines: int = 400
    max_note_bytes: int = 100 * _KiB
    context: int = 3

    def __post_init__(self) -> None:
        names = ("max_file_bytes", "max_file_lines", "max_total_lines", "page_lines")
        for name in (*names, "max_note_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"ChangeLimits.{name} must be positive")
        if self.context < 0:
            raise ValueError("ChangeLimits.context must not be negative")


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk: its numbers in the starter (`old`) and the submission (`new`)."""

    kind: LineKind
    old: int | None
    new: int | None
    text: str
    """The line without its newline."""
    eol: bool = True
    """False for a last line with no newline at the end of the file."""

    def as_json(self) -> dict[str, Any]:
        """The line for the JSON API."""
        return {
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "text": self.text,
            "eol": self.eol,
        }


@dataclass(frozen=True)
class Hunk:
    """A run of changed lines with their context, numbered as in a unified diff."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[DiffLine, ...]

    @property
    def header(self) -> str:
        """The `@@ -a,b +c,d @@` line, as `diff -u` and difflib write it (`,1` left out)."""
        old = _range(self.old_start, self.old_count)
        return f"@@ -{old} +{_range(self.new_start, self.new_count)} @@"

    def as_json(self) -> dict[str, Any]:
        """The hunk for the JSON API."""
        return {
            "header": self.header,
            "old_start": self.old_start,
            "old_count": self.old_count,
            "new_start": self.new_start,
            "new_count": self.new_count,
            "lines": [line.as_json() for line in self.lines],
        }


def _range(start: int, count: int) -> str:
    return str(start) if count == 1 else f"{start},{count}"


@dataclass(frozen=True)
class FileChange:
    """One added, removed or changed file. Skipped files have no line counts and no pages."""

    path: str
    status: FileStatus
    lines_added: int | None
    lines_removed: int | None
    skipped: SkipReason | None
    pages: tuple[tuple[Hunk, ...], ...] = field(default=(), repr=False)
    old_lines: tuple[str, ...] = field(default=(), repr=False)
    """The starter's lines (no newlines), for a caller that highlights the whole file."""
    new_lines: tuple[str, ...] = field(default=(), repr=False)
    """The submission's lines (no newlines)."""

    def page(self, number: int) -> tuple[Hunk, ...]:
        """The hunks of page `number` (from 1). A skipped file has one, empty, page."""
        if number == 1 and not self.pages:
            return ()
        if not 1 <= number <= len(self.pages):
            raise ChangesNotFound(
                f"{self.path!r} has {max(1, len(self.pages))} page(s) of diff, not {number}"
            )
        return self.pages[number - 1]

    def as_json(self) -> dict[str, Any]:
        """The file's summary for the JSON API (no hunks)."""
        return {
            "path": self.path,
            "status": self.status,
            "lines_added": self.lines_added,
            "lines_removed": self.lines_removed,
            "skipped": self.skipped,
            "pages": len(self.pages),
        }


@dataclass(frozen=True)
class PlacedFinding:
    """A report finding with its category, its origin and, when inherited, its starter line."""

    category: str
    finding: Finding
    origin: Origin
    starter_line: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding for the JSON API."""
        f = self.finding
        return {
            "category": self.category,
            "rule": f.rule,
            "message": f.message,
            "severity": f.severity.value,
            "file": f.file,
            "line": f.line,
            "origin": self.origin,
            "starter_line": self.starter_line,
        }


@dataclass(frozen=True)
class Note:
    """The candidate's NOTES.md or README.md, as text for the caller to render escaped."""

    path: str
    text: str
    truncated: bool
    status: Literal["added", "changed", "unchanged"] | None
    """Against the starter's file of the same path; None when the starter was not compared."""


@dataclass(frozen=True)
class Changes:
    """A submission against its starter."""

    graded_version: str | None
    """The challenge version hash the report was graded at (None: no report or not recorded)."""
    starter_version: str
    """The version hash of the challenge on disk."""
    files: tuple[FileChange, ...]
    unchanged: int
    findings: tuple[PlacedFinding, ...]
    notes: tuple[Note, ...]

    @property
    def starter_version_mismatch(self) -> bool:
        """The pack on disk is not the version graded: nothing was diffed."""
        return self.graded_version is not None and self.graded_version != self.starter_version

    def file(self, path: str) -> FileChange:
        """The changed file at `path`."""
        for change in self.files:
            if change.path == path:
                return change
        raise ChangesNotFound(f"no added, removed or changed file {path!r}")

    def categories(self) -> dict[str, dict[Origin, int]]:
        """Per category of the report, how many findings have each origin."""
        counts: dict[str, Counter[Origin]] = {}
        for placed in self.findings:
            counts.setdefault(placed.category, Counter())[placed.origin] += 1
        return {name: {o: c[o] for o in ORIGINS} for name, c in counts.items()}

    def as_json(self) -> dict[str, Any]:
        """Everything but the hunks and the notes (the API adds them)."""
        status = Counter(change.status for change in self.files)
        return {
            "graded_version": self.graded_version,
            "starter_version": self.starter_version,
            "starter_version_mismatch": self.starter_version_mismatch,
            "summary": {
                "added": status["added"],
                "removed": status["removed"],
                "changed": status["changed"],
                "unchanged": self.unchanged,
                "lines_added": sum(c.lines_added or 0 for c in self.files),
                "lines_removed": sum(c.lines_removed or 0 for c in self.files),
            },
            "files": [change.as_json() for change in self.files],
            "findings": [placed.as_json() for placed in self.findings],
            "categories": self.categories(),
        }


def compare_to_starter(
    snapshot: Snapshot,
    challenge: Challenge,
    report: Report | None,
    limits: ChangeLimits | None = None,
) -> Changes:
    """`snapshot` against `challenge`'s starter, with `report`'s findings placed on their lines."""
    limits = limits or ChangeLimits()
    graded = _graded_version(report)
    current = challenge.version_hash
    findings = _all_findings(report)
    if graded is not None and graded != current:
        placed = tuple(PlacedFinding(c, f, _unplaced(f, snapshot)) for c, f in findings)
        notes = tuple(_notes(snapshot.files, None, limits))
        return Changes(graded, current, (), 0, placed, notes)
    starter = challenge.starter().files
    files, unchanged, lines = _compare(starter, snapshot.files, limits)
    placed = tuple(PlacedFinding(c, f, *_place(f, snapshot, files, lines)) for c, f in findings)
    notes = tuple(_notes(snapshot.files, starter, limits))
    return Changes(graded, current, tuple(files.values()), unchanged, placed, notes)


def _graded_version(report: Report | None) -> str | None:
    recorded = report.provenance.get("challenge") if report is not None else None
    version = recorded.get("version_hash") if isinstance(recorded, dict) else None
    return version if isinstance(version, str) else None


def _all_findings(report: Report | None) -> list[tuple[str, Finding]]:
    if report is None:
        return []
    return [(name, f) for name, result in report.categories.items() for f in result.findings]


# A changed text file's map from a submission line to its starter line (None: added there).
_LineMap = dict[int, int | None]


def _compare(
    old: Mapping[str, bytes], new: Mapping[str, bytes], limits: ChangeLimits
) -> tuple[dict[str, FileChange], int, dict[str, _LineMap]]:
    files: dict[str, FileChange] = {}
    maps: dict[str, _LineMap] = {}
    unchanged, budget = 0, limits.max_total_lines
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before == after:
            unchanged += 1
            continue
        status: FileStatus = (
            "added" if before is None else "removed" if after is None else "changed"
        )
        size = (before or b"").count(b"\n") + (after or b"").count(b"\n")
        skipped = _not_diffed(before, after, size, budget, limits)
        if skipped is not None:
            files[path] = FileChange(path, status, None, None, skipped)
            continue
        budget -= size
        files[path], maps[path] = _diff_file(path, status, before or b"", after or b"", limits)
    return files, unchanged, maps


def _not_diffed(
    before: bytes | None, after: bytes | None, size: int, budget: int, limits: ChangeLimits
) -> SkipReason | None:
    """Why a changed file of `size` lines is named but not diffed, or None to diff it."""
    skipped = _skip_reason(before, limits) or _skip_reason(after, limits)
    if skipped is None and size > budget:
        return "over_budget"
    return skipped


def _skip_reason(data: bytes | None, limits: ChangeLimits) -> SkipReason | None:
    if data is None:
        return None
    if len(data) > limits.max_file_bytes or data.count(b"\n") > limits.max_file_lines:
        return "oversized"
    if b"\x00" in data:
        return "binary"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    return None


def _split(text: str) -> list[str]:
    """Lines with their newlines, split on "\\n" alone (as the graders' tools count lines)."""
    lines = text.split("\n")
    with_ends = [line + "\n" for line in lines[:-1]]
    return [*with_ends, lines[-1]] if lines[-1] else with_ends


def _diff_file(
    path: str, status: FileStatus, before: bytes, after: bytes, limits: ChangeLimits
) -> tuple[FileChange, _LineMap]:
    old, new = _split(before.decode("utf-8")), _split(after.decode("utf-8"))
    matcher = difflib.SequenceMatcher(None, old, new)
    # Before the grouping: get_grouped_opcodes() trims the first and last `equal` runs of the
    # matcher's cached opcodes in place, which would drop the lines far from any change.
    line_map = _line_map(matcher)
    hunks = [_hunk(group, old, new) for group in matcher.get_grouped_opcodes(limits.context)]
    pieces = [piece for hunk in hunks for piece in _cut(hunk, limits.page_lines)]
    change = FileChange(
        path,
        status,
        _count(hunks, "added"),
        _count(hunks, "removed"),
        None,
        pages=_paginate(pieces, limits.page_lines),
        old_lines=tuple(line.removesuffix("\n") for line in old),
        new_lines=tuple(line.removesuffix("\n") for line in new),
    )
    return change, line_map


def _line_map(matcher: difflib.SequenceMatcher[str]) -> _LineMap:
    """Each submission line's starter line (1-based), None for a line added or changed."""
    line_map: _LineMap = {}
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        for offset, j in enumerate(range(j1, j2)):
            line_map[j + 1] = i1 + offset + 1 if tag == "equal" else None
    return line_map


def _count(hunks: list[Hunk], kind: LineKind) -> int:
    return sum(1 for hunk in hunks for line in hunk.lines if line.kind == kind)


def _line(kind: LineKind, old: int | None, new: int | None, raw: str) -> DiffLine:
    return DiffLine(kind, old, new, raw.removesuffix("\n"), eol=raw.endswith("\n"))


def _hunk(group: list[tuple[str, int, int, int, int]], old: list[str], new: list[str]) -> Hunk:
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            lines += [
                _line("context", i1 + k + 1, j1 + k + 1, old[i1 + k]) for k in range(i2 - i1)
            ]
            continue
        lines += [_line("removed", i + 1, None, old[i]) for i in range(i1, i2)]
        lines += [_line("added", None, j + 1, new[j]) for j in range(j1, j2)]
    return _numbered(lines, old_before=group[0][1], new_before=group[0][3])


def _numbered(lines: list[DiffLine], *, old_before: int, new_before: int) -> Hunk:
    """A hunk over `lines`, which follow `old_before` starter and `new_before` submission lines;
    an empty side starts at the line before it (0 at the top of the file), as in `diff -u`."""
    old_count = sum(1 for line in lines if line.old is not None)
    new_count = sum(1 for line in lines if line.new is not None)
    return Hunk(
        old_start=old_before + 1 if old_count else old_before,
        old_count=old_count,
        new_start=new_before + 1 if new_count else new_before,
        new_count=new_count,
        lines=tuple(lines),
    )


def _cut(hunk: Hunk, size: int) -> list[Hunk]:
    """`hunk` itself, or consecutive valid hunks of at most `size` lines each."""
    if len(hunk.lines) <= size:
        return [hunk]
    old_before = hunk.old_start - 1 if hunk.old_count else hunk.old_start
    new_before = hunk.new_start - 1 if hunk.new_count else hunk.new_start
    pieces = []
    for i in range(0, len(hunk.lines), size):
        chunk = list(hunk.lines[i : i + size])
        pieces.append(_numbered(chunk, old_before=old_before, new_before=new_before))
        old_before += pieces[-1].old_count
        new_before += pieces[-1].new_count
    return pieces


def _paginate(hunks: list[Hunk], size: int) -> tuple[tuple[Hunk, ...], ...]:
    pages: list[list[Hunk]] = []
    used = size
    for hunk in hunks:
        if used + len(hunk.lines) > size:
            pages.append([])
            used = 0
        pages[-1].append(hunk)
        used += len(hunk.lines)
    return tuple(tuple(page) for page in pages)


def _unplaced(finding: Finding, snapshot: Snapshot) -> Origin:
    """The origin of a finding that no diff can place; `unknown` when only a diff could."""
    if finding.file is None:
        return "no_file"
    if finding.file not in snapshot.files:
        return "outside"
    if finding.line is None:
        return "no_line"
    return "unknown"


def _place(
    finding: Finding,
    snapshot: Snapshot,
    files: Mapping[str, FileChange],
    maps: Mapping[str, _LineMap],
) -> tuple[Origin, int | None]:
    """The finding's origin and, when inherited, its line in the starter."""
    origin = _unplaced(finding, snapshot)
    if origin != "unknown" or finding.file is None or finding.line is None:
        return origin, None
    path, line = finding.file, finding.line
    change = files.get(path)
    if change is None:  # byte-identical to the starter: every line is the starter's
        count = len(_split(snapshot.files[path].decode("utf-8", "replace")))
        return ("inherited", line) if 1 <= line <= count else ("outside", None)
    if change.skipped is not None:
        return "unknown", None
    line_map = maps[path]  # an added file maps every line to None
    if line not in line_map:
        return "outside", None
    starter_line = line_map[line]
    return ("introduced", None) if starter_line is None else ("inherited", starter_line)


def _notes(
    files: Mapping[str, bytes], starter: Mapping[str, bytes] | None, limits: ChangeLimits
) -> Iterable[Note]:
    for name in _NOTE_NAMES:
        for path in sorted(p for p in files if p.lower() == name):
            data = files[path]
            text = data[: limits.max_note_bytes].decode("utf-8", "replace")
            status: Literal["added", "changed", "unchanged"] | None = None
            if starter is not None:
                before = starter.get(path)
                status = (
                    "added" if before is None else "unchanged" if before == data else "changed"
                )
            yield Note(path, text, len(data) > limits.max_note_bytes, status)
