"""A submission against its starter: files, hunks and pages, findings placed, notes."""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from graders.model import CategoryResult, Finding, Report
from runner.challenge import Challenge, load_challenge
from runner.changes import (
    ChangeLimits,
    Changes,
    ChangesNotFound,
    FileChange,
    Hunk,
    compare_to_starter,
)
from runner.intake import Snapshot

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"
INIT = "calc/__init__.py"
STARTER_SUB = b"def sub(a, b):\n    raise NotImplementedError\n"
SOLVED_SUB = b"def sub(a, b):\n    return a - b\n"


@pytest.fixture(scope="module")
def calculator() -> Challenge:
    return load_challenge(CALCULATOR)


def _init(calculator: Challenge, old: bytes = STARTER_SUB, new: bytes = SOLVED_SUB) -> bytes:
    source = calculator.starter().files[INIT]
    assert old in source
    return source.replace(old, new)


def _report(calculator: Challenge, *findings: tuple[str, Finding], version: str = "") -> Report:
    by_category: dict[str, list[Finding]] = {}
    for category, finding in findings:
        by_category.setdefault(category, []).append(finding)
    categories = {
        name: CategoryResult(name=name, score=50, summary="", findings=tuple(found))
        for name, found in by_category.items()
    }
    provenance = {
        "challenge": {"id": "calculator", "version_hash": version or calculator.version_hash}
    }
    return Report(score=50, categories=categories, provenance=provenance)


def _compare(
    calculator: Challenge,
    files: dict[str, bytes | None],
    report: Report | None = None,
    limits: ChangeLimits | None = None,
) -> Changes:
    snapshot = dict(calculator.starter().files)
    for path, data in files.items():
        if data is None:
            snapshot.pop(path)
        else:
            snapshot[path] = data
    return compare_to_starter(Snapshot(files=snapshot), calculator, report, limits)


def test_a_one_line_change_lists_that_file_with_one_changed_line(calculator: Challenge) -> None:
    changes = _compare(calculator, {INIT: _init(calculator)})
    assert [(c.path, c.status, c.lines_added, c.lines_removed) for c in changes.files] == [
        (INIT, "changed", 1, 1)
    ]
    assert changes.unchanged == len(calculator.starter().files) - 1
    (hunk,) = changes.file(INIT).page(1)
    assert [(line.kind, line.old, line.new) for line in hunk.lines if line.kind != "context"] == [
        ("removed", 9, None),
        ("added", None, 9),
    ]
    assert [line.text for line in hunk.lines if line.kind == "added"] == ["    return a - b"]
    summary = changes.as_json()["summary"]
    assert summary == {
        "added": 0,
        "removed": 0,
        "changed": 1,
        "unchanged": 2,
        "lines_added": 1,
        "lines_removed": 1,
    }


def test_the_unchanged_starter_has_no_changes(calculator: Challenge) -> None:
    changes = compare_to_starter(calculator.starter(), calculator, None)
    assert changes.files == ()
    assert changes.unchanged == len(calculator.starter().files)
    assert changes.graded_version is None
    assert not changes.starter_version_mismatch


def test_added_and_removed_files_are_counted_whole(calculator: Challenge) -> None:
    changes = _compare(
        calculator,
        {"calc/ops.py": b"def add(a, b):\n    return a + b\n", "tests/test_calc.py": None},
    )
    by_path = {c.path: c for c in changes.files}
    assert (by_path["calc/ops.py"].status, by_path["calc/ops.py"].lines_added) == ("added", 2)
    assert by_path["calc/ops.py"].lines_removed == 0
    removed = by_path["tests/test_calc.py"]
    starter_lines = calculator.starter().files["tests/test_calc.py"].count(b"\n")
    assert (removed.status, removed.lines_added, removed.lines_removed) == (
        "removed",
        0,
        starter_lines,
    )
    (added_hunk,) = by_path["calc/ops.py"].page(1)
    assert added_hunk.header == "@@ -0,0 +1,2 @@"


