"""`takehome worker` checks every grader before it consumes: a grader registered to fail makes it
exit with one line and exit code 1, before it ever reaches the broker."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import EXIT_CHECK_FAILED, cli
from tests.failing_grader import NAME, REASON, register_failing_grader

pytestmark = pytest.mark.docker

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"


@pytest.fixture
def _root_logging() -> Iterator[None]:
    """`takehome worker` configures the root logger: put it back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], root.level = saved


@pytest.mark.usefixtures("_root_logging")
def test_worker_with_a_failing_grader_takes_no_run_and_says_which(
    tmp_path: Path, tools_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    del tools_image  # built, so the check is what fails, not the image build
    register_failing_grader(monkeypatch)
    env = {
        "TAKEHOME_DATA_DIR": str(tmp_path / "data"),
        "TAKEHOME_CHALLENGE_DIRS": str(CHALLENGES),
        "TAKEHOME_QUEUE": "celery",
        # Nothing listens there: a worker that went on to consume would retry it, not exit.
        "TAKEHOME_BROKER_URL": "redis://127.0.0.1:9/0",
    }
    result = CliRunner().invoke(cli, ["worker", "--concurrency", "1"], env=env)
    assert result.exit_code == EXIT_CHECK_FAILED, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: grader self-check failed, no runs are taken ({NAME}: {REASON})"]
    assert "celery@" not in result.output  # the Celery worker never started
