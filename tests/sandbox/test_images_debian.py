"""Challenge images with Debian packages (`[image] debian`): a base of their own, debootstrapped
with the packages, under the tools and the challenge's dependencies."""

from __future__ import annotations

import tomllib
from pathlib import Path

import docker
import pytest

from sandbox import RunSpec, SandboxMisconfigured
from sandbox.docker import DockerSandbox
from sandbox.images import TOOL_PINS, ImageBuilder, ImageSettings

pytestmark = pytest.mark.docker

# The django-orm-performance pack's inputs: the same image as the pack's, built once.
_PACK = Path(__file__).resolve().parents[2] / "challenges" / "django-orm-performance"
_MANIFEST = tomllib.loads((_PACK / "challenge.toml").read_text())
_ID = _MANIFEST["id"]
_REQUIREMENTS = _MANIFEST["dependencies"]["allowed"]
_DEBIAN = _MANIFEST["image"]["debian"]
_CHECK = """\
import importlib.metadata as m, shutil, subprocess
print(subprocess.run(['/usr/lib/postgresql/15/bin/postgres', '--version'],
                     capture_output=True, text=True).stdout.strip())
print(' '.join(f'{p}=={m.version(p)}' for p in %r))
print(m.version('psycopg'), shutil.which('git'))
"""


def test_debian_packages_get_their_own_base_and_tag(
    docker_client: docker.DockerClient, tools_image: str
) -> None:
    builder = ImageBuilder(docker_client, ImageSettings(), log=lambda _line: None)
    own = builder.debian_base_tag(_DEBIAN)
    assert own.startswith("takehome-base:")
    assert own != builder.base_tag()
    assert builder.debian_base_tag(["postgresql", "python3"]) == own  # python3 is always there
    assert builder.debian_base_tag(["postgresql", "redis-server"]) != own
    configured = ImageBuilder(docker_client, ImageSettings(base_image="example/py:1"))
    with pytest.raises(SandboxMisconfigured, match="TAKEHOME_BASE_IMAGE"):
        configured.ensure_challenge(_ID, _REQUIREMENTS, _DEBIAN)


def test_without_debootstrap_the_refusal_offers_a_registry_base_only_where_one_would_do(
    docker_client: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A suite nobody built: every base tag is missing, so each build reaches debootstrap.
    monkeypatch.setattr("sandbox.images.shutil.which", lambda _name: None)
    builder = ImageBuilder(docker_client, ImageSettings(debian_suite="never-built"))
    with pytest.raises(SandboxMisconfigured, match="TAKEHOME_BASE_IMAGE") as plain:
        builder.ensure_base()
    assert "debootstrap" in str(plain.value)
    # Debian packages only come from debootstrap: a registry base is no alternative, even for
    # packages that the service base has too.
    for debian in (_DEBIAN, ["git"]):
        with pytest.raises(SandboxMisconfigured, match="debootstrap") as packages:
            builder.ensure_challenge(_ID, _REQUIREMENTS, debian)
        assert "TAKEHOME_BASE_IMAGE" not in str(packages.value)


def test_the_image_has_the_packages_the_tools_and_the_dependencies(
    docker_client: docker.DockerClient, docker_sandbox: DockerSandbox, run_id: str
) -> None:
    log: list[str] = []
    builder = ImageBuilder(docker_client, ImageSettings(), log=log.append)
    tag = builder.ensure_challenge(_ID, _REQUIREMENTS, _DEBIAN)
    assert tag == builder.challenge_tag(_ID, _REQUIREMENTS, _DEBIAN)
    assert tag != builder.challenge_tag(_ID, _REQUIREMENTS)
    log.clear()
    assert builder.ensure_challenge(_ID, _REQUIREMENTS, _DEBIAN) == tag
    assert log == []  # found, not rebuilt
    names = [pin.split("==")[0] for pin in TOOL_PINS]
    done = docker_sandbox.run(
        RunSpec(image=tag, argv=("/opt/takehome/bin/python", "-c", _CHECK % names), run_id=run_id)
    )
    assert done.ok, done.stderr
    server, tools, extra = done.stdout.decode().splitlines()
    assert server.startswith("postgres (PostgreSQL) 15.")
    assert tools.split() == list(TOOL_PINS)
    assert extra == "3.2.13 None"  # psycopg from [dependencies]; git only in the service base
