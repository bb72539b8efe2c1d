"""In-process token buckets: how many submission attempts one invite or one client address may
make in a short time.

A `Buckets` holds one bucket per key (an invite id, a client address); each starts full with
`burst` tokens and gets `per_minute` back a minute, up to `burst`. An attempt takes one token or
is refused with `RateLimited` (429) carrying the seconds until a token is back (`Retry-After`).
Attempts are counted before any body is read, refused ones included: that is the point. The
buckets live in one service process (`Services.submit_limits`); behind several processes, or
behind a reverse proxy that hides client addresses, a proxy limits per real client.
Buckets that are full again are forgotten, so the table stays as small as the recent callers.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from api.errors import RateLimited
from runner.settings import Settings

__all__ = ["Buckets", "SubmitLimits"]

_SWEEP_EVERY = 1024  # takes between two sweeps of the table


class Buckets:
    """Token buckets by key: `burst` tokens, `per_minute` back a minute."""

    def __init__(
        self, burst: int, per_minute: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.per_second = per_minute / 60.0
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._takes = 0

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._tokens.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.per_second)

    def take(self, key: str, what: str) -> None:
        """Take one token of `key`'s bucket, or raise `RateLimited` naming `what`."""
        with self._lock:
            now = self._clock()
            level = self._level(key, now)
            if level < 1.0:
                wait = math.ceil((1.0 - level) / self.per_second)
                raise RateLimited(
                    f"too many submission attempts from this {what}: try again in {wait} s",
                    retry_after=max(1, wait),
                )
            self._tokens[key] = (level - 1.0, now)
            self._takes += 1
            if self._takes % _SWEEP_EVERY == 0:
                self._sweep(now)

    def _sweep(self, now: float) -> None:
        full = [key for key in self._tokens if self._level(key, now) >= self.burst]
        for key in full:
            del self._tokens[key]

    def __len__(self) -> int:
        return len(self._tokens)


@dataclass(frozen=True)
class SubmitLimits:
    """The submission rate limits of a service: per invite and per client address."""

    per_invite: Buckets
    per_address: Buckets

    @classmethod
    def from_settings(cls, settings: Settings) -> SubmitLimits:
        """Empty buckets sized by `settings`' `submit_*` fields."""
        return cls(
            per_invite=Buckets(
                settings.submit_burst_per_invite, settings.submit_per_minute_per_invite
            ),
            per_address=Buckets(
                settings.submit_burst_per_address, settings.submit_per_minute_per_address
            ),
        )
