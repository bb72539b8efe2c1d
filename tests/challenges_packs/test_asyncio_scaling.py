"""The `asyncio-scaling` pack (service mode under load): manifest, probes, expectations."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import docker
import pytest

from graders import discover_test_ids
from runner.challenge import Challenge, load_challenge
from runner.engine import open_engine
from runner.settings import Settings
from runner.validate import validate_challenge

PACK = Path(__file__).resolve().parents[2] / "challenges" / "asyncio-scaling"

PROBES = {
    "tests/test_contract.py::test_dashboard_matches_upstreams": 1.0,
    "tests/test_contract.py::test_unknown_user_is_404": 0.5,
    "tests/test_contract.py::test_fan_out_is_parallel": 1.0,
    "tests/test_contract.py::test_event_loop_stays_responsive": 1.0,
    "tests/test_contract.py::test_upstream_caps_respected": 2.0,
    "tests/test_contract.py::test_identical_requests_coalesced": 2.5,
    "tests/test_load.py::test_load_25_per_second": 1.0,
    "tests/test_load.py::test_load_50_per_second": 1.5,
    "tests/test_load.py::test_load_100_per_second": 3.5,
    "tests/test_load.py::test_load_realistic_50_per_second": 2.5,
    "tests/test_load.py::test_load_realistic_100_per_second": 5.5,
    "tests/test_resilience.py::test_transient_failures_retried": 1.5,
    "tests/test_resilience.py::test_optional_upstream_down_degrades": 1.5,
    "tests/test_resilience.py::test_profile_down_is_502": 0.5,
    "tests/test_resilience.py::test_hanging_upstream_times_out": 1.5,
    "tests/test_resilience.py::test_malformed_answer_is_never_500": 1.5,
}
# Where the points are (REVIEWER.md "Scoring rationale"): the load stages, whose credit needs
# every cap held, are about half; the caps burst and the load stages together must outweigh
# everything else a cap-breaking server can still pass, so that it lands at or under 45.
LOAD = {test_id: pts for test_id, pts in PROBES.items() if "test_load.py" in test_id}
CAP_FREE = {  # what a server that ignores the caps can still pass
    test_id: pts
    for test_id, pts in PROBES.items()
    if test_id not in LOAD and not test_id.endswith("test_upstream_caps_respected")
}
VARIANTS = {
    "blocking-client": "tests",
    "just-meets-stage": "tests",
    "no-coalescing": "tests",
    "no-coalescing-malformed-500": "tests",
    "no-degradation": "tests",
    "no-retries": "tests",
    "no-timeouts": "tests",
    "thread-pool": "tests",
    "unbounded-concurrency": "tests",
}
BANDS = {  # variant: (min_score, max_score) overall, as variant.toml states them
    "blocking-client": (None, 45.0),
    "thread-pool": (None, 45.0),
    "no-coalescing-malformed-500": (None, 88.0),
    "just-meets-stage": (55.0, 90.0),
}


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge(PACK)


def test_manifest_loads(challenge: Challenge) -> None:
    manifest = challenge.manifest
    assert manifest.id == "asyncio-scaling"
    assert manifest.mode == "service"
    assert manifest.service is not None
    assert manifest.service.command == ("/opt/takehome/bin/python", "-m", "dashboard")
    assert manifest.service.health_path == "/healthz"
    assert any(req.startswith("aiohttp==") for req in manifest.dependencies.allowed)
    # One CPU each for the app and the probes; the wall limit covers a bad server's repeated
    # load attempts on a busy host (a good one takes about 35 s), and no more.
    assert manifest.limits.cpus == 1.0
    assert manifest.limits.wall_seconds is not None
    assert manifest.limits.wall_seconds <= 300
    assert manifest.tests.points == PROBES


def test_probe_ids(challenge: Challenge) -> None:
    hidden = challenge.hidden_tests()
    assert {"upstreams.py", "probe.py"} <= set(hidden)
    assert discover_test_ids(hidden) == tuple(PROBES)


def test_variants_name_their_category(challenge: Challenge) -> None:
    assert {v.name: v.manifest.category for v in challenge.variants()} == VARIANTS
    assert all(v.manifest.reason for v in challenge.variants())


def test_variant_bands(challenge: Challenge) -> None:
    bands = {v.name: (v.manifest.min_score, v.manifest.max_score) for v in challenge.variants()}
    assert {name: bands[name] for name in BANDS} == BANDS


@pytest.fixture
def load_probes(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The pack's `tests/test_load.py`, imported as the probe run imports it."""
    monkeypatch.syspath_prepend(str(PACK / "tests"))
    for name in ("probe", "upstreams"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    spec = importlib.util.spec_from_file_location(
        "pack_test_load", PACK / "tests" / "test_load.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    for name in ("probe", "upstreams"):
        sys.modules.pop(name, None)


def _stage(count: int, errors: int) -> Any:
    """A finished stage (the `probe` module is the one `load_probes` imported)."""
    stage = sys.modules["probe"].Stage(rate=100, count=count, errors=["wrong"] * errors)
    stage.latencies = [0.1] * (count - errors)
    return stage


def test_a_load_stage_is_measured_again_only_while_it_can_gain(load_probes: ModuleType) -> None:
    settled, stage = load_probes._settled, _stage(400, 0)
    assert settled([1.0], stage)  # full credit: nothing to gain
    assert not settled([0.3], stage)  # short of it: measure again
    assert not settled([0.3, 0.5], stage)  # attempts disagree: once more
    assert settled([0.3, 0.33], stage)  # two attempts agree within 0.05
    assert settled([0.0], _stage(400, 200))  # half wrong or missing: not borderline
    assert not settled([0.0], _stage(400, 199))
    starved = _stage(400, 400)
    starved.lag = 0.25  # ... unless the probes themselves were starved: then try again
    assert not settled([0.0], starved)
    assert load_probes.ATTEMPTS == 3


def test_attempts_get_new_unpredictable_users_on_the_same_slots(load_probes: ModuleType) -> None:
    schedule = load_probes._realistic_schedule(100, 400)
    first, first_slots = load_probes._attempt(schedule)
    second, second_slots = load_probes._attempt(schedule)
    assert [o for o, _ in first] == [o for o, _ in second] == [o for o, _ in schedule]
    assert not {u for _, u in first} & {u for _, u in second}  # no id carries over
    # The same slot, and so the same realistic latencies, at every place of the schedule.
    assert [first_slots[u] for _, u in first] == [s for _, s in schedule]
    assert [second_slots[u] for _, u in second] == [s for _, s in schedule]
    # An id says nothing about its stage or attempt: a random token and a running number.
    assert all(not u.startswith(("real", "load")) for _, u in first)


def test_a_stage_earns_its_best_attempt_and_says_so(
    load_probes: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    p99s = iter([0.9, 0.6, 0.75])  # credits 0.2, 0.8, 0.5: three attempts, the second wins

    def stage(rate: float, requests: list[tuple[float, str]], **_kw: object) -> Any:
        done = _stage(len(requests), 0)
        done.latencies = [next(p99s)] * len(requests)
        return done

    monkeypatch.setattr(load_probes, "run_stage", stage)
    recorded: dict[str, object] = {}
    load_probes._measure(100, 400, recorded.__setitem__)
    assert recorded["score"] == pytest.approx(0.8)
    assert str(recorded["detail"]).startswith("attempt 2 of 3 (credits 0.20, 0.80, 0.50; ")
    assert recorded["p99_ms"] == 600
    ties: list[tuple[float, dict[str, float], str]] = [(0.5, {}, "first"), (0.5, {}, "second")]
    assert load_probes._best(ties) == (1, (0.5, {}, "first"))  # a tie goes to the earlier one


def test_a_stage_without_credit_fails_with_its_detail(
    load_probes: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(rate: float, requests: list[tuple[float, str]], **_kw: object) -> Any:
        done = _stage(len(requests), 0)
        done.latencies = [1.5] * len(requests)
        return done

    monkeypatch.setattr(load_probes, "run_stage", slow)
    with pytest.raises(
        pytest.fail.Exception, match=r"no credit \(p99 at the floor\), attempt 1 of 2"
    ):
        load_probes._measure(100, 400, lambda _k, _v: None)


def test_a_server_falling_behind_earns_no_latency_credit(load_probes: ModuleType) -> None:
    """Its p99 measures the stage's length times its shortfall; its sustained rate does not."""
    stage = _stage(400, 0)
    stage.offsets = [i / 100 for i in range(400)]
    stage.latencies = [0.6] * 400  # a p99 of 600 ms alone would earn 0.8 of the stage
    stage.completions = [o + 0.05 for o in stage.offsets]  # kept up with everything
    assert stage.sustained() == pytest.approx(1.0)
    assert load_probes._factors(stage)["p99"] == pytest.approx(0.8)
    stage.completions = [o / 0.8 for o in stage.offsets]  # answered at 80% of the offered rate
    assert stage.sustained() == pytest.approx(0.8, abs=0.01)
    assert load_probes._factors(stage)["p99"] == 0.0
    stage.completions = [o / 0.9 for o in stage.offsets]  # 90%: half the latency credit at most
    assert load_probes._factors(stage)["p99"] == pytest.approx(0.5, abs=0.05)


def test_a_stage_summary_names_the_probes_starvation(load_probes: ModuleType) -> None:
    stage = _stage(10, 0)
    stage.lag, stage.stall, stage.seconds = 0.012, 0.25, 1.0
    assert "probe loop lag 12 ms, host CPU stall 25%" in stage.summary()
    stage.stall = None  # a kernel without PSI
    assert "host CPU stall" not in stage.summary()


def test_points_follow_the_briefs_weights() -> None:
    total = sum(PROBES.values())
    # A server that breaks the caps keeps at most what needs no cap: under 45% of the points.
    assert 100 * sum(CAP_FREE.values()) / total < 45
    # Throughput under load (ideal and realistic latency) is about half of the probes.
    assert 0.4 <= sum(LOAD.values()) / total <= 0.6
    # Coalescing and malformed answers together are worth a clear gap (10 points or more).
    coalescing = PROBES["tests/test_contract.py::test_identical_requests_coalesced"]
    malformed = PROBES["tests/test_resilience.py::test_malformed_answer_is_never_500"]
    assert 100 * (coalescing + malformed * 2 / 3) / total >= 10


@pytest.mark.docker
def test_pack_validates(docker_client: docker.DockerClient, challenge: Challenge) -> None:
    del docker_client  # the fixture is the Docker gate; the engine opens its own client
    engine = open_engine(Settings(challenge_dirs=[PACK.parent]), log=lambda _line: None)
    outcomes = validate_challenge(challenge, engine.pipeline)
    failing = [f"{o.name}: {'; '.join(o.problems)}" for o in outcomes if not o.ok]
    assert not failing, f"expectations not met: {failing}"
    assert [o.name for o in outcomes][:2] == ["reference", "starter"]
    assert len(outcomes) == 2 + len(VARIANTS)