def test_binary_and_oversized_files_are_named_not_diffed(calculator: Challenge) -> None:
    limits = ChangeLimits(max_file_bytes=2000, max_file_lines=50)
    changes = _compare(
        calculator,
        {
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "latin1.txt": "caf\xe9\n".encode("latin-1"),
            "data.csv": b"x" * 2001,
            "long.py": b"pass\n" * 51,
            "fifty.py": b"pass\n" * 50,
        },
        limits=limits,
    )
    by_path = {c.path: c for c in changes.files}
    assert by_path["logo.png"].skipped == "binary"
    assert by_path["latin1.txt"].skipped == "binary"
    assert by_path["data.csv"].skipped == "oversized"
    assert by_path["long.py"].skipped == "oversized"
    assert by_path["fifty.py"].skipped is None
    assert by_path["fifty.py"].lines_added == 50
    for path in ("logo.png", "data.csv"):
        assert (by_path[path].lines_added, by_path[path].pages, by_path[path].page(1)) == (
            None,
            (),
            (),
        )
        assert by_path[path].as_json()["pages"] == 0


def test_a_starter_file_grown_too_large_is_oversized_too(calculator: Challenge) -> None:
    changes = _compare(calculator, {INIT: b"x = 1\n" * 10}, limits=ChangeLimits(max_file_lines=5))
    assert changes.file(INIT).skipped == "oversized"


def test_files_past_the_line_budget_are_over_budget(calculator: Challenge) -> None:
    limits = ChangeLimits(max_total_lines=30)
    files: dict[str, bytes | None] = {f"m{n}.py": b"x = 1\n" * 10 for n in range(5)}
    changes = _compare(calculator, files, limits=limits)
    reasons = [changes.file(f"m{n}.py").skipped for n in range(5)]
    assert reasons == [None, None, None, "over_budget", "over_budget"]


def test_large_diffs_are_paged_in_valid_hunks(calculator: Challenge) -> None:
    big = b"".join(f"v{n} = {n}\n".encode() for n in range(1, 1001))
    changes = _compare(calculator, {"big.py": big}, limits=ChangeLimits(page_lines=300))
    change = changes.file("big.py")
    assert len(change.pages) == 4
    assert [len(page[0].lines) for page in change.pages] == [300, 300, 300, 100]
    assert [page[0].header for page in change.pages] == [
        "@@ -0,0 +1,300 @@",
        "@@ -0,0 +301,300 @@",
        "@@ -0,0 +601,300 @@",
        "@@ -0,0 +901,100 @@",
    ]
    assert change.page(4)[0].lines[-1].text == "v1000 = 1000"
    with pytest.raises(ChangesNotFound, match="4 page"):
        change.page(5)
    with pytest.raises(ChangesNotFound):
        change.page(0)


def test_unknown_paths_are_a_named_lookup_error(calculator: Challenge) -> None:
    changes = _compare(calculator, {INIT: _init(calculator)})
    with pytest.raises(ChangesNotFound, match=r"README\.md"):
        changes.file("README.md")  # unchanged: not a changed file
    assert issubclass(ChangesNotFound, LookupError)


