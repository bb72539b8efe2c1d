"""A candidate sees only what the challenge's feedback policy allows, in JSON and in HTML."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.services import Services
from runner.settings import Settings
from runner.store.records import create_invite
from tests.fakeservice import (
    CALCULATOR,
    FAILING_TEST,
    SECRET_MESSAGE,
    fake_pipeline,
    grade_all,
    reference_archive,
)

FORBIDDEN = (SECRET_MESSAGE, "findings", "verdicts", "provenance", "no_results", "sha256:")


def _challenge_with(policy: str, root: Path) -> Path:
    target = root / "packs" / "calculator"
    shutil.copytree(CALCULATOR, target)
    manifest = target / "challenge.toml"
    text = manifest.read_text().replace('policy = "scores"', f'policy = "{policy}"')
    manifest.write_text(text)
    return target.parent


@pytest.mark.parametrize("policy", ["status", "visible_tests", "scores"])
def test_policy(settings: Settings, tmp_path: Path, policy: str) -> None:
    settings = settings.model_copy(update={"challenge_dirs": [_challenge_with(policy, tmp_path)]})
    app = create_app(settings, pipeline_factory=fake_pipeline)
    svc: Services = app.state.services
    _invite, token = create_invite(
        svc.db,
        challenge_id="calculator",
        candidate="A",
        expires_days=1,
        max_submissions=1,
        created_by=None,
    )
    with TestClient(app) as client:
        sub = client.post(
            f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
        ).json()["id"]
        grade_all(svc)
        data = client.get(f"/i/{token}/submissions/{sub}").json()
        page = client.get(f"/i/{token}/submissions/{sub}", headers={"Accept": "text/html"}).text
    assert data["state"] == "done"
    keys = set(data) - {"id", "state", "filename", "submitted_at"}
    expected = {
        "status": set(),
        "visible_tests": {"tests"},
        "scores": {"tests", "score", "categories"},
    }
    assert keys == expected[policy]
    if policy != "status":
        outcomes = {t["id"]: t["outcome"] for t in data["tests"]}
        assert outcomes[FAILING_TEST] == "failed"
        assert all(set(t) == {"id", "outcome"} for t in data["tests"])
        assert FAILING_TEST in page
    else:
        assert FAILING_TEST not in page
    assert ("Score:" in page) == (policy == "scores")
    for text in (str(data), page):
        for forbidden in FORBIDDEN:
            assert forbidden not in text


def test_a_failed_run_shows_no_reason(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    token = make_invite()
    sub = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
    ).json()["id"]
    claim = svc.queue.claim("w")
    assert claim is not None
    svc.queue.fail(claim, "EngineUnavailable: /var/run/docker.sock refused")
    data = client.get(f"/i/{token}/submissions/{sub}").json()
    assert data["state"] == "failed"
    assert "docker" not in str(data).lower()
