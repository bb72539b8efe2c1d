"""The grading engine end to end in real containers: the calculator challenge must separate its
reference, starter and flawed variants, and every grader must pass its self-check."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from graders import all_graders
from runner.challenge import load_challenge
from runner.pipeline import Pipeline
from runner.validate import validate_challenge
from sandbox.docker import DockerSandbox
from tests.leaks import labelled
from tests.runids import RecordingSandbox

pytestmark = pytest.mark.docker

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"


def test_calculator_validates_in_containers(
    docker_client: docker.DockerClient, docker_sandbox: DockerSandbox, tools_image: str
) -> None:
    challenge = load_challenge(CALCULATOR)
    recording = RecordingSandbox(docker_sandbox)
    pipeline = Pipeline(recording, lambda _c: tools_image, concurrency=2)
    outcomes = {o.name: o for o in validate_challenge(challenge, pipeline)}
    broken = {name: o.problems for name, o in outcomes.items() if not o.ok}
    assert not broken
    reference = outcomes["reference"].report
    assert reference.score == 100.0
    assert reference.provenance["image"]["id"] == docker_sandbox.image_id(tools_image)
    starter = outcomes["starter"].report
    assert starter.score <= 25
    assert starter.categories["tests"].score == pytest.approx(100 / 16)
    insecure = outcomes["variant eval-shortcut"].report.categories["security"]
    assert [(f.rule, f.file, f.line) for f in insecure.findings] == [
        ("B307", "calc/expression.py", 6)
    ]
    assert outcomes["variant untested"].report.categories["coverage"].score == 0.0
    assert recording.run_ids  # every grading's run id was seen
    assert labelled(docker_client, *recording.run_ids) == []  # nothing left behind


@pytest.mark.parametrize("name", sorted(all_graders()))
def test_grader_self_check_in_a_container(
    name: str, docker_sandbox: DockerSandbox, tools_image: str
) -> None:
    all_graders()[name].check(docker_sandbox, tools_image)  # raises GraderCheckFailed if wrong
