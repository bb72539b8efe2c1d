"""Image building: content-hash tags, nothing rebuilt when inputs are unchanged, challenge
dependencies baked in from a wheelhouse (the build itself has no network)."""

from __future__ import annotations

import docker
import pytest

from sandbox import RunSpec, SandboxFailure
from sandbox.docker import DockerSandbox
from sandbox.images import SERVICE_INCLUDE, TOOL_PINS, ImageBuilder, ImageSettings

pytestmark = pytest.mark.docker


def _builder(client: docker.DockerClient, log: list[str]) -> ImageBuilder:
    return ImageBuilder(client, ImageSettings(), log=log.append)


def test_unchanged_inputs_build_nothing(
    docker_client: docker.DockerClient, tools_image: str
) -> None:
    log: list[str] = []
    builder = _builder(docker_client, log)
    assert builder.ensure_tools() == tools_image
    assert builder.ensure_challenge("nodeps", []) == tools_image  # no deps: the tools image
    assert log == []
    assert tools_image.startswith("takehome-tools:")
    assert builder.base_tag().startswith("takehome-base:")


def test_tools_image_has_the_pinned_tools(
    docker_sandbox: DockerSandbox, tools_image: str, run_id: str
) -> None:
    script = "import importlib.metadata as m; print(' '.join(f'{p}=={m.version(p)}' for p in %r))"
    names = [pin.split("==")[0] for pin in TOOL_PINS]
    done = docker_sandbox.run(
        RunSpec(
            image=tools_image,
            argv=("/opt/takehome/bin/python", "-c", script % names),
            run_id=run_id,
        )
    )
    assert done.ok, done.stderr
    assert done.stdout.decode().split() == list(TOOL_PINS)


def test_challenge_dependencies_are_baked_in(
    docker_client: docker.DockerClient,
    docker_sandbox: DockerSandbox,
    tools_image: str,
    run_id: str,
) -> None:
    log: list[str] = []
    builder = _builder(docker_client, log)
    tag = builder.ensure_challenge("imagetest", ["six==1.17.0"])
    assert tag.startswith("takehome-challenge-imagetest:")
    assert builder.challenge_tag("imagetest", ["six==1.17.0"]) == tag
    assert builder.challenge_tag("imagetest", ["six==1.16.0"]) != tag
    log.clear()
    assert builder.ensure_challenge("imagetest", ["six==1.17.0"]) == tag
    assert log == []  # found, not rebuilt
    done = docker_sandbox.run(
        RunSpec(
            image=tag,
            argv=("/opt/takehome/bin/python", "-c", "import six; print(six.__version__)"),
            run_id=run_id,
        )
    )
    assert done.stdout == b"1.17.0\n", done.stderr


def test_an_unknown_dependency_fails_clearly(
    docker_client: docker.DockerClient, tools_image: str
) -> None:
    builder = _builder(docker_client, [])
    with pytest.raises(SandboxFailure, match="pip download"):
        builder.ensure_challenge("imagetest", ["takehome-no-such-package-xyz==0.0.1"])


def test_only_the_service_base_has_git(
    docker_client: docker.DockerClient,
    docker_sandbox: DockerSandbox,
    tools_image: str,
    run_id: str,
) -> None:
    builder = _builder(docker_client, [])
    assert "git" in SERVICE_INCLUDE
    assert builder.service_base_tag().startswith("takehome-service-base:")
    assert builder.service_base_tag().split(":")[1] != builder.base_tag().split(":")[1]
    configured = ImageBuilder(docker_client, ImageSettings(base_image="example/py:1"))
    assert configured.service_base_tag() == configured.base_tag() == "example/py:1"
    # Candidate containers start from the tools image: no git in there.
    which = "import shutil; print(shutil.which('git'), shutil.which('python3'))"
    done = docker_sandbox.run(
        RunSpec(image=tools_image, argv=("/opt/takehome/bin/python", "-c", which), run_id=run_id)
    )
    assert done.ok, done.stderr
    assert done.stdout.decode().split() == ["None", "/usr/bin/python3"]
