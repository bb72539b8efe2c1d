"""The composition root: one queue configuration, one lazily built pipeline, self-checks."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from runner.celery_app import RunGrader
from runner.pipeline import Pipeline
from runner.settings import Settings
from runner.wiring import GraderChecksFailed, Wiring, check_graders, checked
from sandbox import EngineUnavailable, Execution, FakeSandbox
from tests.failing_grader import NAME, REASON, register_failing_grader
from tests.hostsandbox import HostSandbox

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        challenge_dirs=[CHALLENGES],
        lease_seconds=42.0,
        max_attempts=5,
        queue_limit=7,
        queue_limit_per_challenge=3,
        retry_after_seconds=11,
    )


def _fake(_settings: Settings) -> Pipeline:
    sandbox = FakeSandbox(lambda _spec: Execution(0, b"", b"", 0.0))
    return Pipeline(sandbox, images=lambda _c: "img", concurrency=1)


def test_every_process_builds_the_queue_from_the_same_settings(settings: Settings) -> None:
    wiring = Wiring(settings, _fake)
    queue = wiring.queue
    assert (queue.lease.total_seconds(), queue.max_attempts) == (42.0, 5)
    assert (queue.limit, queue.limit_per_challenge, queue.retry_after) == (7, 3, 11)
    grader = RunGrader(wiring)  # the Celery worker's state is the wiring's, not a copy
    assert grader.queue is queue
    assert grader.settings is settings
    wiring.close()


def test_parts_are_made_on_first_use(settings: Settings) -> None:
    wiring = Wiring(settings, _fake)
    assert [c.id for c in wiring.challenges] == ["calculator", "kv-service"]
    assert not settings.data_dir.exists()  # no database until one is asked for
    assert wiring.db is wiring.db
    assert (settings.data_dir / "takehome.db").is_file()
    wiring.close()


def test_the_pipeline_is_built_once_for_all_threads(settings: Settings) -> None:
    calls: list[int] = []
    started = threading.Barrier(4)

    def factory(s: Settings) -> Pipeline:
        calls.append(1)
        return _fake(s)

    wiring = Wiring(settings, factory)
    assert wiring.pipeline_state() == "pending"
    built: list[Pipeline] = []

    def use() -> None:
        started.wait()
        built.append(wiring.pipeline())

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len({id(p) for p in built}) == 1
    assert wiring.pipeline_state() == "ok"


def test_a_failed_check_is_remembered_and_other_failures_are_not(settings: Settings) -> None:
    outcomes: list[Exception] = [
        EngineUnavailable("no engine"),
        GraderChecksFailed({NAME: REASON}),
    ]
    calls: list[int] = []

    def factory(_s: Settings) -> Pipeline:
        calls.append(1)
        raise outcomes.pop(0)

    wiring = Wiring(settings, factory)
    with pytest.raises(EngineUnavailable):
        wiring.pipeline()
    assert wiring.pipeline_state() == "pending"  # Docker may come back: try again next time
    for _ in range(2):
        with pytest.raises(GraderChecksFailed, match=f"no runs are taken \\({NAME}: "):
            wiring.pipeline()
    assert len(calls) == 2  # the failed check is not run again: the process stays out
    assert wiring.pipeline_state() == f"failed: {NAME}"


@pytest.fixture
def host_sandbox(tmp_path_factory: pytest.TempPathFactory) -> HostSandbox:
    """The real pinned tools on the host (a folder whose name the tools do not take for tests)."""
    return HostSandbox(tmp_path_factory.mktemp("hostsandbox"))


def test_checks_run_every_registered_grader_and_name_the_failing_one(
    monkeypatch: pytest.MonkeyPatch, host_sandbox: HostSandbox
) -> None:
    register_failing_grader(monkeypatch)
    with pytest.raises(GraderChecksFailed) as failed:
        checked(_fake(Settings()), host_sandbox, "takehome/python:test")
    assert failed.value.failures == {NAME: REASON}  # the built-ins' checks passed
    labels = {spec.label.split(".")[0] for spec in host_sandbox.specs}
    assert labels == {"tests", "coverage", "style", "complexity", "security"}
    assert check_graders(FakeSandbox(lambda _spec: Execution(0, b"", b"", 0.0)), "img").keys() == {
        "tests",
        "coverage",
        "style",
        "complexity",
        "security",
        NAME,
    }  # a sandbox that runs nothing: every check fails, and each is named


def test_checked_hands_out_the_pipeline_when_every_check_passes(
    host_sandbox: HostSandbox,
) -> None:
    pipeline = _fake(Settings())
    assert checked(pipeline, host_sandbox, "takehome/python:test") is pipeline
