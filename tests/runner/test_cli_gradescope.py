"""`takehome grade --gradescope FILE` for real (Docker), and the exports of the report it grades:
Gradescope's results.json and the JUnit XML against junit-10.xsd."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema

from graders.model import Report
from runner.challenge import load_challenge, write_tree
from runner.junit import report_junit

ROOT = Path(__file__).resolve().parents[2]
CHALLENGES = ROOT / "tests" / "challenges"
JUNIT_XSD = ROOT / "tests" / "fixtures" / "schemas" / "junit-10.xsd"
TAKEHOME = str(Path(sys.executable).parent / "takehome")


def _pythonpath() -> dict[str, str]:
    # A worktree run (PYTHONPATH pointing at it) grades with that tree's code.
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": path} if path else {}


@pytest.mark.docker
def test_grade_writes_gradescope_results(tmp_path: Path, docker_client: object) -> None:
    results_path, report_path = tmp_path / "results.json", tmp_path / "report.json"
    tree = tmp_path / "eval-shortcut"  # the variant's full tree: reference + overlay
    write_tree(load_challenge(CHALLENGES / "calculator").variant("eval-shortcut").snapshot(), tree)
    done = subprocess.run(
        [
            TAKEHOME,
            "--challenges-dir",
            str(CHALLENGES),
            "grade",
            str(tree),
            "--challenge",
            "calculator",
            "--json",
            str(report_path),
            "--gradescope",
            str(results_path),
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **_pythonpath()},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = Report.from_stored(report_path.read_text())
    results = json.loads(results_path.read_text())
    assert results["score"] == report.score
    hidden = [t for t in results["tests"] if "hidden-test" in t["tags"]]
    cases = report.categories["tests"].tests
    assert [t["name"] for t in hidden] == [c.id for c in cases]
    assert sum(t["score"] for t in hidden) == sum(c.points for c in cases if c.outcome == "passed")
    assert {t["visibility"] for t in results["tests"]} == {"visible"}  # calculator: `scores`
    # The same real report as JUnit: valid against the schema pytest's own suite uses.
    xmlschema.XMLSchema(JUNIT_XSD).validate(report_junit(report))


@pytest.mark.docker
def test_grade_as_a_gate_writes_its_files_then_fails_below_the_threshold(
    tmp_path: Path, docker_client: object
) -> None:
    """`takehome grade` with the gate options (docs/ci.md): the exports rendered locally, the
    report JSON alone on stdout, exit 1 below `--min-score`."""
    junit_path, sarif_path = tmp_path / "junit.xml", tmp_path / "takehome.sarif"
    done = subprocess.run(
        [
            TAKEHOME,
            "--challenges-dir",
            str(CHALLENGES),
            "grade",
            str(CHALLENGES / "calculator" / "starter"),
            "--challenge",
            "calculator",
            "--min-score",
            "90",
            "--json",
            "-",
            "--junit",
            str(junit_path),
            "--sarif",
            str(sarif_path),
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **_pythonpath()},
        timeout=600,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    report = Report.from_stored(done.stdout)  # nothing but the report on stdout
    assert report.score < 90
    assert f"score {report.score:.1f} is below the threshold 90 (--min-score)" in done.stderr
    assert "starter:" in done.stderr  # the summary table went to stderr
    xmlschema.XMLSchema(JUNIT_XSD).validate(junit_path)
    assert junit_path.read_text() == report_junit(report, name="starter")
    sarif = json.loads(sarif_path.read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["tool"]["driver"]["version"]
