"""The `ml-churn` challenge pack: its manifest, hidden tests and graded expectations."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from graders import discover_test_ids
from runner.challenge import Challenge, load_challenge
from runner.engine import open_engine
from runner.oracle import is_isolated
from runner.settings import Settings
from runner.validate import validate_challenge

PACK = Path(__file__).resolve().parents[2] / "challenges" / "ml-churn"

EXPECTED_COUNTS = {
    "tests/test_api.py": 4,
    "tests/test_decisions.py": 3,
    "tests/test_leakage.py": 2,
    "tests/test_ranking.py": 3,
    "tests/test_reproducible.py": 2,
}
LEAK_TEST = "tests/test_leakage.py::test_account_closed_at_is_not_a_feature"
VARIANTS = {
    "caches-its-first-answer": "tests",
    "evaluates-on-training-data": "tests",
    "ignores-class-imbalance": "tests",
    "no-missing-or-category-handling": "tests",
    "non-deterministic": "tests",
    "uses-leaking-column": "tests",
}


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge(PACK)


def test_manifest_loads(challenge: Challenge) -> None:
    manifest = challenge.manifest
    assert manifest.id == "ml-churn"
    assert manifest.mode == "unit"
    assert is_isolated(challenge)
    pins = dict(req.split("==") for req in manifest.dependencies.allowed)
    assert {"scikit-learn", "pandas", "numpy", "scipy"} <= set(pins)
    assert manifest.validation.starter_max == 10
    assert manifest.tests.points[LEAK_TEST] == 4.0


def test_hidden_test_ids(challenge: Challenge) -> None:
    ids = discover_test_ids(challenge.hidden_tests())
    assert len(ids) == len(set(ids))
    counts = {name: sum(i.startswith(f"{name}::") for i in ids) for name in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS
    assert len(ids) == sum(EXPECTED_COUNTS.values())
    assert set(challenge.manifest.tests.points) <= set(ids)


def test_variants_name_their_category_and_band(challenge: Challenge) -> None:
    variants = {v.name: v.manifest for v in challenge.variants()}
    assert {name: m.category for name, m in variants.items()} == VARIANTS
    assert all(m.max_score is not None and m.max_score < 90 for m in variants.values())


def test_the_sample_is_the_process_of_the_hidden_tests(challenge: Challenge) -> None:
    # The starter's sample and the reference's copy are the same file, with the leaking
    # column filled exactly for the churned customers.
    starter = challenge.starter().files["data/churn_sample.csv"]
    assert challenge.reference().files["data/churn_sample.csv"] == starter
    header, *lines = starter.decode().splitlines()
    columns = header.split(",")
    closed, churned = columns.index("account_closed_at"), columns.index("churned")
    rows = [line.split(",") for line in lines]
    assert len(rows) == 2000
    assert all((row[closed] != "") == (row[churned] == "1") for row in rows)


@pytest.mark.docker
def test_pack_validates(docker_client: docker.DockerClient, challenge: Challenge) -> None:
    del docker_client  # the fixture is the Docker gate; the engine opens its own client
    engine = open_engine(Settings(challenge_dirs=[PACK.parent]), log=lambda _line: None)
    outcomes = validate_challenge(challenge, engine.pipeline)
    failing = [f"{o.name}: {'; '.join(o.problems)}" for o in outcomes if not o.ok]
    assert not failing, f"expectations not met: {failing}"
    assert [o.name for o in outcomes][:2] == ["reference", "starter"]
    assert len(outcomes) == 2 + len(VARIANTS)
