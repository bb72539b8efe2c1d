"""The pipeline end to end on the calculator challenge, with the real tools on the host.

`HostSandbox` runs the same argv as the Docker sandbox with the same pinned tools, so these tests
check the pipeline's wiring and the challenge's expectations quickly; the Docker-marked twin in
test_pipeline_docker.py proves the same in real containers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.model import CATEGORIES, Report
from runner.challenge import Challenge, load_challenge
from runner.pipeline import Pipeline
from sandbox import Execution, FakeSandbox, RunSpec, SandboxFailure
from tests.hostsandbox import HostSandbox

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge(CALCULATOR)


@pytest.fixture
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    sandbox = HostSandbox(tmp_path_factory.mktemp("hostrun"))
    return Pipeline(sandbox, images=lambda _c: "takehome-tools:host", concurrency=2)


@pytest.mark.slow
def test_reference_scores_full_marks(pipeline: Pipeline, challenge: Challenge) -> None:
    report = pipeline.grade(challenge, challenge.reference(), run_id="run-ref")
    assert set(report.categories) == set(CATEGORIES)
    assert report.score == 100.0
    tests = report.categories["tests"]
    assert len(tests.tests) == 14
    assert all(t.outcome.value == "passed" for t in tests.tests)
    assert report.verdicts == ()
    prov = report.provenance
    assert prov["run_id"] == "run-ref"
    assert prov["challenge"]["id"] == "calculator"
    assert prov["challenge"]["version_hash"] == challenge.version_hash
    assert prov["snapshot"] == challenge.reference().digest
    # The calculator's hidden tests are isolated: the call server's readiness check runs first.
    assert set(prov["timings"]["steps"]) == {
        "service.ready",
        "tests.hidden",
        "coverage.candidate",
        "style.ruff",
        "complexity.cc",
        "complexity.mi",
        "security.bandit",
    }
    assert prov["tools"]["style"] == "ruff 0.17.5"


@pytest.mark.slow
def test_starter_scores_low(pipeline: Pipeline, challenge: Challenge) -> None:
    report = pipeline.grade(challenge, challenge.starter())
    tests = {t.id: t.outcome.value for t in report.categories["tests"].tests}
    assert tests["tests/test_operations.py::test_add"] == "passed"
    assert tests["tests/test_expression.py::test_precedence"] == "failed"
    # 1 of 16 points: the quality categories are gated by that.
    assert report.categories["tests"].score == pytest.approx(100 / 16)
    assert report.categories["style"].score == 100.0
    assert report.categories["style"].counted_score == pytest.approx(100 / 16)
    assert report.score <= 25


@pytest.mark.slow
def test_each_variant_loses_in_its_category(pipeline: Pipeline, challenge: Challenge) -> None:
    reference = pipeline.grade(challenge, challenge.reference())
    variants = {v.name: v for v in challenge.variants()}
    assert set(variants) == {"eval-shortcut", "untested"}
    insecure = pipeline.grade(challenge, variants["eval-shortcut"].snapshot())
    (finding,) = insecure.categories["security"].findings
    assert (finding.rule, finding.file, finding.line) == ("B307", "calc/expression.py", 6)
    assert insecure.categories["security"].score < reference.categories["security"].score
    untested = pipeline.grade(challenge, variants["untested"].snapshot())
    assert untested.categories["coverage"].score == 0.0
    assert untested.categories["tests"].score == 100.0


@pytest.mark.slow
def test_progress_reports_every_step(pipeline: Pipeline, challenge: Challenge) -> None:
    seen: list[tuple[str, str]] = []
    pipeline.grade(challenge, challenge.reference(), progress=lambda s, e: seen.append((s, e)))
    assert sorted(seen) == sorted(
        (label, event)
        for label in (
            "service.ready",
            "tests.hidden",
            "coverage.candidate",
            "style.ruff",
            "complexity.cc",
            "complexity.mi",
            "security.bandit",
        )
        for event in ("started", "finished")
    )


def test_candidate_code_steps_start_first(challenge: Challenge) -> None:
    def ok(spec: RunSpec) -> Execution:
        return Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.0)

    fake = FakeSandbox(ok)
    report = Pipeline(fake, images=lambda _c: "img", concurrency=1).grade(
        challenge, challenge.reference()
    )
    labels = [s.label for s in fake.specs]
    # The calculator's hidden tests are isolated: the call server starts and is checked first.
    assert labels[:4] == ["service.app", "service.ready", "tests.hidden", "coverage.candidate"]
    # No tool output at all: every category says so instead of raising.
    assert isinstance(report, Report)
    assert report.score == 0.0
    assert {v.kind.value for v in report.verdicts} <= {
        "no_results",
        "tool_error",
        "tests_incomplete",
        "service_exited",  # the fake's call server "exits" with status 0 when stopped
    }
    assert report.verdicts


def test_infrastructure_failure_propagates(challenge: Challenge) -> None:
    def broken(spec: RunSpec) -> Execution:
        raise SandboxFailure("engine went away")

    pipeline = Pipeline(FakeSandbox(broken), images=lambda _c: "img")
    with pytest.raises(SandboxFailure, match="engine went away"):
        pipeline.grade(challenge, challenge.reference())


def test_isolated_hidden_tests_never_meet_the_candidates_files(challenge: Challenge) -> None:
    def ok(spec: RunSpec) -> Execution:
        return Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.0)

    fake = FakeSandbox(ok)
    Pipeline(fake, images=lambda _c: "img", concurrency=1).grade(challenge, challenge.reference())
    specs = {s.label: s for s in fake.specs}
    server, hidden = specs["service.app"], specs["tests.hidden"]
    # The candidate's container: its files and the call server, no hidden test, no grader ini.
    assert {p for p in server.files_in if not p.startswith("src/")} == {
        "grader/lib/takehome_oracle.py"
    }
    assert server.argv[1:] == ("-I", "/work/grader/lib/takehome_oracle.py", "serve")
    # The trusted container: hidden tests and the oracle library, no candidate file, and the
    # call server's loopback as its only network.
    assert not [p for p in hidden.files_in if p.startswith("src/")]
    assert "grader/tests/test_expression.py" in hidden.files_in
    assert hidden.network == "container:fake-service"
    port = server.env["PORT"]
    assert hidden.env["TAKEHOME_ORACLE_URL"] == f"http://127.0.0.1:{port}"
