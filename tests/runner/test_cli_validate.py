"""`takehome challenges validate` as a user runs it, in real containers: the table and exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"
TAKEHOME = str(Path(sys.executable).parent / "takehome")


def test_a_broken_band_fails_the_run_and_the_table_says_where(
    tmp_path: Path, docker_client: object, tools_image: str
) -> None:
    del docker_client, tools_image  # the Docker gate and the image the calculator grades in
    packs = tmp_path / "packs"
    shutil.copytree(CALCULATOR, packs / "calculator")
    banded = packs / "calculator" / "variants" / "untested" / "variant.toml"
    banded.write_text(banded.read_text() + "max_score = 1\n")  # no solution scores that low
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "COLUMNS": "200"}
    if path := os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = path
    done = subprocess.run(
        [TAKEHOME, "--challenges-dir", str(packs), "challenges", "validate", "calculator"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    rows = {
        cells[1].strip(): cells
        for line in done.stdout.splitlines()
        if len(cells := line.split("│")) > 10
    }
    assert {"reference", "starter", "variant eval-shortcut", "variant untested"} <= set(rows)
    for name in ("reference", "starter", "variant eval-shortcut"):
        assert "PASS" in "".join(rows[name]), rows[name]
    untested = "".join(rows["variant untested"])
    assert "FAIL" in untested
    assert "total 0-1" in untested
    assert "1 file +0 -" in untested  # its tests/ folder is removed
    assert "3 of 4 expectations hold" in done.stdout
    assert "FAIL variant untested: total" in done.stdout
    assert "1 expectation(s) broken" in done.stderr
