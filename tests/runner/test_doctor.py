"""Image settings that cannot build a challenge's image: `takehome doctor` names the challenge,
`takehome images build` skips it (or fails when it is named)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from click.testing import CliRunner
from rich.console import Console

import runner.cli as cli_module
from runner.challenge import find_challenges
from runner.doctor import _buildable
from sandbox.images import ImageBuilder, ImageSettings

CHALLENGES = Path(__file__).resolve().parents[2] / "challenges"


def _check(settings: ImageSettings) -> tuple[bool, str]:
    console = Console(record=True, width=400)
    # Naming a base needs no engine: the check never reaches the client.
    builder = ImageBuilder(cast(Any, None), settings, log=lambda _m: None)
    ok = _buildable(builder, find_challenges(CHALLENGES), console)
    return ok, console.export_text()


def test_a_registry_base_cannot_build_a_challenge_that_needs_debian_packages() -> None:
    ok, text = _check(ImageSettings(base_image="python:3.12-slim"))
    assert not ok
    # django-orm-performance needs postgresql from Debian; the other packs do not.
    lines = text.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("✗ challenge django-orm-performance Debian packages (postgresql")
    assert "unset TAKEHOME_BASE_IMAGE" in lines[0]


def test_the_local_base_can_build_every_bundled_challenge() -> None:
    assert _check(ImageSettings()) == (True, "")


class _Images:
    """The `ImageBuilder` calls `takehome images build` makes, with a registry base set: the
    real builder's refusal for a challenge with Debian packages, no engine."""

    def __init__(self) -> None:
        self._real = ImageBuilder(cast(Any, None), ImageSettings(base_image="python:3.12-slim"))
        self.built: list[str] = []

    def ensure_base(self) -> str:
        return "python:3.12-slim"

    def ensure_tools(self) -> str:
        return "takehome-tools:x"

    def ensure_challenge(self, cid: str, _requirements: object, debian: tuple[str, ...]) -> str:
        if debian:
            self._real.debian_base_tag(debian)  # raises SandboxMisconfigured
        self.built.append(cid)
        return f"takehome-challenge-{cid}:x"


@pytest.fixture
def images(monkeypatch: pytest.MonkeyPatch) -> _Images:
    fake = _Images()
    monkeypatch.setattr(cli_module, "open_engine", lambda *_a, **_k: SimpleNamespace(images=fake))
    return fake


def test_images_build_skips_what_it_cannot_build_and_says_why(
    images: _Images, tmp_path: Path
) -> None:
    env = {"TAKEHOME_DATA_DIR": str(tmp_path), "TAKEHOME_CHALLENGE_DIRS": str(CHALLENGES)}
    done = CliRunner().invoke(cli_module.cli, ["images", "build"], env=env)
    assert done.exit_code == 0, done.output
    assert "django-orm-performance skipped: Debian packages (postgresql" in done.output
    assert sorted(images.built) == sorted(
        set(find_challenges(CHALLENGES)) - {"django-orm-performance"}
    )
    named = CliRunner().invoke(
        cli_module.cli, ["images", "build", "--challenge", "django-orm-performance"], env=env
    )
    assert named.exit_code == 2  # a setting to change
    assert "unset TAKEHOME_BASE_IMAGE" in named.output
