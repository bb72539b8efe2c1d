"""`takehome challenges variant ID NAME --out DIR`: a variant's full tree, for debugging."""

from __future__ import annotations

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
