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
    # The service (`takehome serve`): database, secrets, worker threads, listening address.
    database_url: str = ""
    """SQLAlchemy URL; empty: SQLite (WAL) at `<data_dir>/takehome.db`."""
    secret_key: str = ""
    """Signs session cookies; the service refuses to start without one unless `dev_mode`."""
    dev_mode: bool = False
    workers: int = Field(default=1, ge=0, le=64)
    """Grading worker threads inside `takehome serve` (0: enqueue only)."""
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = ""
    """Base URL printed in invite links; empty: `http://<host>:<port>`."""
    max_attempts: int = Field(default=3, ge=1, le=20)
    """Grading attempts per run before an infrastructure fault marks it failed."""
    lease_seconds: float = Field(default=900.0, gt=0)
    """How long a worker owns a run without news before another worker may take it."""

    @field_validator("challenge_dirs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [p for p in value.split(os.pathsep) if p]
        return value

    def images(self) -> ImageSettings:
        """The image-building part of the settings."""
        return ImageSettings(base_image=self.base_image, cache_dir=self.cache_dir)
