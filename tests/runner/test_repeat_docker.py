"""`--repeat` in real containers: a hidden test that fails on the second run only (it reads
`TAKEHOME_RUN`) is reported flaky and scored by that run, in each way hidden tests run: isolated
unit mode (a fresh call server each run), in-process unit mode (a fresh container each run) and
service mode (a freshly started app each run, so probes that store data stay stable)."""

from __future__ import annotations

import shutil
from pathlib import Path

import docker
import pytest

from graders.model import Report, TestOutcome, VerdictKind
from runner.challenge import Challenge, load_challenge
from runner.pipeline import Pipeline
from sandbox.docker import LABEL_RUN, DockerSandbox

pytestmark = pytest.mark.docker

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"
P, F = TestOutcome.PASSED, TestOutcome.FAILED
_FLAKY = b"""\
import os


def test_fails_on_run_two():
    assert os.environ.get("TAKEHOME_RUN", "1") != "2", "the second run fails"
"""
FLAKY_ID = "tests/test_flaky.py::test_fails_on_run_two"


@pytest.fixture
def pipeline(docker_sandbox: DockerSandbox, tools_image: str) -> Pipeline:
    return Pipeline(docker_sandbox, lambda _c: tools_image, concurrency=2)


def _with_flaky_test(tmp_path: Path, name: str, *, in_process: bool = False) -> Challenge:
    """A copy of a test challenge with one more hidden test, `test_fails_on_run_two`."""
    root = tmp_path / name
    shutil.copytree(CHALLENGES / name, root)
    (root / "tests" / "test_flaky.py").write_bytes(_FLAKY)
    if in_process:
        manifest = root / "challenge.toml"
        manifest.write_text(manifest.read_text().replace('isolation = "isolated"', ""))
    return load_challenge(root)


def _left_behind(client: docker.DockerClient, run_id: str) -> list[str]:
    """The run's containers still there (by its label: other gradings may share the engine)."""
    label: dict[str, str | list[str] | bool] = {"label": f"{LABEL_RUN}={run_id}"}
    return [str(c.name) for c in client.containers.list(all=True, filters=label)]


def _check_flaky(report: Report, repeat: int) -> None:
    tests = report.categories["tests"]
    runs = {t.id: t.runs for t in tests.tests}
    flaky_runs = (P, F, *(P,) * (repeat - 2))
    assert runs.pop(FLAKY_ID) == flaky_runs
    assert set(runs.values()) == {(P,) * repeat}  # every other test passed every run
    flaky = [v for v in tests.verdicts if v.kind is VerdictKind.FLAKY_TEST]
    assert [v.detail.split(": ", 1)[0] for v in flaky] == [FLAKY_ID]
    assert flaky[0] in report.verdicts
    case = next(t for t in tests.tests if t.id == FLAKY_ID)
    assert case.outcome is F
    assert "the second run fails" in case.message
    assert tests.metrics["flaky"] == 1.0
    assert tests.metrics["passed"] == len(tests.tests) - 1
    assert report.provenance["repeat"] == repeat
    steps = report.provenance["timings"]["steps"]
    assert {f"tests.hidden.{i}" for i in range(2, repeat + 1)} <= set(steps)


def test_isolated_calculator_three_runs(
    pipeline: Pipeline, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    challenge = _with_flaky_test(tmp_path, "calculator")
    report = pipeline.grade(challenge, challenge.reference(), "repeat-isolated", repeat=3)
    _check_flaky(report, 3)
    # 17 hidden-test points (two tests weigh 2): the flaky one's point is lost.
    assert report.categories["tests"].score == pytest.approx(100 * 16 / 17)
    assert _left_behind(docker_client, "repeat-isolated") == []


def test_in_process_calculator_two_runs(pipeline: Pipeline, tmp_path: Path) -> None:
    challenge = _with_flaky_test(tmp_path, "calculator", in_process=True)
    report = pipeline.grade(challenge, challenge.reference(), repeat=2)
    _check_flaky(report, 2)
    kinds = {v.kind for v in report.categories["tests"].verdicts}
    assert VerdictKind.FORGERY_DETECTED not in kinds  # each run's canaries held


def test_service_mode_restarts_the_app_for_each_run(
    pipeline: Pipeline, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    # `test_put_then_get` expects 201 (created): against an app kept from the first run it
    # would get 200 and look flaky. Each run gets a fresh app, so only the planted test is.
    challenge = _with_flaky_test(tmp_path, "kv-service")
    report = pipeline.grade(challenge, challenge.reference(), "repeat-service", repeat=2)
    _check_flaky(report, 2)
    assert "service.ready.2" in report.provenance["timings"]["steps"]
    assert not [v for v in report.verdicts if v.kind is VerdictKind.SERVICE_NOT_READY]
    assert _left_behind(docker_client, "repeat-service") == []


def test_one_run_has_no_run_outcomes(pipeline: Pipeline, tmp_path: Path) -> None:
    challenge = _with_flaky_test(tmp_path, "calculator")
    report = pipeline.grade(challenge, challenge.reference())
    assert '"runs"' not in report.to_json()
    assert "repeat" not in report.provenance
    assert report.categories["tests"].score == 100.0
