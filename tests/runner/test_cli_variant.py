"""`takehome challenges variant ID NAME --out DIR`: a variant's full tree, for debugging."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from click.testing import CliRunner

from runner.challenge import load_challenge
from runner.cli import cli
from runner.intake import snapshot_path

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"
CALCULATOR = CHALLENGES / "calculator"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--challenges-dir", str(CHALLENGES), *args])
    return result.exit_code, result.output


def test_writes_the_reference_with_the_overlay_applied(tmp_path: Path) -> None:
    out = tmp_path / "tree"
    code, output = _invoke(
        "challenges", "variant", "calculator", "eval-shortcut", "--out", str(out)
    )
    assert code == 0, output
    written = snapshot_path(out)
    variant = load_challenge(CALCULATOR).variant("eval-shortcut")
    assert written.digest == variant.snapshot().digest
    reference = snapshot_path(CALCULATOR / "reference")
    assert set(written.files) == set(reference.files)  # the overlay only changes a file
    changed = [p for p in written.files if written.files[p] != reference.files[p]]
    assert changed == ["calc/expression.py"]
    assert b"eval(" in written.files["calc/expression.py"]
    assert "1 file +" in output


def test_a_removed_folder_is_absent_from_the_tree(tmp_path: Path) -> None:
    out = tmp_path / "tree"
    code, output = _invoke("challenges", "variant", "calculator", "untested", "--out", str(out))
    assert code == 0, output
    assert (out / "calc").is_dir()
    assert not (out / "tests").exists()


def test_an_unknown_variant_is_bad_input_and_lists_the_known(tmp_path: Path) -> None:
    code, output = _invoke("challenges", "variant", "calculator", "nope", "--out", str(tmp_path))
    assert code == 3
    assert "unknown variant 'nope'" in output
    assert "eval-shortcut, untested" in output


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    code, output = _invoke(
        "challenges", "variant", "calculator", "untested", "--out", str(tmp_path)
    )
    assert code == 2
    assert "not empty" in output
    assert (tmp_path / "keep.txt").read_text() == "mine\n"


def test_exec_bits_survive_the_round_trip(tmp_path: Path) -> None:
    pack = tmp_path / "calculator"
    shutil.copytree(CALCULATOR, pack)
    script = pack / "variants" / "untested" / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    out = tmp_path / "tree"
    args = ["--challenges-dir", str(tmp_path), "challenges", "variant", "calculator", "untested"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "run.sh").stat().st_mode & 0o111
    assert not (out / "calc" / "expression.py").stat().st_mode & 0o111


def test_a_patch_overlay_writes_the_same_tree_as_the_whole_file(tmp_path: Path) -> None:
    pack = tmp_path / "calculator"
    shutil.copytree(CALCULATOR, pack)
    whole = pack / "variants" / "eval-shortcut" / "calc" / "expression.py"
    before = load_challenge(pack).variant("eval-shortcut")
    reference = (pack / "reference" / "calc" / "expression.py").read_bytes()
    diff = difflib.diff_bytes(
        difflib.unified_diff,
        reference.splitlines(keepends=True),
        whole.read_bytes().splitlines(keepends=True),
        b"a/calc/expression.py",
        b"b/calc/expression.py",
    )
    whole.with_name("expression.py.patch").write_bytes(b"".join(diff))
    whole.unlink()
    out = tmp_path / "tree"
    args = ["--challenges-dir", str(tmp_path), "challenges", "variant", "calculator"]
    result = CliRunner().invoke(cli, [*args, "eval-shortcut", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert snapshot_path(out).digest == before.snapshot().digest
    assert f"{before.diffstat()}" in result.output  # the diffstat of the composed trees


def test_a_bundled_patched_variant_is_written_in_full(tmp_path: Path) -> None:
    bundled = CHALLENGES.parents[1] / "challenges"
    folder = bundled / "django-orm-performance" / "variants" / "n-plus-one"
    assert (folder / "catalog" / "views.py.patch").is_file()
    out = tmp_path / "tree"
    args = ["--challenges-dir", str(bundled), "challenges", "variant", "django-orm-performance"]
    result = CliRunner().invoke(cli, [*args, "n-plus-one", "--out", str(out)])
    assert result.exit_code == 0, result.output
    views = (out / "catalog" / "views.py").read_text()
    assert 'Book.objects.order_by("id")[start : start + PAGE_SIZE]' in views
    assert not (out / "catalog" / "views.py.patch").exists()
    assert "1 file +1 -1" in result.output
