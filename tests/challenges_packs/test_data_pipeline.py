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
    "tests/test_generated.py": 21,
    "tests/test_performance.py": 1,
}
PERFORMANCE_TEST = "tests/test_performance.py::test_large_export_is_fast"
VARIANTS = {
    "drops-missing-currency": "tests",
    "fx-exact-date": "tests",
    "giant-function": "complexity",
    "helper-in-package": "security",
    "hidden-under-test-path": "security",
    "keeps-duplicates": "tests",
    "naive-timezones": "tests",
    "no-own-tests": "coverage",
    "pickle-cache": "security",
    "row-loop": "tests",
    "sample-special-cased": "tests",
    "sloppy-style": "style",
    "subtle-dst-fx": "tests",
}
#: The brief's subtle rules, each carried by a generated test of its own (REVIEWER.md "Scoring
#: rationale"): 4 points each, the most any single rule gets.
SUBTLE_RULES = [
    "tests/test_generated.py::test_last_version_of_a_repeated_order_wins",
    "tests/test_generated.py::test_duplicates_are_resolved_before_validation",
    "tests/test_generated.py::test_dst_fall_back_is_the_daylight_time",
    "tests/test_generated.py::test_dst_spring_forward_moves_forward",
    "tests/test_generated.py::test_non_business_days_use_the_latest_earlier_rate",
    "tests/test_generated.py::test_orders_after_the_last_rate_use_it",
]
#: Bands an expert would give (issue 14): special-casing to the sample at most 30, two subtle
#: rule errors a clear gap below the reference.
BANDS = {
    "sample-special-cased": (None, 30.0),
    "subtle-dst-fx": (70.0, 90.0),
    "hidden-under-test-path": (None, 88.0),
    "helper-in-package": (None, 88.0),
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
    points = manifest.tests.points
    assert points[PERFORMANCE_TEST] == 12.0
    assert {points[test] for test in SUBTLE_RULES} == {4.0}
    rules = [p for test, p in points.items() if test.startswith("tests/test_generated.py::")]
    assert max(rules) == 4.0
    assert max(points.values()) == points[PERFORMANCE_TEST]
    total = sum(points.values()) + sum(
        1.0 for i in discover_test_ids(load_challenge(PACK).hidden_tests()) if i not in points
    )
    assert points[PERFORMANCE_TEST] / total == pytest.approx(0.1, abs=0.01)
    assert manifest.limits.wall_seconds is not None
    assert manifest.limits.wall_seconds >= 240  # the generated exports need room on a busy host


def test_points_name_hidden_tests(challenge: Challenge) -> None:
    ids = set(discover_test_ids(challenge.hidden_tests()))
    assert set(challenge.manifest.tests.points) <= ids


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


def test_variant_bands(challenge: Challenge) -> None:
    bands = {
        v.name: (v.manifest.min_score, v.manifest.max_score)
        for v in challenge.variants()
        if v.manifest.min_score is not None or v.manifest.max_score is not None
    }
    assert bands == BANDS


def test_hidden_helper_is_the_packaged_one(challenge: Challenge) -> None:
    """The two helper variants differ only in where the helper lives and the import naming it."""
    variants = {v.name: v for v in challenge.variants()}
    hidden = variants["hidden-under-test-path"].overlay.files
    packaged = variants["helper-in-package"].overlay.files
    assert hidden["pipeline/tests/helpers.py"] == packaged["pipeline/helpers.py"]
    moved = hidden["pipeline/io.py"].replace(b"pipeline.tests.helpers", b"pipeline.helpers")
    assert moved == packaged["pipeline/io.py"]
    assert variants["hidden-under-test-path"].manifest.category_max == (
        variants["helper-in-package"].manifest.category_max
    )


@pytest.mark.docker
def test_pack_validates(docker_client: docker.DockerClient, challenge: Challenge) -> None:
    del docker_client  # the fixture is the Docker gate; the engine opens its own client
    engine = open_engine(Settings(challenge_dirs=[PACK.parent]), log=lambda _line: None)
    outcomes = validate_challenge(challenge, engine.pipeline)
    failing = [f"{o.name}: {'; '.join(o.problems)}" for o in outcomes if not o.ok]
    assert not failing, f"expectations not met: {failing}"
    assert [o.name for o in outcomes][:2] == ["reference", "starter"]
    assert len(outcomes) == 2 + len(VARIANTS)
    graded = {o.name: o.report for o in outcomes}
    hidden = graded["variant hidden-under-test-path"]
    packaged = graded["variant helper-in-package"]
    # Hiding the helper under a test path changes no score: it is production code either way.
    for category in ("coverage", "style", "complexity", "security"):
        assert hidden.categories[category].score == packaged.categories[category].score, category
    helper = "pipeline/tests/helpers.py"
    rules = {(f.rule, f.file) for f in hidden.categories["security"].findings}
    assert ("B602", helper) in rules
    assert any(f.file == helper for f in hidden.categories["complexity"].findings)
    reference = graded["reference"].score
    assert reference - graded["variant subtle-dst-fx"].score >= 8
