"""The grading engine from `Settings`: the Docker sandbox, its image builder and a pipeline.

The pipeline here is not self-checked yet: processes that grade get theirs from
`runner.wiring` (`docker_pipeline`), which checks every grader in this sandbox first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from runner.challenge import Challenge
from runner.pipeline import Pipeline
from runner.settings import Settings
from sandbox.docker import DockerSandbox, connect
from sandbox.images import ImageBuilder

__all__ = ["Engine", "open_engine"]


@dataclass(frozen=True)
class Engine:
    """A connected sandbox, its image builder and a pipeline that uses both."""

    sandbox: DockerSandbox
    images: ImageBuilder
    pipeline: Pipeline


def open_engine(settings: Settings, log: Callable[[str], None] = print) -> Engine:
    """Connect to the Docker engine (raises `EngineUnavailable`) and wire the pipeline."""
    client = connect()
    sandbox = DockerSandbox(client, runtime=settings.runtime)
    images = ImageBuilder(client, settings.images(), log=log)

    def resolve(challenge: Challenge) -> str:
        manifest = challenge.manifest
        return images.ensure_challenge(
            manifest.id, manifest.dependencies.allowed, manifest.image.debian
        )

    return Engine(sandbox, images, Pipeline(sandbox, resolve, concurrency=settings.concurrency))
