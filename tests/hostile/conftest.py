"""The hostile suite's `graded` fixture: a submission graded against hostile-tiny in Docker."""

from __future__ import annotations

from collections.abc import Callable

import docker
import pytest

from graders.model import Report
from runner.intake import Snapshot
from sandbox.docker import DockerSandbox
from tests.hostile._harness import Grade, grade
from tests.leaks import labelled


@pytest.fixture
def graded(
    docker_sandbox: DockerSandbox,
    tools_image: str,
    docker_client: docker.DockerClient,
    new_run_id: Callable[[], str],
) -> Grade:
    """Grade files (or a snapshot), with hostile-tiny's `[limits]` overridden by keyword (such as
    `wall_seconds=20`); right after the run nothing may carry its label."""

    def run(
        files: dict[str, str] | None = None,
        snapshot: Snapshot | None = None,
        **limits: int,
    ) -> Report:
        run_id = new_run_id()
        files = files or {}
        report = grade(
            docker_sandbox, tools_image, run_id, files, snapshot=snapshot, limits=limits
        )
        assert labelled(docker_client, run_id) == []
        return report

    return run
