"""Liveness, readiness (which dependency failed), Prometheus metrics and JSON logs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api import create_app
from api.services import Services
from runner.logs import JsonFormatter, RedactInviteTokens, configure_logging
from runner.settings import Settings
from tests.fakeservice import fake_pipeline, grade_all, reference_archive


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_and_readyz_with_the_embedded_queue(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}  # workers=0: Docker is not needed


def test_readyz_names_the_unreachable_broker(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Port 9 on loopback: nothing listens there, the connection is refused at once.
    broken = settings.model_copy(
        update={"queue": "celery", "broker_url": "redis://127.0.0.1:9/0", "dispatch_seconds": 60}
    )
    with TestClient(create_app(broken, pipeline_factory=fake_pipeline)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"] == "ok"
    # Only the exception's type: its text (hosts, users, ports) goes to the log, not to anyone
    # who can reach the unauthenticated endpoint.
    assert checks["broker"].isidentifier()
    assert checks["broker"] != "ok"
    assert "127.0.0.1" not in ready.text
    failed = [r for r in caplog.records if r.name == "takehome.ops"]
    assert failed
    assert f"broker failed: {checks['broker']}: " in failed[0].getMessage()


def test_metrics_count_queue_states_and_gradings(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    for _ in range(2):
        response = client.post(
            "/api/submissions",
            headers=reviewer_headers,
            data={"challenge": "calculator"},
            files={"archive": ("a.tgz", reference_archive())},
        )
        assert response.status_code == 202
    before = _samples(client.get("/metrics").text)
    assert before[("takehome_queue_depth", ())] == 2
    assert before[("takehome_runs", (("state", "queued"),))] == 2
    graded_key = ("takehome_grading_seconds_count", (("challenge", "calculator"),))
    graded_before = before.get(graded_key, 0.0)

    assert len(grade_all(svc)) == 2
    after = _samples(client.get("/metrics").text)
    assert after[("takehome_queue_depth", ())] == 0
    assert after[("takehome_runs", (("state", "done"),))] == 2
    assert after[graded_key] == graded_before + 2  # counters are per process, hence the delta


def test_json_log_lines_carry_run_and_submission_ids() -> None:
    record = logging.LogRecord(
        "takehome.worker", logging.INFO, __file__, 1, "run %s", ("r1",), None
    )
    record.run_id = "r1"
    record.submission_id = "s1"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "run r1"
    assert (line["run_id"], line["submission_id"], line["level"]) == ("r1", "s1", "info")
    assert "attempt" not in line


TOKEN = "Zm9vYmFyLWJhei1xdXV4LTEyMzQ1Njc4OTAtYWJjZGVmZ2hpams"  # the shape of token_urlsafe(32)


def _access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it: the request path is an argument."""
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


def test_invite_tokens_are_redacted_in_text_and_json_lines() -> None:
    for formatter in (JsonFormatter(), logging.Formatter("%(levelname)s %(message)s")):
        record = _access_record(f"/i/{TOKEN}/submissions/s1?x=1")
        assert RedactInviteTokens().filter(record)
        line = formatter.format(record)
        assert TOKEN not in line
        assert record.getMessage() == (
            '127.0.0.1:5000 - "GET /i/<redacted>/submissions/s1?x=1 HTTP/1.1" 200'
        )
    # A token in the message itself; a `/i/%s` placeholder keeps working.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f"see /i/{TOKEN}", None, None)
    RedactInviteTokens().filter(record)
    assert record.getMessage() == "see /i/<redacted>"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "at /i/%s", (TOKEN,), None)
    RedactInviteTokens().filter(record)
    assert record.getMessage() == "at /i/<redacted>"


def test_configured_json_log_of_an_access_line_holds_no_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("json")  # its handler writes to the (captured) stderr
        logging.getLogger("uvicorn.access").handle(_access_record(f"/i/{TOKEN}"))
    finally:
        root.handlers[:], root.level = saved
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["logger"] for line in lines] == ["uvicorn.access"]
    assert "/i/<redacted> HTTP/1.1" in lines[0]["message"]
    assert TOKEN not in json.dumps(lines)
