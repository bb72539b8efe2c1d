"""What a run left on the engine: every object that carries one of its run ids as a label."""

from __future__ import annotations

import docker

from sandbox.docker import LABEL_RUN

__all__ = ["labelled"]


def labelled(client: docker.DockerClient, *run_ids: str) -> list[str]:
    """Every container, volume and network carrying one of `run_ids`, as "kind name" strings."""
    found: list[str] = []
    for run_id in run_ids:
        label: dict[str, str | list[str] | bool] = {"label": f"{LABEL_RUN}={run_id}"}
        found += [f"container {c.name}" for c in client.containers.list(all=True, filters=label)]
        found += [f"volume {v.name}" for v in client.volumes.list(filters=label)]
        found += [f"network {n.name}" for n in client.networks.list(filters=label)]
    return found
