"""End to end in real containers: the calculator reference through the API to a report."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.services import Services
from runner.settings import Settings
from runner.store.records import create_api_token, create_reviewer
from tests.fakeservice import CHALLENGES, reference_archive


@pytest.mark.docker
def test_reference_is_graded_in_containers(
    docker_client: docker.DockerClient, tools_image: str, tmp_path: Path
) -> None:
    del docker_client, tools_image  # the gate, and the tools image built before grading
    settings = Settings(
        data_dir=tmp_path / "data",
        challenge_dirs=[CHALLENGES],
        secret_key="e2e-secret-key-0123456789abcdef",
        workers=0,
    )
    app = create_app(settings)
    svc: Services = app.state.services
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    headers = {"Authorization": f"Bearer {create_api_token(svc.db, 'rev@example.com')}"}
    with TestClient(app) as client:
        response = client.post(
            "/api/submissions",
            headers=headers,
            data={"challenge": "calculator"},
            files={"archive": ("reference.tar.gz", reference_archive())},
        )
        assert response.status_code == 202
        submission = response.json()["id"]
        assert svc.worker(name="e2e").run_once() is not None
        state = client.get(f"/api/submissions/{submission}", headers=headers).json()
        assert state["state"] == "done", state
        report = client.get(f"/api/submissions/{submission}/report", headers=headers).json()
    assert report["score"] >= 90
    assert report["provenance"]["challenge"]["id"] == "calculator"
    assert report["provenance"]["image"]["id"].startswith("sha256:")
