"""A strict unified-diff applier for patch overlays (`runner._overlay`): one file, exact context.

`apply_patch(target, original, patch)` applies a patch as `diff -u` or `git diff` writes it (an
optional `diff `/`index ` preamble, `--- a/<target>` and `+++ b/<target>` headers, then hunks
`@@ -a,b +c,d @@`) to the bytes of one file and returns the new bytes. It is strict where GNU
`patch` is forgiving, because a variant that no longer fits its reference must fail loudly:
every context and removed line must match the original byte for byte at the line its hunk names
(no fuzz, no offset search, no whitespace folding), hunks come in order without overlapping, and
each `+c` must follow from its `-a` and the hunks before. `\\ No newline at end of file` (any
line starting `\\ `, as `diff` translates the text) after a line takes that line's newline away,
and no hunk may follow it. A header names exactly `a/<target>` (`b/<target>`) or `<target>`, and
the header lines end in `\\n` (a CRLF there means an editor or git's autocrlf converted the patch,
which would no longer match the bytes it patches). Anything else is a `PatchError` naming the
patch's line.

Why not a library: `whatthepatch` applies `str` lines (CRLF and the final newline are lost),
`patch-ng` patches files on disk and allows fuzz, `unidiff` only parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PatchError", "apply_patch"]

_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: [^\n]*)?\n")
_DIGITS = 9  # a line number or count of more digits is refused before it is converted
_OLD, _NEW = (b" ", b"-"), (b" ", b"+")  # the kinds of hunk line each side holds
_Entry = tuple[bytes, bytes, int]  # kind (` `, `-`, `+` or `\`), the line's bytes, patch line
_MARKER = b"\\ "  # `\ No newline at end of file`, whatever the language of its text
_NOT_A_MARKER = (
    "a line starting '\\' is the marker '\\ No newline at end of file' ('\\ ', then text)"
)


class PatchError(ValueError):
    """A patch is malformed or does not apply; `line` is its 1-based line in the patch."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line, self.message = line, message


@dataclass(frozen=True)
class _Hunk:
    number: int
    line: int  # the patch line of its `@@` header
    old_start: int  # 0-based index in the original of its first line (of the line after, if none)
    new_start: int
    old: list[tuple[int, bytes]]  # (patch line, bytes) of its context and removed lines
    new: list[bytes]  # its context and added lines

    @property
    def marked(self) -> bool:
        """It holds a `\\ No newline at end of file`: a side's last line has no newline."""
        ends = [self.old[-1][1]] if self.old else []
        return any(not line.endswith(b"\n") for line in ends + self.new[-1:])


def _split(data: bytes) -> list[bytes]:
    """Lines with their `\\n` kept; a last line without one stays without it."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _show(line: bytes) -> str:
    text = line.decode("utf-8", "replace")
    shown = repr(text.removesuffix("\n"))
    return shown if text.endswith("\n") else f"{shown} (no newline at end)"


def _header(lines: list[bytes], index: int, prefix: bytes, target: str) -> None:
    line = lines[index] if index < len(lines) else b""
    side = "a" if prefix == b"--- " else "b"
    if not line.startswith(prefix):
        found = _show(line) if line else "the end of the patch"
        expected = f"{prefix.decode()}{side}/{target}"
        raise PatchError(index + 1, f"expected a header {expected!r}, found {found}")
    if line.endswith(b"\r\n"):
        raise PatchError(
            index + 1,
            "the header ends in CRLF: the patch was converted (an editor, git's autocrlf);"
            " write it again with 'diff -u' and keep its bytes",
        )
    name = line[len(prefix) :].rstrip(b"\n").split(b"\t")[0].decode("utf-8", "replace")
    prefixed = f"{side}/{target}"
    if name not in (target, prefixed):
        raise PatchError(index + 1, f"the header names {name!r}, not {prefixed!r} or {target!r}")


def _take(line: bytes, left: tuple[int, int], where: str, number: int) -> tuple[int, int]:
    """What is left of the hunk's (old, new) line counts after `line`."""
    kind = line[:1]
    if kind == b"\\":
        raise PatchError(number, f"{where}: {_NOT_A_MARKER}, not {_show(line)}")
    if kind not in _OLD + _NEW:
        raise PatchError(
            number,
            f"{where}: a line starts with ' ', '-', '+' or '\\ ', not {_show(line)}"
            " (an editor may have stripped the space of an empty context line)",
        )
    if not line.endswith(b"\n"):
        raise PatchError(number, f"{where}: the patch's last line has no newline")
    old, new = left[0] - (kind in _OLD), left[1] - (kind in _NEW)
    if old < 0 or new < 0:
        raise PatchError(number, f"{where}: more lines than its header counts")
    return old, new


