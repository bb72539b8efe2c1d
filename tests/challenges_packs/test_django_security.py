"""The django-security challenge pack: its manifest, its probes and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.tests import discover_test_ids
from runner.challenge import load_challenge
from runner.engine import open_engine
from runner.settings import Settings
from runner.validate import validate_challenge

CHALLENGES = Path(__file__).resolve().parents[2] / "challenges"
PACK = CHALLENGES / "django-security"

EXPLOITS = (
    "test_search_sql_injection",
    "test_tag_filter_sql_injection",
    "test_comment_stored_xss",
    "test_note_body_stored_xss",
    "test_delete_requires_csrf_token",
    "test_private_note_not_readable_by_others",
    "test_staff_directory_requires_staff",
    "test_login_open_redirect",
    "test_download_path_traversal",
    "test_debug_pages_are_off",
    "test_share_link_cannot_be_forged",
    "test_session_cookie_flags",
    "test_security_headers",
    "test_profile_mass_assignment",
)
FEATURES = (
    "test_signup_login_logout",
    "test_wrong_password_is_refused",
    "test_notes_create_edit_and_filter_by_tag",
    "test_search_finds_own_notes",
    "test_note_body_keeps_line_breaks",
    "test_public_notes_and_comments",
    "test_owner_reads_private_note",
    "test_delete_note",
    "test_attachments_upload_and_download",
    "test_share_link",
    "test_profile_update",
    "test_staff_directory",
)


def test_manifest_and_probe_ids() -> None:
    challenge = load_challenge(PACK)
    manifest = challenge.manifest
    assert (manifest.id, manifest.mode) == ("django-security", "service")
    assert manifest.service is not None
    assert manifest.service.health_path == "/healthz"
    assert "Django==5.1.15" in manifest.dependencies.allowed
    ids = discover_test_ids(challenge.hidden_tests())
    exploits = [f"tests/test_security.py::{name}" for name in EXPLOITS]
    features = [f"tests/test_features.py::{name}" for name in FEATURES]
    assert sorted(ids) == sorted(exploits + features)
    # A fixed hole is the merit (10 points an exploit probe), a working feature the floor (1):
    # the untouched starter, which passes only the functional probes, gets 12 of 152.
    assert manifest.tests.points == {
        **dict.fromkeys(exploits, 10.0),
        **dict.fromkeys(features, 1.0),
    }
    assert manifest.validation.starter_max == 10
    variants = {v.name: v.manifest for v in challenge.variants()}
    assert len(variants) >= 5
    assert variants["weak-password-hash"].category == "security"
    # Deleting features to close their holes earns nothing (REVIEWER.md, "Scoring rationale").
    assert variants["features-deleted"].max_score == 30
    assert variants["deleted-instead-of-fixed"].max_score == 60
    # The probes log in with the staff account the manifest starts the app with.
    helper = challenge.hidden_tests()["webclient.py"].decode()
    name, password = manifest.service.command[-1].split(":", 1)
    assert f'STAFF_USER, STAFF_PASSWORD = "{name}", "{password}"' in helper


@pytest.mark.docker
def test_django_security_validates() -> None:
    engine = open_engine(Settings(challenge_dirs=[CHALLENGES]), log=lambda _line: None)
    outcomes = validate_challenge(load_challenge(PACK), engine.pipeline)
    failed = {o.name: o.problems for o in outcomes if not o.ok}
    assert not failed, f"expectations not met: {failed}"
    reference = outcomes[0].report
    assert reference.categories["tests"].score == 100.0
    # The starter passes every functional probe and no exploit probe: 12 of 152 points.
    scores = {o.name: o.report.categories["tests"].score for o in outcomes}
    assert scores["starter"] == pytest.approx(100 * 12 / 152, abs=0.05)
    # features-deleted passes 8 functional probes and only the 3 exploit probes of its fixed
    # settings: the probes of the features it deleted fail with them.
    assert scores["variant features-deleted"] == pytest.approx(100 * 38 / 152, abs=0.05)
    assert '"GET /healthz HTTP/1.1" 200' in reference.logs["app"]
