"""Service mode wiring with the shipped fake sandbox: what runs where, and with what."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runner.challenge import Challenge, load_challenge
from runner.pipeline import Pipeline
from sandbox import Execution, FakeSandbox, RunSpec

KV = Path(__file__).resolve().parents[1] / "challenges" / "kv-service"


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge(KV)


def _answer(ready: bool, app_exit: int = -1) -> Callable[[RunSpec], Execution]:
    def handler(spec: RunSpec) -> Execution:
        if spec.label == "service.app":
            return Execution(exit_code=app_exit, stdout=b"serving\n", stderr=b"", wall_seconds=1.0)
        if spec.label == "service.ready":
            code = 0 if ready else 1
            return Execution(exit_code=code, stdout=b"", stderr=b"refused", wall_seconds=0.1)
        return Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.1)

    return handler


def test_app_ready_then_probes_run_next_to_it(challenge: Challenge) -> None:
    fake = FakeSandbox(_answer(ready=True))
    report = Pipeline(fake, images=lambda _c: "img").grade(challenge, challenge.reference())
    specs = {s.label: s for s in fake.specs}
    app, ready, probe = specs["service.app"], specs["service.ready"], specs["tests.hidden"]
    assert app.argv == ("python3", "-m", "kv")
    assert app.workdir == "/work/src"
    assert app.env["PORT"] == "8000"
    assert app.env["DATA_DIR"] == "/work/data"
    assert "data" in app.writable_dirs
    assert "src/kv/store.py" in app.files_in
    assert app.network is None  # loopback only
    assert ready.network == probe.network == "container:fake-service"
    assert ready.trusted
    assert "http://127.0.0.1:8000/healthz" in ready.argv
    assert probe.env["APP_URL"] == "http://127.0.0.1:8000"
    # The probes never see a candidate file; the unit-mode steps still do.
    assert not [p for p in probe.files_in if p.startswith("src/")]
    assert "grader/tests/test_probes.py" in probe.files_in
    assert specs["coverage.candidate"].network is None
    assert "src/kv/store.py" in specs["coverage.candidate"].files_in
    assert report.logs == {"app": "serving\n"}
    assert [v.kind.value for v in report.verdicts if v.step.startswith("service")] == []


def test_app_never_ready_skips_the_probes_with_a_verdict(challenge: Challenge) -> None:
    fake = FakeSandbox(_answer(ready=False, app_exit=3))
    report = Pipeline(fake, images=lambda _c: "img").grade(challenge, challenge.reference())
    assert "tests.hidden" not in {s.label for s in fake.specs}
    kinds = {v.kind.value: v.detail for v in report.verdicts}
    assert "refused" in kinds["service_not_ready"]
    assert "status 3" in kinds["service_exited"]
    assert report.categories["tests"].score == 0.0
    assert report.score == 0.0
