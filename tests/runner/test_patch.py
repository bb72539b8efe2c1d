"""The strict unified-diff applier behind patch overlays: what applies, and what is refused."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from runner._patch import PatchError, apply_patch

NO_NEWLINE = b"\\ No newline at end of file\n"
ORIGINAL = b"".join(b"line %d\n" % n for n in range(1, 21))
ENDS = (b"", b"tail", b"\r")  # a last line without newline, or none
PIECES = (
    b"a\n",
    b"b\r\n",
    b"\n",
    b"-- sql\n",
    b"+++ c\n",
    b"@@ d\n",
    b"\\ e\n",
    b"\xff\n",
    b" \n",
)


def _lines(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _diff(old: bytes, new: bytes, context: int = 3) -> bytes:
    """What `diff -u --label a/x --label b/x` writes, the marker after a line without newline."""
    lines = difflib.diff_bytes(
        difflib.unified_diff, _lines(old), _lines(new), b"a/x", b"b/x", n=context
    )
    return b"".join(line if line.endswith(b"\n") else line + b"\n" + NO_NEWLINE for line in lines)


def _error(patch: bytes, original: bytes = ORIGINAL) -> PatchError:
    with pytest.raises(PatchError) as caught:
        apply_patch("x", original, patch)
    return caught.value


def test_several_hunks_with_edits_at_both_ends_and_new_empty_lines() -> None:
    lines = ORIGINAL.splitlines(keepends=True)
    new = [b"first\n", *lines[1:9], b"\n", b"\n", lines[9].upper(), *lines[10:19], b"last\n"]
    patch = _diff(ORIGINAL, b"".join(new))
    assert patch.count(b"\n@@ ") == 3  # start, middle and end are three hunks
    assert b"+\n" in patch  # the new empty lines are `+` lines with nothing after the sign
    assert apply_patch("x", ORIGINAL, patch) == b"".join(new)


def test_a_hand_written_patch_with_git_s_preamble_applies() -> None:
    patch = (
        b"diff --git a/pkg/x b/pkg/x\n"
        b"index 0123abc..4567def 100644\n"
        b"--- a/pkg/x\n"
        b"+++ b/pkg/x\n"
        b"@@ -1,2 +1,3 @@ def section():\n"
        b"+line 0\n"
        b" line 1\n"
        b"-line 2\n"
        b"+line two\n"
        b"@@ -20 +21 @@\n"
        b"-line 20\n"
        b"+line twenty\n"
    )
    result = apply_patch("pkg/x", ORIGINAL, patch)
    assert result.startswith(b"line 0\nline 1\nline two\nline 3\n")
    assert result.endswith(b"line 19\nline twenty\n")


@pytest.mark.parametrize(
    ("old", "new", "marked"),
    [
        (b"a\nb\nc", b"a\nb\nc\n", True),  # a newline added at the end
        (b"a\nb\nc\n", b"a\nb\nc", True),  # the end's newline taken away
        (b"a\nb\nc", b"a\nb\nC", True),  # the last line changed, no newline on either side
        (b"a\nb\nc", b"A\nb\nc", False),  # the hunk ends before the line without newline
        (b"", b"a\n", False),  # into an empty file
        (b"a\n", b"", False),  # everything removed
    ],
)
def test_no_newline_at_end_of_file(old: bytes, new: bytes, marked: bool) -> None:
    patch = _diff(old, new, context=1)
    assert (NO_NEWLINE in patch) == marked
    assert apply_patch("x", old, patch) == new


def test_bytes_are_kept_exactly_crlf_and_all() -> None:
    old, new = b"one\r\ntwo\r\n\xff\xfe\n", b"one\r\n2\r\n\xff\xfe\n"
    assert apply_patch("x", old, _diff(old, new)) == new


def test_a_context_line_that_differs_is_refused_with_both_lines() -> None:
    patch = _diff(ORIGINAL, ORIGINAL.replace(b"line 10\n", b"line ten\n"))
    error = _error(patch, ORIGINAL.replace(b"line 8\n", b"line  8\n"))
    assert error.line == 5  # headers, `@@`, ` line 7`, then ` line 8`
    assert error.message == "hunk 1: line 8 of x is 'line  8', the patch expects 'line 8'"


def test_no_offset_search_a_hunk_applies_at_its_line_or_not_at_all() -> None:
    patch = _diff(ORIGINAL, ORIGINAL.replace(b"line 10\n", b"line ten\n"))
    shifted = b"extra\n" + ORIGINAL  # the same lines, one further down
    assert _error(patch, shifted).message.startswith("hunk 1: line 7 of x is 'line 6',")


def test_the_marker_s_text_may_be_translated() -> None:
    patch = b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\\ Kein Zeilenumbruch am Dateiende.\n"
    assert apply_patch("x", b"a\n", patch) == b"b"


def test_a_header_may_name_the_bare_path() -> None:
    patch = b"--- pkg/x\t2026-12-01 10:00:00\n+++ pkg/x\t2026-12-02\n@@ -1 +1 @@\n-line 1\n+one\n"
    assert apply_patch("pkg/x", ORIGINAL, patch).startswith(b"one\nline 2\n")


def test_a_line_ending_mismatch_says_so() -> None:
    patch = _diff(ORIGINAL, ORIGINAL.replace(b"line 2\n", b"two\n")).replace(
        b" line 1\n", b" line 1\r\n"
    )
    assert _error(patch).message == (
        "hunk 1: line 1 of x is 'line 1', the patch expects 'line 1\\r' (the file's line ends"
        " in LF, the patch's in CRLF: was one of them converted?)"
    )


@settings(max_examples=300, deadline=None)
@given(
    old=st.lists(st.sampled_from(PIECES), max_size=30),
    edits=st.lists(
        st.tuples(st.booleans(), st.integers(0, 40), st.sampled_from(PIECES)),
        min_size=1,
        max_size=6,
    ),
    end=st.sampled_from(ENDS),
    new_end=st.sampled_from(ENDS),
    context=st.sampled_from((0, 1, 3)),
)
def test_any_diff_difflib_writes_applies_to_its_original(
    old: list[bytes],
    edits: list[tuple[bool, int, bytes]],
    end: bytes,
    new_end: bytes,
    context: int,
) -> None:
    """The property behind the strictness: whatever `diff -u` writes for two files (here
    difflib, with diff's marker after a last line without newline) turns the first into the
    second exactly, CRLF, missing final newlines and hunk-looking lines included."""
    new = list(old)
    for insert, at, piece in edits:
        if insert or not new:
            new.insert(min(at, len(new)), piece)
        else:
            del new[at % len(new)]
    before, after = b"".join(old) + end, b"".join(new) + new_end
    assume(before != after)
    assert apply_patch("x", before, _diff(before, after, context=context)) == after


def test_a_whitespace_change_is_a_mismatch() -> None:
    patch = _diff(ORIGINAL, ORIGINAL.replace(b"line 10\n", b"line ten\n"))
    assert "line 7 of x is 'line 7 '" in _error(patch, ORIGINAL.replace(b"7\n", b"7 \n")).message


@pytest.mark.parametrize(
    ("patch", "line", "message"),
    [
        (b"", 1, "expected a header '--- a/x', found the end of the patch"),
        (b"--- a/x\n@@ -1 +1 @@\n", 2, "expected a header '+++ b/x', found '@@ -1 +1 @@'"),
        (b"--- a/y\n+++ b/y\n", 1, "the header names 'a/y', not 'a/x' or 'x'"),
        (b"--- a/xx\n+++ b/xx\n", 1, "the header names 'a/xx', not 'a/x' or 'x'"),
        (b"--- lib/x\n+++ b/x\n", 1, "the header names 'lib/x', not 'a/x' or 'x'"),
        (b"--- a/x\n+++ a/x\n", 2, "the header names 'a/x', not 'b/x' or 'x'"),
        (
            b"--- a/x\r\n+++ b/x\r\n",
            1,
            "the header ends in CRLF: the patch was converted (an editor, git's autocrlf);"
            " write it again with 'diff -u' and keep its bytes",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1234567890 +1 @@\n",
            3,
            "hunk 1: a line number has more than 9 digits",
        ),
        (b"old mode 100644\n--- a/x\n", 1, "expected a header '--- a/x', found 'old mode 100644'"),
        (b"--- a/x\n+++ b/x\n", 2, "the patch has no hunk ('@@ -a,b +c,d @@')"),
        (
            b"--- a/x\n+++ b/x\n@@ -1 +1\n",
            3,
            "expected a hunk header '@@ -a,b +c,d @@', found '@@ -1 +1'"
            " (a patch changes one file)",
        ),
        (b"--- a/x\n+++ b/x\n@@ -0,1 +0,1 @@\n", 3, "hunk 1: line numbers start at 1"),
        (
            b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-line 1\n+one\n",
            5,
            "hunk 1 ends early: 1 old and 1 new lines are missing",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n line 1\n\n",
            5,
            "hunk 1: a line starts with ' ', '-', '+' or '\\ ', not ''"
            " (an editor may have stripped the space of an empty context line)",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-line 1\n+one\n\\No newline\n",
            6,
            "a line starting '\\' is the marker '\\ No newline at end of file'"
            " ('\\ ', then text), not '\\\\No newline'",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-line 1\n\\-line 2\n",
            5,
            "hunk 1: a line starting '\\' is the marker '\\ No newline at end of file'"
            " ('\\ ', then text), not '\\\\-line 2'",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-line 1\n-line 2\n",
            5,
            "hunk 1: more lines than its header counts",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-line 1\n+one",
            5,
            "hunk 1: the patch's last line has no newline",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-line 1\n+one\n--- a/y\n+++ b/y\n",
            6,
            "expected a hunk header '@@ -a,b +c,d @@', found '--- a/y' (a patch changes one file)",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1,0 +1 @@\n\\ No newline at end of file\n",
            4,
            "hunk 1: '\\ No newline at end of file' follows no line",
        ),
        (
            b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-line 1\n\\ No newline at end of file\n"
            b"-line 2\n+a\n+b\n",
            5,
            "hunk 1: '\\ No newline at end of file' is not at its side's end",
        ),
    ],
)
def test_malformed_patches_name_the_line(patch: bytes, line: int, message: str) -> None:
    error = _error(patch)
    assert (error.line, error.message) == (line, message)
    assert str(error) == f"line {line}: {message}"


@pytest.mark.parametrize(
    ("hunks", "line", "message"),
    [
        (
            b"@@ -5 +5 @@\n-line 5\n+five\n@@ -2 +2 @@\n-line 2\n+two\n",
            6,
            "hunk 2 starts before the end of the hunk before it",
        ),
        (
            b"@@ -2,2 +2,2 @@\n-line 2\n+two\n line 3\n@@ -3 +3 @@\n-line 3\n+three\n",
            7,
            "hunk 2 starts before the end of the hunk before it",
        ),
        (
            b"@@ -2 +2,2 @@\n-line 2\n+two\n+2\n@@ -5 +5 @@\n-line 5\n+five\n",
            7,
            "hunk 2: its '+' line should be 6 (from its '-' line and the hunks before)",
        ),
        (
            b"@@ -20,2 +20,2 @@\n line 20\n-line 21\n+21\n",
            3,
            "hunk 1 ends at line 21, past the end of the file (20 lines)",
        ),
        (
            b"@@ -1 +1 @@\n-line 1\n+one\n\\ No newline at end of file\n",
            3,
            "hunk 1 ends without a newline but the file goes on",
        ),
        (
            b"@@ -20 +20 @@\n-line 20\n+twenty\n\\ No newline at end of file\n"
            b"@@ -20,0 +21 @@\n+more\n",
            7,
            "hunk 1 holds '\\ No newline at end of file', which ends the file:"
            " no hunk may follow it",
        ),
        (
            b"@@ -20 +20 @@\n-line 20\n+twenty\n\\ No newline at end of file\n"
            b"diff --git a/y b/y\n",
            7,
            "expected a hunk header '@@ -a,b +c,d @@', found 'diff --git a/y b/y'"
            " (a patch changes one file)",
        ),
    ],
)
def test_hunks_that_cannot_stand_where_they_say(hunks: bytes, line: int, message: str) -> None:
    error = _error(b"--- a/x\n+++ b/x\n" + hunks)
    assert (error.line, error.message) == (line, message)
