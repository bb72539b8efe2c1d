"""Back-pressure: past the per-challenge limit intake answers 429, past the overall limit 503,
both with Retry-After, and nothing is stored; below the limits submissions are accepted."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import create_app
from api.services import Services
from runner.settings import Settings
from runner.store import Run, Submission
from tests.fakeservice import fake_pipeline, grade_all, reference_archive


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    limited = settings.model_copy(
        update={"queue_limit": 3, "queue_limit_per_challenge": 2, "retry_after_seconds": 17}
    )
    return create_app(limited, pipeline_factory=fake_pipeline)


def _count(svc: Services) -> tuple[int, int]:
    with svc.db.reading() as session:
        subs = session.scalar(select(func.count()).select_from(Submission))
        runs = session.scalar(select(func.count()).select_from(Run))
    return int(subs or 0), int(runs or 0)


def _api_submit(client: TestClient, headers: dict[str, str], challenge: str) -> int:
    response = client.post(
        "/api/submissions",
        headers=headers,
        data={"challenge": challenge},
        files={"archive": ("a.tgz", reference_archive())},
    )
    return response.status_code


def test_limits_answer_429_then_503_with_retry_after(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    assert _api_submit(client, reviewer_headers, "calculator") == 202
    assert _api_submit(client, reviewer_headers, "calculator") == 202
    before = _count(svc)
    refused = client.post(
        "/api/submissions",
        headers=reviewer_headers,
        data={"challenge": "calculator"},
        files={"archive": ("a.tgz", reference_archive())},
    )
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "17"
    assert refused.json()["error"] == "queue_full"
    assert _count(svc) == before  # nothing stored

    assert _api_submit(client, reviewer_headers, "kv-service") == 202  # 3 overall
    overall = client.post(
        "/api/submissions",
        headers=reviewer_headers,
        data={"challenge": "kv-service"},
        files={"archive": ("a.tgz", reference_archive())},
    )
    assert overall.status_code == 503
    assert overall.headers["Retry-After"] == "17"
    assert _count(svc) == (3, 3)

    assert len(grade_all(svc)) == 3  # graded runs no longer count against the limits
    assert _api_submit(client, reviewer_headers, "calculator") == 202


def test_candidate_form_gets_429_page(
    client: TestClient, make_invite: Callable[..., str], svc: Services
) -> None:
    token = make_invite(max_submissions=5)
    for _ in range(2):
        ok = client.post(
            f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
        )
        assert ok.status_code == 202
    page = client.post(
        f"/i/{token}/submissions",
        files={"archive": ("a.tgz", reference_archive())},
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "17"
    assert "try again later" in page.text
    assert _count(svc) == (2, 2)
