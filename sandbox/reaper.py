"""Removal of sandbox leftovers: containers, volumes and networks a crashed process left behind.

Everything the Docker sandbox creates carries the `takehome.managed` label and the run id, so a
worker can remove what a crashed predecessor left for a run (`reap(client, run_id=...)`) and an
operator can sweep everything older than a bound (`reap(client, older_than=...)`).
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import docker
import docker.errors

from sandbox.docker import LABEL_MANAGED, LABEL_RUN

__all__ = ["Reaped", "reap"]


@dataclass(frozen=True)
class Reaped:
    """What one sweep removed (names)."""

    containers: tuple[str, ...]
    volumes: tuple[str, ...]
    networks: tuple[str, ...]

    @property
    def total(self) -> int:
        """How many objects were removed."""
        return len(self.containers) + len(self.volumes) + len(self.networks)


def reap(
    client: docker.DockerClient, run_id: str | None = None, older_than: float | None = None
) -> Reaped:
    """Remove takehome-managed objects, all of them or those of one run or older than N seconds."""
    labels = [f"{LABEL_MANAGED}=1"] + ([f"{LABEL_RUN}={run_id}"] if run_id else [])
    cutoff = None if older_than is None else time.time() - older_than
    containers: list[str] = []
    for container in client.containers.list(all=True, filters={"label": labels}):
        if cutoff is None or _created(container.attrs.get("Created", "")) < cutoff:
            _quietly(functools.partial(container.remove, force=True))
            containers.append(str(container.name))
    networks: list[str] = []
    for network in client.networks.list(filters={"label": labels}):
        network.reload()
        if cutoff is None or _created(network.attrs.get("Created", "")) < cutoff:
            for attached in network.attrs.get("Containers") or {}:
                _quietly(functools.partial(network.disconnect, attached, force=True))
            _quietly(network.remove)
            networks.append(str(network.name))
    volumes: list[str] = []
    for volume in client.volumes.list(filters={"label": labels}):
        if cutoff is None or _created(volume.attrs.get("CreatedAt", "")) < cutoff:
            _quietly(functools.partial(volume.remove, force=True))
            volumes.append(str(volume.name))
    return Reaped(tuple(containers), tuple(volumes), tuple(networks))


def _created(stamp: str) -> float:
    """Seconds since the epoch of an engine timestamp; unknown stamps count as old."""
    try:
        # The engine prints nanoseconds, which fromisoformat does not take.
        return datetime.fromisoformat(
            re.sub(r"\.\d+", "", stamp).replace("Z", "+00:00")
        ).timestamp()
    except ValueError:
        return 0.0


def _quietly(action: Callable[[], object]) -> None:
    # NotFound: removed meanwhile. Conflict (409): still in use, e.g. an old volume held by a
    # young container; the next sweep takes it.
    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        action()
