"""Exactly the CI gate of docs/ci.md, run: the GitHub Actions workflow's and the GitLab CI job's
commands, read from the page's YAML blocks, against the real service on loopback (fake
pipeline, no Docker) with the environment values substituted."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import xmlschema
import yaml

from api.services import Services
from graders.model import Report
from runner.store.records import create_api_token, create_reviewer
from tests.fakeservice import CALCULATOR

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "ci.md"
JUNIT_XSD = ROOT / "tests" / "fixtures" / "schemas" / "junit-10.xsd"
ARTIFACTS = ["report.json", "junit.xml", "takehome.sarif"]
_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> dict[str, Any]:
    """The page's YAML blocks by the file each names in its first line (`# .gitlab-ci.yml`)."""
    found = {}
    for text in _YAML_BLOCK.findall(PAGE.read_text(encoding="utf-8")):
        first = text.splitlines()[0]
        assert first.startswith("# "), f"a YAML block without its file name: {first!r}"
        found[first.removeprefix("# ")] = yaml.safe_load(text)
    assert set(found) == {".github/workflows/takehome-gate.yml", ".gitlab-ci.yml"}
    return found


def _github() -> tuple[dict[str, str], str]:
    """The workflow's job environment and its gate step's script, with the workflow checked."""
    workflow = _blocks()[".github/workflows/takehome-gate.yml"]
    trigger = workflow[True]  # YAML 1.1 reads the key `on` as true; GitHub does not
    assert trigger == {event: {"paths": ["challenges/**"]} for event in ("push", "pull_request")}
    job = workflow["jobs"]["gate"]
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    assert steps["Install takehome"]["run"] == 'pip install "$TAKEHOME_PACKAGE"'
    gate = steps["Grade the reference solution"]
    assert gate["env"] == {"TAKEHOME_API_TOKEN": "${{ secrets.TAKEHOME_API_TOKEN }}"}
    keep = steps["Keep the report"]
    assert keep["if"] == "always()"
    assert keep["with"]["path"].split() == ARTIFACTS
    return job["env"], gate["run"]


def _gitlab() -> tuple[dict[str, str], str]:
    """The job's variables and its script, with the job checked."""
    job = _blocks()[".gitlab-ci.yml"]["takehome-gate"]
    assert job["rules"] == [{"changes": ["challenges/**/*"]}]
    assert job["before_script"] == ['pip install "$TAKEHOME_PACKAGE"']
    assert job["artifacts"] == {
        "when": "always",
        "paths": ARTIFACTS,
        "reports": {"junit": "junit.xml"},
    }
    return job["variables"], "\n".join(job["script"]) + "\n"


@pytest.fixture
def token(live_server: tuple[str, Services]) -> str:
    _base, svc = live_server
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    return create_api_token(svc.db, "rev@example.com")


def _pack_checkout(into: Path) -> Path:
    """A pack repository's checkout: challenges/calculator/reference."""
    shutil.copytree(CALCULATOR / "reference", into / "challenges" / "calculator" / "reference")
    return into


def _takehome_on_path(into: Path) -> Path:
    """A `bin/takehome` that runs this checkout's code (what `pip install` would put there)."""
    folder = into / "bin"
    folder.mkdir()
    shim = folder / "takehome"
    code = "import sys; from runner.cli import main; sys.argv[0] = 'takehome'; main()"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{code}" "$@"\n')
    shim.chmod(0o755)
    return folder


def _run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub's default shell for `run` (`bash -e -o pipefail`); GitLab's runs the lines the same.
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _artifacts(folder: Path) -> Report:
    """The three files, each parsed as its consumer would; the report."""
    report = Report.from_stored((folder / "report.json").read_text())  # stdout of `--json -`
    xmlschema.XMLSchema(JUNIT_XSD).validate(folder / "junit.xml")
    sarif = json.loads((folder / "takehome.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "takehome"
    for name in ARTIFACTS:
        (folder / name).unlink()
    return report


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_the_documented_gate_fails_below_and_passes_at_the_threshold(
    live_server: tuple[str, Services], token: str, tmp_path: Path, platform: str
) -> None:
    base, _svc = live_server
    variables, script = _github() if platform == "github" else _gitlab()
    assert variables["TAKEHOME_MIN_SCORE"] == "90"
    assert '--url "$TAKEHOME_URL"' in script  # the service is the variable, substituted here
    checkout = _pack_checkout(tmp_path / "checkout")
    env = {
        **variables,
        "TAKEHOME_URL": base,
        "TAKEHOME_API_TOKEN": token,
        "PATH": f"{_takehome_on_path(tmp_path)}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "LC_ALL": os.environ.get("LC_ALL", "C.UTF-8"),
    }

    below = _run(script, checkout, env)
    assert below.returncode == 1, below.stderr
    report = _artifacts(checkout)  # written before the gate failed
    assert report.score < 90
    assert f"score {report.score:.1f} is below the threshold 90 (--min-score)" in below.stderr
    assert "calculator / reference:" in below.stderr  # the human output: not on stdout

    at = _run(script, checkout, {**env, "TAKEHOME_MIN_SCORE": str(report.score)})
    assert at.returncode == 0, at.stderr
    assert _artifacts(checkout).score == report.score
