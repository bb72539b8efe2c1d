"""Settings of the grading engine, read from `TAKEHOME_*` environment variables and validated.

Settings are passed to what needs them, never imported as a global.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sandbox.images import ImageSettings

__all__ = ["Settings", "default_challenge_dirs"]


def default_challenge_dirs() -> list[Path]:
    """The repository's `challenges/` folder (next to the packages) and `./challenges`."""
    bundled = Path(__file__).resolve().parents[1] / "challenges"
    local = Path.cwd() / "challenges"
    return [p for p in dict.fromkeys((bundled, local)) if p.is_dir()]


class Settings(BaseSettings):
    """Engine settings. Every field can be set as `TAKEHOME_<FIELD>`.

    `TAKEHOME_CHALLENGE_DIRS` is a `:`-separated list of folders."""

    model_config = SettingsConfigDict(env_prefix="TAKEHOME_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path.home() / ".local" / "share" / "takehome")
    challenge_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=default_challenge_dirs)
    base_image: str | None = None
    """A registry image to build on (e.g. python:3.12-slim) instead of the local Debian rootfs."""
    cache_dir: Path = (
        Path("/var/cache/takehome") if os.geteuid() == 0 else (Path.home() / ".cache" / "takehome")
    )
    runtime: str | None = None
    """OCI runtime for sandbox containers (e.g. runsc where gVisor works); default: engine's."""
    concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)

    @field_validator("challenge_dirs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [p for p in value.split(os.pathsep) if p]
        return value

    def images(self) -> ImageSettings:
        """The image-building part of the settings."""
        return ImageSettings(base_image=self.base_image, cache_dir=self.cache_dir)
