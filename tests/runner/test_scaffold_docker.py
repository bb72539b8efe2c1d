"""The scaffold as a user runs it, in real containers: `takehome challenges new demo --mode ...
--out DIR`, then `takehome --challenges-dir DIR challenges validate demo` passes as written.

The packs declare no dependencies, so they grade in the tools image (the `tools_image` fixture
builds it on a fresh machine) and need no image of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

TAKEHOME = str(Path(sys.executable).parent / "takehome")


def _takehome(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "COLUMNS": "200"}
    if path := os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = path
    return subprocess.run(
        [TAKEHOME, *args], capture_output=True, text=True, env=env, timeout=900, check=False
    )


@pytest.mark.parametrize(
    ("flags", "variant"),
    [
        (("--mode", "service"), "any-name"),
        (("--mode", "unit", "--isolated"), "no-validation"),
        (("--mode", "unit"), "no-validation"),
    ],
    ids=["service", "unit-isolated", "unit-in-process"],
)
def test_a_new_pack_validates_as_written(
    tmp_path: Path, docker_client: object, tools_image: str, flags: tuple[str, ...], variant: str
) -> None:
    del docker_client, tools_image  # the Docker gate and the image the packs grade in
    made = _takehome("challenges", "new", "demo", *flags, "--out", str(tmp_path))
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"wrote {tmp_path / 'demo'}" in made.stdout
    done = _takehome("--challenges-dir", str(tmp_path), "challenges", "validate", "demo")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {
        cells[1].strip(): [cell.strip() for cell in cells]
        for line in done.stdout.splitlines()
        if len(cells := line.split("│")) > 10
    }
    assert set(rows) == {"reference", "starter", f"variant {variant}"}, done.stdout
    assert all("PASS" in cells for cells in rows.values()), rows
    assert float(rows["reference"][2]) >= 90
    assert all(float(score) >= 90 for score in rows["reference"][3:8])  # every category
    assert float(rows["starter"][2]) <= 10
    assert float(rows[f"variant {variant}"][3]) < float(rows["reference"][3])  # loses in tests
    assert rows[f"variant {variant}"][-2].startswith("1 file +")
    assert "3 of 3 expectations hold" in done.stdout
    assert "all expectations hold" in done.stdout
