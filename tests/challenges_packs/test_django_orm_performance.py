"""The django-orm-performance challenge pack: its manifest, its probes and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.tests import discover_test_ids
from runner.challenge import load_challenge
from runner.engine import open_engine
from runner.settings import Settings
from runner.validate import validate_challenge

CHALLENGES = Path(__file__).resolve().parents[2] / "challenges"
PACK = CHALLENGES / "django-orm-performance"

ANSWERS = (
    "test_book_list",
    "test_book_reviews",
    "test_author_detail",
    "test_customer_orders",
    "test_recent_orders",
    "test_genre_report",
    "test_errors_are_kept",
)
VARIANTS = {
    "len-count",
    "missing-index",
    "n-plus-one",
    "python-aggregation",
    "repeated-queries",
    "schema-code",
    "unbounded-queryset",
}


def test_manifest_and_probe_ids() -> None:
    challenge = load_challenge(PACK)
    manifest = challenge.manifest
    assert (manifest.id, manifest.mode) == ("django-orm-performance", "service")
    assert manifest.service is not None
    assert manifest.service.health_path == "/healthz"
    assert manifest.image.debian == ("postgresql",)
    assert {"Django==5.1.15", "psycopg==3.2.13", "psycopg-binary==3.2.13"} <= set(
        manifest.dependencies.allowed
    )
    assert manifest.validation.starter_max == 10
    ids = discover_test_ids(challenge.hidden_tests())
    answers = [f"tests/test_answers.py::{name}" for name in ANSWERS]
    performance = "tests/test_performance.py::test_database_cost"
    updates = "tests/test_updates.py::test_new_rows_show_up"
    assert sorted(ids) == sorted([*answers, performance, updates])
    # The database cost carries the score; the answers the starter gets right weigh little.
    assert manifest.tests.points[performance] == 48.0
    assert sum(manifest.tests.points.values()) == 52.0
    variants = {v.name: v.manifest for v in challenge.variants()}
    assert set(variants) == VARIANTS
    assert all(v.category == "tests" and v.max_score is not None for v in variants.values())


def test_the_app_and_the_probes_agree_on_the_database() -> None:
    challenge = load_challenge(PACK)
    probes = challenge.hidden_tests()["pg.py"].decode()
    settings = challenge.starter().files["bookshop/settings.py"].decode()
    assert "PORT = 55432" in probes
    assert '"SHOP_DB_PORT", "55432"' in settings
    assert 'APP_ROLE = APP_DB = "shop"' in probes
    assert '"SHOP_DB_USER", "shop"' in settings
    assert '"SHOP_DB_NAME", "shop"' in settings


@pytest.mark.docker
def test_django_orm_performance_validates() -> None:
    engine = open_engine(Settings(challenge_dirs=[CHALLENGES]), log=lambda _line: None)
    outcomes = validate_challenge(load_challenge(PACK), engine.pipeline)
    failed = {o.name: o.problems for o in outcomes if not o.ok}
    assert not failed, f"expectations not met: {failed}"
    reference, starter = outcomes[0].report, outcomes[1].report
    assert reference.categories["tests"].score == 100.0
    # Hostile: app code (a trigger and its function) in the probes' database is refused before
    # any data is loaded, so the probes cannot run it: no probe passes, below the starter.
    hostile = next(o.report for o in outcomes if o.name.endswith("schema-code"))
    assert hostile.categories["tests"].score == 0.0
    assert hostile.categories["tests"].score <= starter.categories["tests"].score
    assert '"GET /api/reports/genres/ HTTP/1.1" 200' in reference.logs["app"]
