"""Sandbox images: a base (a local Debian rootfs or a configured registry image), a tools image
with the pinned grading tools, and one image per challenge with its allowed dependencies.

No registry is needed: the default base is built with debootstrap and imported, and Python
packages are installed from a host-side wheelhouse (downloaded for the image's Python and
platform) with the build's network switched off. Tags are content hashes of the inputs, so an
image whose inputs did not change is found, not rebuilt.

A challenge that needs Debian packages (`[image] debian = ["postgresql"]`) gets a base of its
own, debootstrapped with those packages besides Python (its tag hashes the package list), and its
image installs the tools and its dependencies on that base: no build ever reaches a network.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess  # nosec B404 - fixed argv lists only
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docker

from sandbox._engine import engine_errors, image_exists, image_id
from sandbox.pins import TOOL_PINS
from sandbox.spec import ImageMissing, SandboxFailure, SandboxMisconfigured

__all__ = [
    "SERVICE_INCLUDE",
    "TOOL_PINS",
    "ImageBuilder",
    "ImageSettings",
]

# TOOL_PINS (sandbox/pins.py) are the grading tools baked into every sandbox image, re-exported
# here for the image's users. Changing a pin changes every image tag.
_DEBIAN_INCLUDE = ("python3", "python3-venv")
#: The service image's base (scripts/build-service-image.sh) also has git for Git intake; the
#: sandbox base, and so every candidate container, has no git.
SERVICE_INCLUDE = (*_DEBIAN_INCLUDE, "git", "ca-certificates")
_RECIPE_VERSION = "1"
_VENV = "/opt/takehome"
_DOCKERFILE = """\
FROM {base}
COPY wheels /tmp/wheels
RUN {python} -m venv {venv} \\
 && {venv}/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels {packages} \\
 && rm -rf /tmp/wheels