def _mark(entries: list[_Entry], number: int, where: str) -> None:
    """`\\ No newline at end of file`: the line before it loses its newline."""
    if not entries or entries[-1][0] == b"\\":
        raise PatchError(number, f"{where}: '\\ No newline at end of file' follows no line")
    kind, data, line = entries[-1]
    entries[-1] = (kind, data.removesuffix(b"\n"), line)
    entries.append((b"\\", b"", number))


def _entries(lines: list[bytes], index: int, counts: tuple[int, int], where: str) -> list[_Entry]:
    """The lines of the hunk that starts at `lines[index]`, `counts` (old, new) long."""
    left, entries = counts, list[_Entry]()
    while left != (0, 0) or (index < len(lines) and lines[index].startswith(_MARKER)):
        if index >= len(lines):
            raise PatchError(
                index, f"{where} ends early: {left[0]} old and {left[1]} new lines are missing"
            )
        if lines[index].startswith(_MARKER):
            _mark(entries, index + 1, where)
        else:
            left = _take(lines[index], left, where, index + 1)
            entries.append((lines[index][:1], lines[index][1:], index + 1))
        index += 1
    return entries


def _closed(entries: list[_Entry], where: str) -> None:
    """Only the last line of a side may lack its newline."""
    for kinds in (_OLD, _NEW):
        side = [(data, line) for kind, data, line in entries if kind in kinds]
        for data, line in side[:-1]:
            if not data.endswith(b"\n"):
                raise PatchError(
                    line + 1, f"{where}: '\\ No newline at end of file' is not at its side's end"
                )


def _header_match(line: bytes, number: int) -> re.Match[bytes]:
    """The match of a hunk header `@@ -a,b +c,d @@`, or the error saying what the line is."""
    if line.startswith(b"\\"):
        raise PatchError(number, f"{_NOT_A_MARKER}, not {_show(line)}")
    match = _HUNK.fullmatch(line)
    if match is None:
        raise PatchError(
            number,
            f"expected a hunk header '@@ -a,b +c,d @@', found {_show(line)}"
            " (a patch changes one file)",
        )
    return match


def _numbers(line: bytes, number: int, where: str) -> tuple[int, int, int, int]:
    """`a, b, c, d` of a hunk header `@@ -a,b +c,d @@` (`b` and `d` default to 1)."""
    groups = [group or b"1" for group in _header_match(line, number).groups()]
    if max(map(len, groups)) > _DIGITS:
        raise PatchError(number, f"{where}: a line number has more than {_DIGITS} digits")
    a, b, c, d = map(int, groups)
    if (b and not a) or (d and not c):
        raise PatchError(number, f"{where}: line numbers start at 1")
    return a, b, c, d


def _hunk(lines: list[bytes], index: int, number: int) -> tuple[_Hunk, int]:
    """The hunk whose header is `lines[index]`, and the index of the line after it."""
    where = f"hunk {number}"
    a, b, c, d = _numbers(lines[index], index + 1, where)
    entries = _entries(lines, index + 1, (b, d), where)
    _closed(entries, where)
    old = [(line, data) for kind, data, line in entries if kind in _OLD]
    new = [data for kind, data, _ in entries if kind in _NEW]
    hunk = _Hunk(number, index + 1, a - 1 if b else a, c - 1 if d else c, old, new)
    return hunk, index + 1 + len(entries)


