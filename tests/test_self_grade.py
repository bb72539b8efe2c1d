"""The project's own code, graded by its own static graders in real containers.

A founding rule: takehome's code must score as well as the best candidate would. This keeps the
rule honest: a regression in style, complexity or security findings fails the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import ComplexityGrader, SecurityGrader, StyleGrader
from runner.challenge import load_challenge
from runner.intake import Snapshot
from runner.pipeline import Pipeline
from sandbox.docker import DockerSandbox

ROOT = Path(__file__).resolve().parents[1]
# Floors a little under what the code scores today (see docs/development.md, "Grading ourselves").
FLOORS = {"style": 95.0, "complexity": 90.0, "security": 75.0}


@pytest.mark.docker
def test_our_code_scores_high_on_our_own_graders(
    docker_sandbox: DockerSandbox, tools_image: str
) -> None:
    files = {
        path.relative_to(ROOT).as_posix(): path.read_bytes()
        for package in ("api", "runner", "graders", "sandbox")
        for path in (ROOT / package).rglob("*.py")
    }
    challenge = load_challenge(ROOT / "tests" / "challenges" / "calculator")
    graders = [StyleGrader(), ComplexityGrader(), SecurityGrader()]
    pipeline = Pipeline(docker_sandbox, lambda _c: tools_image, graders=graders)
    report = pipeline.grade(challenge, Snapshot(files=files))
    scores = {name: result.score for name, result in report.categories.items()}
    assert {n: s for n, s in scores.items() if s < FLOORS[n]} == {}, report.to_json()[:4000]
