"""Variants as overlays: composition, the checks made as a variant loads, and the diffstat."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner._overlay import DiffStat, compose, diffstat
from runner.challenge import ChallengeError, ManifestError, UnknownVariant, load_challenge
from runner.intake import Snapshot

REFERENCE = {
    "calc/__init__.py": "def add(a, b):\n    return a + b\n",
    "calc/ops.py": "X = 1\n",
    "tests/test_calc.py": "def test_add(): ...\n",
    "tests/test_ops.py": "def test_ops(): ...\n",
    "README.md": "# calc\n",
}


def _pack(root: Path, overlay: dict[str, str], toml: str = 'category = "tests"\n') -> Path:
    files = {
        "challenge.toml": (
            'id = "calc"\ntitle = "Calc"\nversion = "1"\nframework = "python"\nmode = "unit"\n'
        ),
        "README.md": "# brief\n",
        "starter/calc/__init__.py": "",
        "tests/test_hidden.py": "def test_x(): ...\n",
        **{f"reference/{path}": text for path, text in REFERENCE.items()},
        **{f"variants/flawed/{path}": text for path, text in overlay.items()},
        "variants/flawed/variant.toml": toml,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _error(root: Path) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        load_challenge(root).variants()
    return caught.value


def test_the_snapshot_is_the_reference_with_the_overlay_on_top(tmp_path: Path) -> None:
    root = _pack(
        tmp_path / "calc",
        {"calc/__init__.py": "def add(a, b):\n    return a - b\n", "calc/extra.py": "Y = 2\n"},
        'category = "tests"\nremove = ["tests", "README.md"]\n',
    )
    variant = load_challenge(root).variant("flawed")
    snap = variant.snapshot()
    assert dict(snap.files) == {
        "calc/__init__.py": b"def add(a, b):\n    return a - b\n",
        "calc/extra.py": b"Y = 2\n",
        "calc/ops.py": b"X = 1\n",
    }
    assert set(variant.overlay.files) == {"calc/__init__.py", "calc/extra.py"}
    # README.md (1 line), two test files (1 line each), one edited line, one added file.
    assert variant.diffstat() == DiffStat(files=5, added=2, removed=4)


def test_an_overlay_file_identical_to_the_reference_is_refused(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"calc/ops.py": "X = 1\n"})
    error = _error(root)
    assert error.path == root / "variants" / "flawed" / "calc" / "ops.py"
    assert "identical to reference/calc/ops.py" in str(error)


def test_a_copy_with_another_exec_bit_is_a_difference(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"calc/ops.py": "X = 1\n"})
    (root / "variants" / "flawed" / "calc" / "ops.py").chmod(0o755)
    variant = load_challenge(root).variant("flawed")
    assert variant.snapshot().executable == {"calc/ops.py"}
    assert variant.diffstat() == DiffStat(files=1, added=0, removed=0)


def test_a_remove_entry_that_names_nothing_is_refused(tmp_path: Path) -> None:
    toml = 'category = "tests"\nremove = ["tests", "calc/gone.py"]\n'
    root = _pack(tmp_path / "calc", {}, toml)
    error = _error(root)
    assert (error.path, error.field) == (
        root / "variants" / "flawed" / "variant.toml",
        "remove[1]",
    )
    assert "'calc/gone.py' is not a file or folder of reference/" in str(error)


def test_a_prefix_is_not_a_folder(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {}, 'category = "tests"\nremove = ["tests/test_"]\n')
    assert _error(root).field == "remove[0]"


def test_removing_what_the_overlay_holds_is_refused(tmp_path: Path) -> None:
    toml = 'category = "tests"\nremove = ["calc"]\n'
    root = _pack(tmp_path / "calc", {"calc/extra.py": "Y = 2\n"}, toml)
    error = _error(root)
    assert error.field == "remove[0]"
    assert "'calc' removes 'calc/extra.py', which the overlay also holds" in str(error)


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ('remove = ["../reference/calc"]', "remove"),
        ('remove = ["/etc/passwd"]', "remove[0]"),
        ('remove = ["calc/", "tests"]', "remove[0]"),
        ('remove = ["tests", "tests"]', "remove"),
        ("min_score = 60\nmax_score = 50", ""),
        ("max_score = 101", "max_score"),
        ("category_max = -1", "category_max"),
    ],
)
def test_bad_fields_name_the_file_and_field(tmp_path: Path, toml: str, field: str) -> None:
    root = _pack(tmp_path / "calc", {}, f'category = "tests"\n{toml}\n')
    error = _error(root)
    assert error.path == root / "variants" / "flawed" / "variant.toml"
    assert error.field == field


def test_an_overlay_file_where_the_reference_has_a_folder_is_refused(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"tests": "not a folder\n"})
    with pytest.raises(ChallengeError, match="does not compose with reference/") as caught:
        load_challenge(root).variants()
    assert str(caught.value).startswith(f"{root / 'variants' / 'flawed'}: ")


def test_an_unknown_variant_names_the_known(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"calc/extra.py": "Y = 2\n"})
    with pytest.raises(UnknownVariant, match=r"unknown variant 'nope' \(known: flawed\)"):
        load_challenge(root).variant("nope")


def test_compose_keeps_exec_bits_of_kept_files_only() -> None:
    reference = Snapshot(
        files={"run.sh": b"#!/bin/sh\n", "tool.sh": b"#!/bin/sh\n", "a.py": b""},
        executable=frozenset({"run.sh", "tool.sh"}),
    )
    overlay = Snapshot(files={"tool.sh": b"#!/bin/sh\necho\n"})
    composed = compose(reference, overlay, ("run.sh",))
    assert set(composed.files) == {"tool.sh", "a.py"}
    assert composed.executable == frozenset()  # the overlay's tool.sh is not executable


def test_diffstat_counts_binary_files_without_lines() -> None:
    before = Snapshot(files={"a.bin": b"\xff\x00", "b.txt": b"one\ntwo\n"})
    after = Snapshot(files={"a.bin": b"\xfe\x00", "b.txt": b"one\nthree\nfour\n"})
    assert diffstat(before, after) == DiffStat(files=2, added=2, removed=1)
    assert str(DiffStat(1, 3, 0)) == "1 file +3 -0"
    assert str(DiffStat(2, 0, 5)) == "2 files +0 -5"


OPS = "calc/ops.py"
OPS_PATCH = "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1 +1,2 @@\n-X = 1\n+X = 2\n+Y = 3\n"


def test_a_patch_is_applied_to_the_reference_file_at_its_path(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"calc/ops.py.patch": OPS_PATCH})
    variant = load_challenge(root).variant("flawed")
    assert dict(variant.snapshot().files) == {
        **{path: text.encode() for path, text in REFERENCE.items()},
        OPS: b"X = 2\nY = 3\n",
    }
    assert set(variant.overlay.files) == {OPS}  # the overlay holds the patched file, not the patch
    assert variant.diffstat() == DiffStat(files=1, added=2, removed=1)


def test_a_patched_file_keeps_the_reference_s_exec_bit(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"calc/ops.py.patch": OPS_PATCH})
    (root / "reference" / OPS).chmod(0o755)
    assert load_challenge(root).variant("flawed").snapshot().executable == {OPS}


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        (
            OPS_PATCH.replace("-X = 1", "-X = 0"),
            "line 4",
            "hunk 1: line 1 of calc/ops.py is 'X = 1', the patch expects 'X = 0'",
        ),
        (OPS_PATCH.replace("@@ -1 +1,2 @@", "@@ -1 +1,3 @@"), "line 6", "hunk 1 ends early"),
        (OPS_PATCH.replace("a/calc/ops.py", "a/calc/other.py"), "line 1", "'a/calc/other.py'"),
        ("X = 2\n", "line 1", "expected a header '--- a/calc/ops.py', found 'X = 2'"),
    ],
)
def test_a_patch_that_does_not_apply_names_the_patch_and_its_line(
    tmp_path: Path, patch: str, field: str, message: str
) -> None:
    root = _pack(tmp_path / "calc", {"calc/ops.py.patch": patch})
    error = _error(root)
    assert error.path == root / "variants" / "flawed" / "calc" / "ops.py.patch"
    assert error.field == field
    assert message in error.message
    assert str(error).startswith(f"{error.path}: {field}: ")


def test_a_patch_that_leaves_the_file_unchanged_is_refused(tmp_path: Path) -> None:
    patch = "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1 +1 @@\n-X = 1\n+X = 1\n"
    root = _pack(tmp_path / "calc", {"calc/ops.py.patch": patch})
    error = _error(root)
    assert error.path == root / "variants" / "flawed" / "calc" / "ops.py.patch"
    assert error.message == "leaves reference/calc/ops.py unchanged (delete the patch)"


def test_a_patch_of_a_file_the_reference_does_not_have_is_refused(tmp_path: Path) -> None:
    patch = OPS_PATCH.replace("ops.py", "gone.py")
    root = _pack(tmp_path / "calc", {"calc/gone.py.patch": patch})
    error = _error(root)
    assert error.path == root / "variants" / "flawed" / "calc" / "gone.py.patch"
    assert "patches 'calc/gone.py', which is not a file of reference/" in error.message
    assert "`literal`" in error.message  # how to ship a file that really ends in .patch


def test_a_patch_beside_the_whole_file_is_refused(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"calc/ops.py.patch": OPS_PATCH, OPS: "X = 5\n"})
    error = _error(root)
    assert error.path == root / "variants" / "flawed" / "calc" / "ops.py.patch"
    assert "the overlay also holds 'calc/ops.py' whole" in error.message


def test_an_executable_patch_is_refused(tmp_path: Path) -> None:
    root = _pack(tmp_path / "calc", {"calc/ops.py.patch": OPS_PATCH})
    (root / "variants" / "flawed" / "calc" / "ops.py.patch").chmod(0o755)
    assert "a patch keeps the reference's exec bit" in _error(root).message


@pytest.mark.parametrize("entry", ["calc/ops.py", "calc"])
def test_removing_what_a_patch_patches_is_refused(tmp_path: Path, entry: str) -> None:
    toml = f'category = "tests"\nremove = ["{entry}"]\n'
    root = _pack(tmp_path / "calc", {"calc/ops.py.patch": OPS_PATCH}, toml)
    error = _error(root)
    assert (error.path.name, error.field) == ("variant.toml", "remove[0]")
    assert f"{entry!r} removes 'calc/ops.py', which the overlay also holds" in error.message


def test_a_literal_patch_file_is_shipped_as_it_is(tmp_path: Path) -> None:
    notes = "--- a/calc/gone.py\n+++ b/calc/gone.py\n@@ -1 +1 @@\n-a\n+b\n"
    overlay = {"docs/fix.patch": notes, "calc/ops.py.patch": OPS_PATCH}
    toml = 'category = "tests"\nliteral = ["docs/fix.patch"]\n'
    variant = load_challenge(_pack(tmp_path / "calc", overlay, toml)).variant("flawed")
    files = variant.snapshot().files
    assert files["docs/fix.patch"] == notes.encode()  # not applied: there is no docs/fix
    assert files[OPS] == b"X = 2\nY = 3\n"  # the other .patch file still is a patch
    assert variant.manifest.literal == ("docs/fix.patch",)


@pytest.mark.parametrize("entry", ["calc/ops.py.patch", "calc/extra.py", "docs/none.patch"])
def test_a_literal_entry_must_name_a_patch_file_of_the_variant(tmp_path: Path, entry: str) -> None:
    overlay = {"calc/extra.py": "Y = 2\n"}
    root = _pack(tmp_path / "calc", overlay, f'category = "tests"\nliteral = ["{entry}"]\n')
    error = _error(root)
    assert (error.path.name, error.field) == ("variant.toml", "literal[0]")
    assert error.message == f"{entry!r} is not a .patch file of this variant"


@pytest.mark.parametrize("toml", ['literal = ["../x.patch"]', 'literal = ["a.patch", "a.patch"]'])
def test_literal_entries_are_relative_and_listed_once(tmp_path: Path, toml: str) -> None:
    root = _pack(tmp_path / "calc", {}, f'category = "tests"\n{toml}\n')
    assert _error(root).field == "literal"
