"""The `asyncio-scaling` pack (service mode under load): manifest, probes, expectations."""

from __future__ import annotations

from pathlib import Path

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
    "tests/test_contract.py::test_identical_requests_coalesced": 1.5,
    "tests/test_load.py::test_load_25_per_second": 1.0,
    "tests/test_load.py::test_load_50_per_second": 1.5,
    "tests/test_load.py::test_load_100_per_second": 3.5,
    "tests/test_resilience.py::test_transient_failures_retried": 1.5,
    "tests/test_resilience.py::test_optional_upstream_down_degrades": 1.5,
    "tests/test_resilience.py::test_profile_down_is_502": 0.5,
    "tests/test_resilience.py::test_hanging_upstream_times_out": 1.5,
}
VARIANTS = {
    "blocking-client": "tests",
    "no-coalescing": "tests",
    "no-degradation": "tests",
    "no-retries": "tests",
    "no-timeouts": "tests",
    "unbounded-concurrency": "tests",
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
    # One CPU each for the app and the probes, and a probe run well inside the wall limit.
    assert manifest.limits.cpus == 1.0
    assert manifest.limits.wall_seconds is not None
    assert manifest.limits.wall_seconds <= 90
    assert manifest.tests.points == PROBES


def test_probe_ids(challenge: Challenge) -> None:
    hidden = challenge.hidden_tests()
    assert {"upstreams.py", "probe.py"} <= set(hidden)
    assert discover_test_ids(hidden) == tuple(PROBES)


def test_variants_name_their_category(challenge: Challenge) -> None:
    assert {v.name: v.manifest.category for v in challenge.variants()} == VARIANTS
    assert all(v.manifest.reason for v in challenge.variants())


@pytest.mark.docker
def test_pack_validates(docker_client: docker.DockerClient, challenge: Challenge) -> None:
    del docker_client  # the fixture is the Docker gate; the engine opens its own client
    engine = open_engine(Settings(challenge_dirs=[PACK.parent]), log=lambda _line: None)
    outcomes = validate_challenge(challenge, engine.pipeline)
    failing = [f"{o.name}: {'; '.join(o.problems)}" for o in outcomes if not o.ok]
    assert not failing, f"expectations not met: {failing}"
    assert [o.name for o in outcomes][:2] == ["reference", "starter"]
    assert len(outcomes) == 2 + len(VARIANTS)