def test_findings_are_introduced_or_inherited_by_line(calculator: Challenge) -> None:
    # Two lines added above `sub`, and `sub`'s body changed: starter line n is now n + 2 above.
    header = b'"""A small arithmetic library."""\n'
    source = _init(calculator).replace(header, header + b"import os\nimport sys\n")
    new_lines = source.decode().split("\n")
    changed = new_lines.index("    return a - b") + 1
    mul = new_lines.index("def mul(a, b):") + 1
    starter_mul = calculator.starter().files[INIT].decode().split("\n").index("def mul(a, b):") + 1
    report = _report(
        calculator,
        ("security", Finding(rule="B1", message="m", file=INIT, line=changed)),
        ("style", Finding(rule="F401", message="unused", file=INIT, line=2)),
        ("complexity", Finding(rule="C1", message="m", file=INIT, line=mul)),
        ("style", Finding(rule="E1", message="m", file="tests/test_calc.py", line=1)),
        ("style", Finding(rule="E2", message="m", file="tests/test_calc.py", line=999)),
        ("tests", Finding(rule="failed", message="m", file="tests/test_expression.py", line=3)),
        ("coverage", Finding(rule="low-coverage", message="m", file=INIT)),
        ("security", Finding(rule="tool", message="m")),
    )
    changes = _compare(calculator, {INIT: source}, report)
    placed = [(p.finding.rule, p.origin, p.starter_line) for p in changes.findings]
    assert placed == [
        ("B1", "introduced", None),
        ("tool", "no_file", None),
        ("F401", "introduced", None),
        ("E1", "inherited", 1),
        ("E2", "outside", None),
        ("C1", "inherited", starter_mul),
        ("failed", "outside", None),
        ("low-coverage", "no_line", None),
    ]
    assert mul == starter_mul + 2
    counts = changes.categories()
    assert counts["security"]["introduced"] == 1
    assert counts["security"]["no_file"] == 1
    assert counts["style"] == {
        "introduced": 1,
        "inherited": 1,
        "no_file": 0,
        "no_line": 0,
        "outside": 1,
        "unknown": 0,
    }
    assert changes.as_json()["categories"] == counts


def test_starter_lines_far_from_any_change_are_inherited(calculator: Challenge) -> None:
    """A finding above the first hunk's context, or below the last one's, is on a starter line
    left alone (difflib's grouping trims its cached opcodes: the line map is taken before)."""
    source = calculator.starter().files[INIT]
    evaluate = b"def evaluate(expression):\n    raise NotImplementedError\n"
    source = source.replace(evaluate, b"def evaluate(expression):\n    return eval(expression)\n")
    lines = source.decode().split("\n")
    assert lines[8] == "    raise NotImplementedError"  # `sub`'s body, far above the change
    report = _report(
        calculator,
        ("coverage", Finding(rule="low-coverage", message="m", file=INIT, line=9)),
        ("style", Finding(rule="D1", message="m", file=INIT, line=1)),
    )
    changes = _compare(calculator, {INIT: source}, report)
    placed = [(p.finding.rule, p.origin, p.starter_line) for p in changes.findings]
    assert placed == [("low-coverage", "inherited", 9), ("D1", "inherited", 1)]


def test_findings_in_added_and_skipped_files(calculator: Challenge) -> None:
    report = _report(
        calculator,
        ("style", Finding(rule="E1", message="m", file="calc/ops.py", line=2)),
        ("style", Finding(rule="E2", message="m", file="calc/ops.py", line=3)),
        ("security", Finding(rule="B1", message="m", file="blob.bin", line=1)),
    )
    files: dict[str, bytes | None] = {"calc/ops.py": b"a = 1\nb = 2\n", "blob.bin": b"\x00\n"}
    changes = _compare(calculator, files, report)
    assert [p.origin for p in changes.findings] == ["introduced", "outside", "unknown"]


def test_a_changed_challenge_version_is_not_diffed(calculator: Challenge) -> None:
    finding = Finding(rule="B1", message="m", file=INIT, line=9)
    report = _report(calculator, ("security", finding), version="sha256:" + "0" * 64)
    changes = _compare(calculator, {INIT: _init(calculator), "NOTES.md": b"# Notes\n"}, report)
    assert changes.starter_version_mismatch
    assert changes.as_json()["starter_version_mismatch"] is True
    assert changes.graded_version == "sha256:" + "0" * 64
    assert changes.starter_version == calculator.version_hash
    assert (changes.files, changes.unchanged) == ((), 0)
    assert [p.origin for p in changes.findings] == ["unknown"]
    assert [(n.path, n.status) for n in changes.notes] == [("NOTES.md", None), ("README.md", None)]


def test_the_graded_version_is_read_from_the_report(calculator: Challenge) -> None:
    report = _report(calculator)
    changes = _compare(calculator, {INIT: _init(calculator)}, report)
    assert changes.graded_version == calculator.version_hash
    assert not changes.starter_version_mismatch
    assert len(changes.files) == 1
    no_version = Report(score=1, categories={})
    assert _compare(calculator, {}, no_version).graded_version is None


