"""Service mode in real containers: the kv-service challenge, an app that never becomes ready,
one that dies, and the app's view of the network."""

from __future__ import annotations

import shutil
from pathlib import Path

import docker
import pytest

from runner.challenge import Challenge, load_challenge
from runner.intake import Snapshot
from runner.pipeline import Pipeline
from runner.validate import validate_challenge
from sandbox.docker import DockerSandbox
from tests.leaks import labelled
from tests.runids import RecordingSandbox

pytestmark = pytest.mark.docker

KV = Path(__file__).resolve().parents[1] / "challenges" / "kv-service"


@pytest.fixture
def pipeline(docker_sandbox: DockerSandbox, tools_image: str) -> Pipeline:
    return Pipeline(docker_sandbox, lambda _c: tools_image, concurrency=2)


@pytest.fixture
def quick_kv(tmp_path: Path) -> Challenge:
    """The kv-service challenge with a 3-second readiness deadline."""
    root = tmp_path / "kv-service"
    shutil.copytree(KV, root)
    manifest = root / "challenge.toml"
    manifest.write_text(manifest.read_text().replace("ready_seconds = 20", "ready_seconds = 3"))
    return load_challenge(root)


def test_kv_service_validates(
    docker_sandbox: DockerSandbox, tools_image: str, docker_client: docker.DockerClient
) -> None:
    recording = RecordingSandbox(docker_sandbox)
    pipeline = Pipeline(recording, lambda _c: tools_image, concurrency=2)
    outcomes = validate_challenge(load_challenge(KV), pipeline)
    assert {o.name: o.problems for o in outcomes if not o.ok} == {}
    reference = outcomes[0].report
    assert reference.categories["tests"].score == 100.0
    assert '"PUT /items/alpha HTTP/1.1" 201' in reference.logs["app"]
    assert recording.run_ids
    assert labelled(docker_client, *recording.run_ids) == []


def test_an_app_that_never_listens(pipeline: Pipeline, quick_kv: Challenge) -> None:
    app = b"import time\nprint('starting', flush=True)\ntime.sleep(600)\n"
    report = pipeline.grade(
        quick_kv, Snapshot(files={"kv/__init__.py": b"", "kv/__main__.py": app})
    )
    kinds = {v.kind.value: v.detail for v in report.verdicts}
    assert "not ready" in kinds["service_not_ready"]
    assert "still running" in kinds["service_not_ready"]
    assert report.categories["tests"].score == 0.0
    assert "starting" in report.logs["app"]


def test_an_app_that_dies(pipeline: Pipeline, quick_kv: Challenge) -> None:
    app = b"import sys\nsys.exit('cannot start: no config')\n"
    report = pipeline.grade(
        quick_kv, Snapshot(files={"kv/__init__.py": b"", "kv/__main__.py": app})
    )
    kinds = {v.kind.value: v.detail for v in report.verdicts}
    assert "no longer running" in kinds["service_not_ready"]
    assert "status 1" in kinds["service_exited"]
    assert "cannot start: no config" in report.logs["app"]


def test_the_app_sees_loopback_only(pipeline: Pipeline, quick_kv: Challenge) -> None:
    app = (
        b"import socket, time\n"
        b"print('interfaces', sorted(n for _, n in socket.if_nameindex()), flush=True)\n"
        b"time.sleep(600)\n"
    )
    report = pipeline.grade(
        quick_kv, Snapshot(files={"kv/__init__.py": b"", "kv/__main__.py": app})
    )
    assert "interfaces ['lo']" in report.logs["app"]
