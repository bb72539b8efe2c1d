"""`takehome grade --repeat K`: K out of 1-10 is a usage error (exit 2, one `error:` line)
before anything is graded or any engine is reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import EXIT_USAGE, cli

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"


@pytest.mark.parametrize("repeat", ["0", "11", "-1"])
def test_repeat_out_of_range_is_a_usage_error(repeat: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["grade", str(CALCULATOR / "reference"), "--challenge", "calculator", "--repeat", repeat],
    )
    assert result.exit_code == EXIT_USAGE
    assert f"error: --repeat must be 1 to 10, got {repeat}" in result.output
    assert "Traceback" not in result.output


def test_repeat_must_be_a_number() -> None:
    result = CliRunner().invoke(
        cli, ["grade", str(CALCULATOR / "reference"), "--challenge", "calculator", "--repeat", "x"]
    )
    assert result.exit_code == EXIT_USAGE
    assert "'x' is not a valid integer" in result.output
