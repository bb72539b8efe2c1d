"""Liveness, readiness (which dependency failed), Prometheus metrics and JSON logs."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api import create_app
from api.services import Services
from runner.logs import JsonFormatter
from runner.settings import Settings
from tests.api.conftest import fake_pipeline, grade_all, reference_archive


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


def test_readyz_names_the_unreachable_broker(settings: Settings) -> None:
    # Port 9 on loopback: nothing listens there, the connection is refused at once.
    broken = settings.model_copy(
        update={"queue": "celery", "broker_url": "redis://127.0.0.1:9/0", "dispatch_seconds": 60}
    )
    with TestClient(create_app(broken, pipeline_factory=fake_pipeline)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["broker"] != "ok"


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
