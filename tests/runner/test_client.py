"""`runner.client` and `takehome submit` against the real service on loopback (fake pipeline)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api.services import Services
from runner.challenge import load_challenge
from runner.cli import cli
from runner.client import ApiClient, ClientError, WaitTimeout
from runner.store import Submission
from runner.store.records import create_api_token, create_reviewer
from tests.fakeservice import CALCULATOR, FAILING_TEST


@pytest.fixture
def token(live_server: tuple[str, Services]) -> str:
    _base, svc = live_server
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    return create_api_token(svc.db, "rev@example.com")


def test_submit_wait_and_read_the_report(live_server: tuple[str, Services], token: str) -> None:
    base, _svc = live_server
    client = ApiClient(base, token)
    submission_id = client.submit(load_challenge(CALCULATOR).reference(), "calculator", "ref")
    summary = client.wait(submission_id, timeout=60, poll=0.1)
    assert summary["state"] == "done"
    report = client.report(submission_id)
    failed = [t.id for t in report.categories["tests"].tests if t.outcome != "passed"]
    assert failed == [FAILING_TEST]
    assert summary["score"] == pytest.approx(report.score)


def test_errors_carry_status_and_code(live_server: tuple[str, Services], token: str) -> None:
    base, _svc = live_server
    with pytest.raises(ClientError) as unknown:
        ApiClient(base, token).submission("0" * 32)
    assert (unknown.value.status, unknown.value.code) == (404, "not_found")
    with pytest.raises(ClientError) as bad_token:
        ApiClient(base, "not-a-token").submission("0" * 32)
    assert bad_token.value.status == 401
    with pytest.raises(ClientError, match="not an http"):
        ApiClient("ftp://example.invalid", token).submission("x")


def test_unknown_challenge_is_refused(live_server: tuple[str, Services], token: str) -> None:
    base, svc = live_server
    with pytest.raises(ClientError) as refused:
        ApiClient(base, token).submit(load_challenge(CALCULATOR).starter(), "no-such-challenge")
    assert (refused.value.status, refused.value.code) == (404, "not_found")
    with svc.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


class _NeverDone(ApiClient):
    def submission(self, submission_id: str) -> dict[str, Any]:
        return {"id": submission_id, "state": "queued"}


def test_wait_gives_up_after_its_timeout() -> None:
    with pytest.raises(WaitTimeout, match="still queued"):
        _NeverDone("http://127.0.0.1:9", "t").wait("abc", timeout=0.05, poll=0.01)


def test_cli_submit_prints_the_report(live_server: tuple[str, Services], token: str) -> None:
    base, _svc = live_server
    result = CliRunner().invoke(
        cli,
        ["submit", str(CALCULATOR / "reference"), "--challenge", "calculator", "--url", base],
        env={"TAKEHOME_API_TOKEN": token},
    )
    assert result.exit_code == 0, result.output
    assert "calculator / reference:" in result.output
    assert "tests" in result.output
    refused = CliRunner().invoke(
        cli,
        ["submit", str(CALCULATOR / "reference"), "--challenge", "nope", "--url", base],
        env={"TAKEHOME_API_TOKEN": token},
    )
    assert refused.exit_code == 3
    assert "HTTP 404 not_found" in refused.output
