"""The `data-pipeline` challenge pack: its manifest, hidden tests and graded expectations."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from graders import discover_test_ids
from runner.challenge import Challenge, load_challenge
from runner.engine import open_engine
from runner.settings import Settings
from runner.validate import validate_challenge

PACK = Path(__file__).resolve().parents[2] / "challenges" / "data-pipeline"

EXPECTED_COUNTS = {
    "tests/test_clean_orders.py": 16,
    "tests/test_convert_to_eur.py": 9,
    "tests/test_daily_revenue.py": 13,
    "tests/test_performance.py": 1,
}
PERFORMANCE_TEST = "tests/test_performance.py::test_large_export_is_fast"
VARIANTS = {
    "drops-missing-currency": "tests",
    "fx-exact-date": "tests",
    "giant-function": "complexity",
    "keeps-duplicates": "tests",
    "naive-timezones": "tests",
    "no-own-tests": "coverage",
    "pickle-cache": "security",
    "row-loop": "tests",
    "sloppy-style": "style",
}


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge(PACK)


def test_manifest_loads(challenge: Challenge) -> None:
    manifest = challenge.manifest
    assert manifest.id == "data-pipeline"
    assert manifest.mode == "unit"
    names = {req.split("==")[0] for req in manifest.dependencies.allowed}
    assert {"pandas", "numpy"} <= names
    assert manifest.limits.memory_mb is not None
    assert manifest.limits.memory_mb >= 768
    assert manifest.tests.points == {PERFORMANCE_TEST: 4.0}


def test_hidden_test_ids(challenge: Challenge) -> None:
    ids = discover_test_ids(challenge.hidden_tests())
    assert len(ids) == len(set(ids))
    counts = {name: sum(i.startswith(f"{name}::") for i in ids) for name in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS
    assert len(ids) == sum(EXPECTED_COUNTS.values())
    assert PERFORMANCE_TEST in ids
    assert "tests/test_daily_revenue.py::test_end_to_end_export" in ids


def test_variants_name_their_category(challenge: Challenge) -> None:
    assert {v.name: v.manifest.category for v in challenge.variants()} == VARIANTS


@pytest.mark.docker
def test_pack_validates(docker_client: docker.DockerClient, challenge: Challenge) -> None:
    del docker_client  # the fixture is the Docker gate; the engine opens its own client
    engine = open_engine(Settings(challenge_dirs=[PACK.parent]), log=lambda _line: None)
    outcomes = validate_challenge(challenge, engine.pipeline)
    failing = [f"{o.name}: {'; '.join(o.problems)}" for o in outcomes if not o.ok]
    assert not failing, f"expectations not met: {failing}"
    assert [o.name for o in outcomes][:2] == ["reference", "starter"]
    assert len(outcomes) == 2 + len(VARIANTS)