def test_notes_and_readme_are_returned_with_their_status(calculator: Challenge) -> None:
    limits = ChangeLimits(max_note_bytes=10)
    files: dict[str, bytes | None] = {"notes.md": b"I fixed <b>it</b> and more"}
    changes = _compare(calculator, files, limits=limits)
    assert [(n.path, n.status, n.text, n.truncated) for n in changes.notes] == [
        ("notes.md", "added", "I fixed <b", True),
        ("README.md", "unchanged", calculator.starter().files["README.md"].decode()[:10], True),
    ]
    edited = _compare(calculator, {"README.md": b"# mine\n"})
    assert [(n.path, n.status, n.text) for n in edited.notes] == [
        ("README.md", "changed", "# mine\n")
    ]


def test_a_missing_final_newline_is_a_visible_change(calculator: Challenge) -> None:
    source = calculator.starter().files[INIT]
    changes = _compare(calculator, {INIT: source.rstrip(b"\n")})
    change = changes.file(INIT)
    assert (change.lines_added, change.lines_removed) == (1, 1)
    (hunk,) = change.page(1)
    added = [line for line in hunk.lines if line.kind == "added"]
    assert [line.eol for line in added] == [False]


@pytest.mark.parametrize(
    "field",
    ["max_file_bytes", "max_file_lines", "max_total_lines", "page_lines", "max_note_bytes"],
)
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ChangeLimits(**{field: 0})
    with pytest.raises(ValueError, match="context"):
        ChangeLimits(context=-1)


def _as_text(hunks: list[Hunk]) -> str:
    marks = {"context": " ", "added": "+", "removed": "-"}
    out = []
    for hunk in hunks:
        out.append(hunk.header + "\n")
        out += [marks[ln.kind] + ln.text + ("\n" if ln.eol else "") for ln in hunk.lines]
    return "".join(out)


def _apply(old: list[str], change: FileChange) -> list[str]:
    """Apply every page's hunks to `old` (lines without newlines), checking each hunk's header."""
    result: list[str] = []
    consumed = 0
    for hunk in (h for page in change.pages for h in page):
        before = hunk.old_start - 1 if hunk.old_count else hunk.old_start
        assert before >= consumed
        result += old[consumed:before]
        consumed = before
        assert hunk.new_start == (len(result) + 1 if hunk.new_count else len(result))
        for line in hunk.lines:
            if line.kind != "added":
                assert old[consumed] == line.text
                consumed += 1
            if line.kind != "removed":
                result.append(line.text)
    return result + old[consumed:]


_LINES = st.lists(st.sampled_from(["a", "b", "c", "", "pass", "x = 1"]), max_size=40)


def _pair(starter: str, submitted: str, page_lines: int) -> FileChange:
    base = load_challenge(CALCULATOR)
    challenge = dataclasses.replace(base, _starter=Snapshot(files={"f.py": starter.encode()}))
    snapshot = Snapshot(files={"f.py": submitted.encode()})
    return compare_to_starter(snapshot, challenge, None, ChangeLimits(page_lines=page_lines)).file(
        "f.py"
    )


@given(old=_LINES, new=_LINES, page_lines=st.integers(1, 12), final_newline=st.booleans())
def test_hunks_are_difflib_and_pages_apply(
    old: list[str], new: list[str], page_lines: int, final_newline: bool
) -> None:
    before = "".join(f"{line}\n" for line in old)
    after = "".join(f"{line}\n" for line in new)
    if not final_newline:
        after += "tail"
    assume(before != after)
    whole = _pair(before, after, 10_000)
    expected = difflib.unified_diff(before.splitlines(True), after.splitlines(True))
    assert _as_text([h for page in whole.pages for h in page]) == "".join(list(expected)[2:])
    paged = _pair(before, after, page_lines)
    assert all(len(h.lines) <= page_lines for page in paged.pages for h in page)
    assert all(sum(len(h.lines) for h in page) <= page_lines for page in paged.pages)
    old_lines = before.split("\n")[:-1]
    assert _apply(old_lines, paged) == after.split("\n")[: -1 if final_newline else None]
