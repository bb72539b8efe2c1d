"""Removal of sandbox leftovers: containers, volumes and networks a crashed process left behind.

Everything the Docker sandbox creates carries the `takehome.managed` label and the run id, so a
worker can remove what a crashed predecessor left for a run (`reap(client, run_id=...)`) and an
operator can sweep everything older than a bound (`reap(client, older_than=...)`).
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import docker
import docker.errors

from sandbox._engine import LABEL_MANAGED, LABEL_RUN, engine_errors

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
    with engine_errors("reaping"):
        return _reap(client, run_id, older_than)


def _reap(client: docker.DockerClient, run_id: str | None, older_than: float | None) -> Reaped:
    wanted = [f"{LABEL_MANAGED}=1"] + ([f"{LABEL_RUN}={run_id}"] if run_id else [])
    labels: dict[str, str | list[str] | bool] = {"label": wanted}
    cutoff = time.time() - older_than if older_than is not None else math.inf
    containers = _due(client.containers.list(all=True, filters=labels), "Created", cutoff)
    for container in containers:
        _quietly(functools.partial(container.remove, force=True))
    networks = _due(client.networks.list(filters=labels), "Created", cutoff, reload=True)
    for network in networks:
        for attached in network.attrs.get("Containers") or {}:
            _quietly(functools.partial(network.disconnect, attached, force=True))
        _quietly(network.remove)
    # Volumes last: a volume is only free once its container is gone.
    volumes = _due(client.volumes.list(filters=labels), "CreatedAt", cutoff)
    for volume in volumes:
        _quietly(functools.partial(volume.remove, force=True))
    return Reaped(_names(containers), _names(volumes), _names(networks))


def _due(objects: list[Any], stamp: str, cutoff: float, reload: bool = False) -> list[Any]:
    """The objects created before `cutoff` (a listed network lacks its attached containers
    until reloaded)."""
    for obj in objects if reload else ():
        obj.reload()
    return [obj for obj in objects if _created(obj.attrs.get(stamp, "")) < cutoff]


def _names(objects: list[Any]) -> tuple[str, ...]:
    return tuple(str(obj.name) for obj in objects)


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
