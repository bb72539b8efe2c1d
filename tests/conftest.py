"""Shared fixtures: the Docker gate and the leak check of every test marked `docker`.

A test marked `docker` needs a reachable engine. Without one it is skipped on a developer's
machine and fails in CI (`CI=true`): a missing engine must never turn the suite green there.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
import sqlalchemy as sa

from sandbox.docker import DockerSandbox, connect
from sandbox.images import ImageBuilder, ImageSettings
from sandbox.reaper import reap
from sandbox.spec import EngineUnavailable
from tests.gitserver import GitServer
from tests.leaks import labelled

#: The service fixtures (settings, app, client, svc, live_server, ...) for every directory.
pytest_plugins = ["tests.fakeservice"]


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client of the local engine; skip (locally) or fail (in CI) without one."""
    try:
        client = connect()
    except EngineUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Docker engine is required in CI: {exc}")
        pytest.skip(f"no Docker engine: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def tools_image(docker_client: docker.DockerClient) -> str:
    """The tools image's tag, built on first use (about 80 s), found afterwards."""
    return ImageBuilder(docker_client, ImageSettings(), log=lambda _line: None).ensure_tools()


@pytest.fixture
def docker_sandbox(docker_client: docker.DockerClient) -> DockerSandbox:
    return DockerSandbox(docker_client)


@pytest.fixture(autouse=True)
def _run_ids(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Every run id a test used; after a `docker` test, nothing labelled with one may remain.

    Every `docker` test also passes the Docker gate here, even one that never asks for a client.
    """
    ids: list[str] = []
    if request.node.get_closest_marker("docker") is None:
        yield ids
        return
    client: docker.DockerClient = request.getfixturevalue("docker_client")
    yield ids
    leftovers = labelled(client, *ids)
    for run_id in ids:
        reap(client, run_id=run_id)  # report the leak, but do not let it pile up on the engine
    assert not leftovers, f"the sandbox left objects behind: {leftovers}"


@pytest.fixture
def new_run_id(_run_ids: list[str]) -> Callable[[], str]:
    """A factory of unique run ids, each checked for leftovers after the test."""

    def make() -> str:
        run_id = "t-" + uuid.uuid4().hex[:12]
        _run_ids.append(run_id)
        return run_id

    return make


@pytest.fixture
def run_id(new_run_id: Callable[[], str]) -> str:
    return new_run_id()


def _service_url(variable: str) -> str:
    """The URL of a test service started by scripts/services.sh; skip (locally) or fail (CI)."""
    url = os.environ.get(variable, "")
    if not url:
        message = f"{variable} is not set: run the tests through scripts/test.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis (marker `services`)."""
    return _service_url("TAKEHOME_TEST_REDIS_URL")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL server's maintenance database (marker `services`)."""
    return _service_url("TAKEHOME_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    """A real smart-HTTP Git server on 127.0.0.1 (`tests/gitserver.py`); skip (locally) or fail
    (in CI) without a `git` binary."""
    if shutil.which("git") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("git is required in CI (scripts/setup.sh installs it)")
        pytest.skip("no git binary")
    with GitServer(tmp_path / "git") as server:
        yield server
