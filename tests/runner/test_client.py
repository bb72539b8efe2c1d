"""`runner.client` and `takehome submit` against the real service on loopback (fake pipeline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from api.services import Services
from graders.model import Report
from runner.challenge import load_challenge
from runner.cli import EXIT_CHECK_FAILED, EXIT_USAGE, cli
from runner.client import ApiClient, ClientError, WaitTimeout
from runner.store import Submission
from runner.store.records import create_api_token, create_invite, create_reviewer
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


def _submit(base: str, token: str, *args: str) -> Result:
    reference = str(CALCULATOR / "reference")
    return CliRunner().invoke(
        cli,
        ["submit", reference, "--challenge", "calculator", "--url", base, *args],
        env={"TAKEHOME_API_TOKEN": token},
    )


def test_json_dash_prints_the_report_alone_on_stdout(
    live_server: tuple[str, Services], token: str
) -> None:
    base, _svc = live_server
    result = _submit(base, token, "--json", "-")
    assert result.exit_code == 0, result.output
    report = Report.from_stored(result.stdout)  # nothing else on stdout
    assert json.loads(result.stdout)["score"] == report.score
    assert "calculator / reference:" in result.stderr
    assert "submitted reference" in result.stderr
    assert not Path("-").exists()


def test_min_score_gates_and_the_files_are_written_first(
    live_server: tuple[str, Services], token: str, tmp_path: Path
) -> None:
    base, svc = live_server
    files = {name: tmp_path / name for name in ("report.json", "junit.xml", "t.sarif")}
    paths = ["--json", str(files["report.json"]), "--junit", str(files["junit.xml"])]
    paths += ["--sarif", str(files["t.sarif"])]
    below = _submit(base, token, "--min-score", "90", *paths)
    assert below.exit_code == EXIT_CHECK_FAILED, below.output
    report = Report.from_stored(files["report.json"].read_text())
    assert below.stderr.splitlines()[-1] == (
        f"error: score {report.score:.1f} is below the threshold 90 (--min-score)"
    )
    # The service's own exports, byte for byte.
    client = ApiClient(base, token)
    latest = _latest_submission(svc)
    assert files["junit.xml"].read_bytes() == client.export(latest, "report.junit.xml")
    assert files["t.sarif"].read_bytes() == client.export(latest, "report.sarif")
    assert "HIDDEN-ORACLE-SECRET" not in files["t.sarif"].read_text()
    assert FAILING_TEST.rsplit("::", 1)[1] in files["junit.xml"].read_text()

    at = _submit(base, token, "--min-score", str(report.score))  # equal passes
    assert at.exit_code == 0, at.output
    above = _submit(base, token, "--min-score", "0")
    assert above.exit_code == 0, above.output


def _latest_submission(svc: Services) -> str:
    with svc.db.reading() as session:
        latest = session.scalars(select(Submission.id).order_by(Submission.created_at.desc()))
        return str(latest.first())


@pytest.mark.parametrize(
    "args",
    [
        ["--no-wait", "--min-score", "50"],
        ["--no-wait", "--json", "-"],
        ["--no-wait", "--junit", "j.xml"],
        ["--min-score", "101"],
    ],
)
def test_gate_options_need_the_report(
    live_server: tuple[str, Services], token: str, args: list[str]
) -> None:
    base, svc = live_server
    refused = _submit(base, token, *args)
    assert refused.exit_code == EXIT_USAGE, refused.output
    with svc.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_the_candidate_gets_no_reviewer_exports_but_may_gate(
    live_server: tuple[str, Services], make_live_invite: str
) -> None:
    base, _svc = live_server
    reference = str(CALCULATOR / "reference")
    link = f"{base}/i/{make_live_invite}"
    refused = CliRunner().invoke(cli, ["submit", reference, "--invite", link, "--sarif", "s"])
    assert refused.exit_code == EXIT_USAGE
    assert "reviewer exports" in refused.stderr
    gated = CliRunner().invoke(
        cli, ["submit", reference, "--invite", link, "--json", "-", "--min-score", "99"]
    )
    assert gated.exit_code == EXIT_CHECK_FAILED, gated.output
    status = json.loads(gated.stdout)  # the candidate's status alone on stdout
    assert status["state"] == "done"
    assert f"score {status['score']:.1f} is below the threshold 99" in gated.stderr
    assert "HIDDEN-ORACLE-SECRET" not in gated.output


@pytest.fixture
def make_live_invite(live_server: tuple[str, Services]) -> str:
    _base, svc = live_server
    _invite, token = create_invite(
        svc.db,
        challenge_id="calculator",
        candidate="Ada",
        expires_days=7,
        max_submissions=5,
        created_by=None,
    )
    return token


def test_an_unknown_export_is_refused_before_any_request() -> None:
    with pytest.raises(ClientError, match="no export"):
        ApiClient("http://127.0.0.1:9", "t").export("x", "report.csv")
