"""`reap()` against the real engine: it removes what a crashed run left, and only that."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import docker
import docker.errors
import pytest

from sandbox.docker import LABEL_MANAGED, LABEL_RUN, LABEL_STEP
from sandbox.reaper import Reaped, _created, reap


class _Leftovers:
    """Creates objects the way `DockerSandbox` labels them, as if a crashed run left them."""

    def __init__(self, client: docker.DockerClient, image: str) -> None:
        self._client = client
        self._image = image
        self.made: list[tuple[str, str]] = []

    def volume(self, run_id: str, managed: bool = True) -> str:
        name = f"takehome-{run_id}-{uuid.uuid4().hex[:10]}"
        labels = {LABEL_RUN: run_id, LABEL_STEP: "tests"} | (
            {LABEL_MANAGED: "1"} if managed else {}
        )
        self._client.volumes.create(name=name, driver="local", labels=labels)
        self.made.append(("volume", name))
        return name

    def container(self, run_id: str, volume: str, start: bool = False) -> str:
        name = f"takehome-{run_id}-{uuid.uuid4().hex[:10]}"
        container = self._client.containers.create(
            self._image,
            ["sleep", "infinity"],
            name=name,
            labels={LABEL_MANAGED: "1", LABEL_RUN: run_id, LABEL_STEP: "tests"},
            network_mode="none",
            volumes={volume: {"bind": "/work", "mode": "rw"}},
        )
        self.made.append(("container", name))
        if start:
            container.start()
        return name

    def network(self, run_id: str) -> str:
        name = f"takehome-{run_id}-{uuid.uuid4().hex[:10]}"
        self._client.networks.create(
            name, internal=True, labels={LABEL_MANAGED: "1", LABEL_RUN: run_id}
        )
        self.made.append(("network", name))
        return name

    def exists(self, kind: str, name: str) -> bool:
        try:
            getattr(self._client, f"{kind}s").get(name)
        except docker.errors.NotFound:
            return False
        return True

    def remove_all(self) -> None:
        for kind, name in reversed(self.made):
            try:
                obj = getattr(self._client, f"{kind}s").get(name)
                if kind == "network":
                    obj.remove()
                else:
                    obj.remove(force=True)
            except docker.errors.NotFound:
                pass


@pytest.fixture
def leftovers(docker_client: docker.DockerClient, tools_image: str) -> Iterator[_Leftovers]:
    made = _Leftovers(docker_client, tools_image)
    yield made
    made.remove_all()  # whatever a failing test did not reap; the leak check sees the rest


@pytest.mark.docker
def test_reap_by_run_id_removes_exactly_that_runs_objects(
    docker_client: docker.DockerClient, leftovers: _Leftovers, new_run_id: Callable[[], str]
) -> None:
    crashed, other = new_run_id(), new_run_id()
    volume = leftovers.volume(crashed)
    container = leftovers.container(crashed, volume, start=True)  # still running
    network = leftovers.network(crashed)
    other_volume = leftovers.volume(other)
    other_container = leftovers.container(other, other_volume)
    other_network = leftovers.network(other)
    unmanaged = leftovers.volume(crashed, managed=False)

    reaped = reap(docker_client, run_id=crashed)

    assert reaped == Reaped(containers=(container,), volumes=(volume,), networks=(network,))
    assert reaped.total == 3
    assert not leftovers.exists("container", container)
    assert not leftovers.exists("volume", volume)
    assert not leftovers.exists("network", network)
    for kind, name in (
        ("container", other_container),
        ("volume", other_volume),
        ("network", other_network),
        ("volume", unmanaged),  # carries the run id but not the managed label
    ):
        assert leftovers.exists(kind, name), name
    assert reap(docker_client, run_id=crashed) == Reaped((), (), ())
    leftovers.remove_all()


@pytest.mark.docker
def test_reap_older_than_respects_creation_time(
    docker_client: docker.DockerClient, leftovers: _Leftovers, run_id: str
) -> None:
    old_volume = leftovers.volume(run_id)
    old_container = leftovers.container(run_id, old_volume)
    time.sleep(1.6)  # engine stamps are read to the second
    new_volume = leftovers.volume(run_id)
    new_container = leftovers.container(run_id, new_volume)

    assert reap(docker_client, run_id=run_id, older_than=3600) == Reaped((), (), ())
    reaped = reap(docker_client, run_id=run_id, older_than=1.5)

    assert reaped == Reaped(containers=(old_container,), volumes=(old_volume,), networks=())
    assert leftovers.exists("container", new_container)
    assert leftovers.exists("volume", new_volume)
    assert reap(docker_client, run_id=run_id).total == 2


def test_engine_timestamps_are_parsed_to_the_second() -> None:
    assert _created("2024-01-02T03:04:05.123456789Z") == 1704164645.0
    assert _created("2024-01-02T03:04:05Z") == 1704164645.0
    assert _created("2024-01-02T04:04:05+01:00") == 1704164645.0
    assert _created("") == 0.0  # unknown stamps count as old
    assert _created("yesterday") == 0.0