LABEL takehome.managed-image="1"
"""

Log = Callable[[str], None]


@dataclass(frozen=True)
class ImageSettings:
    """Where images come from. `base_image` set: use it (e.g. "python:3.12-slim") instead of the
    local Debian build; it must have `python3` with the venv module."""

    base_image: str | None = None
    debian_suite: str = "bookworm"
    debian_mirror: str | None = None
    cache_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("TAKEHOME_CACHE_DIR", "/var/cache/takehome"))
    )
    python: str = "python3"


class ImageBuilder:
    """Builds (or finds) the base, tools and challenge images on one engine."""

    def __init__(
        self, client: docker.DockerClient, settings: ImageSettings, log: Log = print
    ) -> None:
        self._client = client
        self._settings = settings
        self._log = log

    # -- names -------------------------------------------------------------------------
    def base_tag(self) -> str:
        """The base image's name: the configured one, or the local Debian build's hash tag."""
        return self._settings.base_image or self._debian_tag("takehome-base", _DEBIAN_INCLUDE)

    def service_base_tag(self) -> str:
        """The service image's base: the configured one (it must then have git and
        ca-certificates too), or a local Debian build with `SERVICE_INCLUDE`."""
        return self._settings.base_image or self._debian_tag(
            "takehome-service-base", SERVICE_INCLUDE
        )

    def _debian_tag(self, repo: str, include: Sequence[str]) -> str:
        recipe = f"{_RECIPE_VERSION}|{self._settings.debian_suite}|{','.join(include)}"
        return f"{repo}:{_digest(recipe)}"

    def tools_tag(self) -> str:
        """The tools image's tag: a hash of the base image id and the tool pins."""
        return (
            f"takehome-tools:{_digest(self._image_id(self.base_tag()), *TOOL_PINS, _DOCKERFILE)}"
        )

    def challenge_tag(
        self, challenge_id: str, requirements: Sequence[str], debian: Sequence[str] = ()
    ) -> str:
        """The tag of a challenge's image: a hash of the tools image id and its requirements
        (with Debian packages: of its own base's id, the tool pins and its requirements)."""
        if debian:
            base = self._image_id(self.debian_base_tag(debian))
            key = _digest(base, *TOOL_PINS, *sorted(requirements), _DOCKERFILE)
            return f"takehome-challenge-{challenge_id}:{key}"
        if not requirements:
            return self.tools_tag()
        key = _digest(self._image_id(self.tools_tag()), *sorted(requirements))
        return f"takehome-challenge-{challenge_id}:{key}"

    def debian_base_tag(self, debian: Sequence[str]) -> str:
        """The base of a challenge that needs Debian packages: a local Debian build with them."""
        if self._settings.base_image:
            raise SandboxMisconfigured(
                f"Debian packages ({', '.join(debian)}) are installed by debootstrap into a local"
                " base: unset TAKEHOME_BASE_IMAGE to build this challenge's image"
            )
        return self._debian_tag("takehome-base", _with_debian(debian))

    # -- builds ------------------------------------------------------------------------
    def ensure_base(self) -> str:
        """The base image, built from a debootstrap rootfs when it is missing."""
        return self._ensure_base(self.base_tag(), _DEBIAN_INCLUDE)

    def ensure_service_base(self) -> str:
        """The service image's base, built from a debootstrap rootfs when it is missing."""
        return self._ensure_base(self.service_base_tag(), SERVICE_INCLUDE)

    def _ensure_base(
        self, tag: str, include: Sequence[str], registry_alternative: bool = True
    ) -> str:
        """`tag`, pulled when a registry base is configured, else built by debootstrap with
        `include`; `registry_alternative` says whether a registry base could stand in for it
        (not for a challenge's Debian packages: see `debian_base_tag`)."""
        if self._exists(tag):
            return tag
        if self._settings.base_image:
            self._log(f"pulling {tag}")
            with engine_errors(
                f"base image {tag!r} is not local and cannot be pulled", ImageMissing
            ):
                self._client.images.pull(tag)
            return tag
        self._debootstrap_import(tag, include, registry_alternative)
        return tag

    def ensure_tools(self) -> str:
        """The tools image (base + pinned grading tools)."""
        self.ensure_base()
        tag = self.tools_tag()
        if not self._exists(tag):
            self._build(tag, self.base_tag(), TOOL_PINS)
        return tag

    def ensure_challenge(
        self, challenge_id: str, requirements: Sequence[str], debian: Sequence[str] = ()
    ) -> str:
        """A challenge's image: the tools image plus the challenge's allowed dependencies; with
        `debian` packages, its own base with them, plus the tools and the dependencies."""
        if debian:
            base = self._ensure_base(
                self.debian_base_tag(debian), _with_debian(debian), registry_alternative=False
            )
            tag = self.challenge_tag(challenge_id, requirements, debian)
            if not self._exists(tag):
                self._build(tag, base, (*TOOL_PINS, *requirements))
            return tag
        tools = self.ensure_tools()
        tag = self.challenge_tag(challenge_id, requirements)
        if tag != tools and not self._exists(tag):
            self._build(tag, tools, tuple(requirements), venv_exists=True)
        return tag

    # -- internals ---------------------------------------------------------------------
    def _exists(self, tag: str) -> bool:
        return image_exists(self._client, tag)

    def _image_id(self, tag: str) -> str:
        return image_id(self._client, tag)

    def _debootstrap_import(
        self, tag: str, include: Sequence[str], registry_alternative: bool
    ) -> None:
        tool = shutil.which("debootstrap")
        if tool is None or os.geteuid() != 0:
            other = (
                ", or set TAKEHOME_BASE_IMAGE to an image with python3"
                if registry_alternative
                else ""
            )
            raise SandboxMisconfigured(
                f"building the base image needs root and debootstrap (apt-get install"
                f" debootstrap){other}"
            )
        work = self._settings.cache_dir / "rootfs" / tag.split(":")[1]
        if work.exists():
            shutil.rmtree(work)
        work.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            tool,
            "--variant=minbase",
            f"--include={','.join(include)}",
            self._settings.debian_suite,
            str(work),
        ]
        if self._settings.debian_mirror:
            argv.append(self._settings.debian_mirror)
        self._log(f"debootstrap {self._settings.debian_suite} (about a minute)")
        _check_call(argv, "debootstrap")
        shutil.rmtree(work / "var" / "cache" / "apt" / "archives", ignore_errors=True)
        archive = work.with_suffix(".tar")
        _check_call(["tar", "-C", str(work), "-cf", str(archive), "."], "packing the rootfs")
        self._log(f"importing {tag}")
        repo, _, version = tag.partition(":")
        with engine_errors(f"importing {tag}"):
            self._client.api.import_image_from_file(str(archive), repository=repo, tag=version)
        archive.unlink()
        shutil.rmtree(work)

    def _build(
        self, tag: str, base: str, packages: Sequence[str], venv_exists: bool = False
    ) -> None:
        pyver = self._python_version(base)
        wheels = self._wheelhouse(pyver, packages)
        python = f"{_VENV}/bin/python" if venv_exists else self._settings.python
        dockerfile = _DOCKERFILE.format(
            base=base, python=python, venv=_VENV, packages=" ".join(_quote(p) for p in packages)
        )
        if venv_exists:
            dockerfile = dockerfile.replace(f"{python} -m venv {_VENV} \\\n && ", "")
        with tempfile.TemporaryDirectory(prefix="takehome-build-") as ctx:
            Path(ctx, "Dockerfile").write_text(dockerfile)
            shutil.copytree(wheels, Path(ctx, "wheels"))
            self._log(f"building {tag}")
            with engine_errors(f"building {tag} failed"):
                self._client.images.build(
                    path=ctx, tag=tag, rm=True, forcerm=True, network_mode="none"
                )

    def _python_version(self, image: str) -> str:
        with engine_errors(f"asking {image} for its Python version"):
            out = self._client.containers.run(
                image,
                ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                remove=True,
                network_mode="none",
            )
        return out.decode().strip()

    def _wheelhouse(self, pyver: str, packages: Sequence[str]) -> Path:
        """Wheels for the image's Python and platform, downloaded once per set of inputs."""
        machine = platform.machine()
        key = _digest(pyver, machine, *sorted(packages))
        target = self._settings.cache_dir / "wheels" / key
        if (target / ".complete").exists():
            return target
        target.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--dest",
            str(target),
            "--only-binary=:all:",
            "--python-version",
            pyver,
            "--implementation",
            "cp",
        ]
        for tag in ("manylinux_2_28", "manylinux_2_17", "manylinux2014", "manylinux1", "linux"):
            argv += ["--platform", f"{tag}_{machine}"]
        self._log(f"downloading wheels for Python {pyver}: {' '.join(packages)}")
        _check_call([*argv, *packages], f"pip download of {' '.join(packages)}")
        (target / ".complete").touch()
        return target


def _with_debian(debian: Sequence[str]) -> tuple[str, ...]:
    return (*_DEBIAN_INCLUDE, *sorted(set(debian) - set(_DEBIAN_INCLUDE)))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _quote(requirement: str) -> str:
    # Requirements were validated by the challenge schema; quote anyway so a `>` never redirects.
    return "'" + requirement.replace("'", "") + "'"


def _check_call(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)  # nosec B603
    if proc.returncode != 0:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
        detail = "\n".join(errors) if errors else proc.stderr[-2000:]
        raise SandboxFailure(f"{what} failed (exit {proc.returncode}): {detail}")