def _parse(target: str, patch: bytes) -> list[_Hunk]:
    lines, index = _split(patch), 0
    while index < len(lines) and lines[index].startswith((b"diff ", b"index ")):
        index += 1  # git's preamble; a mode line (`new mode ...`) fails the header below
    _header(lines, index, b"--- ", target)
    _header(lines, index + 1, b"+++ ", target)
    hunks: list[_Hunk] = []
    index += 2
    while index < len(lines):
        if hunks and hunks[-1].marked and lines[index].startswith(b"@@"):
            raise PatchError(
                index + 1,
                f"hunk {len(hunks)} holds '\\ No newline at end of file', which ends the"
                " file: no hunk may follow it",
            )
        hunk, index = _hunk(lines, index, len(hunks) + 1)
        hunks.append(hunk)
    if not hunks:
        raise PatchError(index, "the patch has no hunk ('@@ -a,b +c,d @@')")
    return hunks


def _place(hunk: _Hunk, cursor: int, offset: int, size: int) -> None:
    """Refuse a hunk out of order, with a `+c` that does not follow, or past the file's end."""
    where, end = f"hunk {hunk.number}", hunk.old_start + len(hunk.old)
    if hunk.old_start < cursor:
        raise PatchError(hunk.line, f"{where} starts before the end of the hunk before it")
    if hunk.new_start != hunk.old_start + offset:
        expected = hunk.old_start + offset + (1 if hunk.new else 0)
        raise PatchError(
            hunk.line,
            f"{where}: its '+' line should be {expected} (from its '-' line and the hunks before)",
        )
    if end > size:
        raise PatchError(
            hunk.line, f"{where} ends at line {end}, past the end of the file ({size} lines)"
        )
    if hunk.new and not hunk.new[-1].endswith(b"\n") and end < size:
        raise PatchError(hunk.line, f"{where} ends without a newline but the file goes on")


def _match(hunk: _Hunk, original: list[bytes], target: str) -> None:
    for number, (line, expected) in enumerate(hunk.old, start=hunk.old_start):
        if original[number] != expected:
            raise PatchError(
                line,
                f"hunk {hunk.number}: line {number + 1} of {target} is {_show(original[number])},"
                f" the patch expects {_show(expected)}{_ending(original[number], expected)}",
            )


def _eol(line: bytes) -> tuple[bytes, str]:
    """A line's text and its ending: `CRLF`, `LF` or `` (the file's last line, no newline)."""
    if line.endswith(b"\r\n"):
        return line[:-2], "CRLF"
    if line.endswith(b"\n"):
        return line[:-1], "LF"
    return line, ""


def _ending(found: bytes, expected: bytes) -> str:
    """A hint when two lines differ only in their line ending (a converted patch or file)."""
    (text, ends), (other, expected_ends) = _eol(found), _eol(expected)
    if text == other and {ends, expected_ends} == {"CRLF", "LF"}:
        return (
            f" (the file's line ends in {ends}, the patch's in {expected_ends}:"
            " was one of them converted?)"
        )
    return ""


def apply_patch(target: str, original: bytes, patch: bytes) -> bytes:
    """`original` (the file at path `target`) with the unified diff `patch` applied.

    Raises `PatchError` if the patch is malformed, names another file, or does not apply exactly.
    """
    hunks, lines = _parse(target, patch), _split(original)
    out: list[bytes] = []
    cursor = offset = 0
    for hunk in hunks:
        _place(hunk, cursor, offset, len(lines))
        _match(hunk, lines, target)
        out += lines[cursor : hunk.old_start] + hunk.new
        cursor = hunk.old_start + len(hunk.old)
        offset += len(hunk.new) - len(hunk.old)
    return b"".join(out + lines[cursor:])
