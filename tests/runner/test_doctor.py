"""`takehome doctor`'s check that these image settings can build every challenge's image."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from rich.console import Console

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
