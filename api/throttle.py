"""Login throttling: failed passwords counted per account and per client address, in-process.

Policy (the numbers are settings, `login_*`): an account may fail `free_failures` times and a
client address `free_failures_per_address` times (any accounts); each failure past that locks
the key for `lockout_seconds`, doubled at every further failure, at most `max_seconds`. While
either key is locked, `/login` answers 429 with `Retry-After` *without checking the password*, so
the right password does not get in during a lockout (and a flood costs no hashing). A lockout
always ends; a successful login resets the account's count; a key with no failure for
`max_seconds` is forgotten. So an attacker can slow an account's logins, not close it for good:
whoever waits out the lockout (at most `max_seconds`) may try again.

The counts live in this process (`Services.login_throttle`), not in the database: a restart
forgets them, and N service processes behind a balancer allow N times the attempts (put a
rate limit in the reverse proxy for that). At most `max_keys` keys of each kind are kept; past
that the stalest unlocked ones are dropped first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from runner.settings import Settings

__all__ = ["LoginThrottle", "ThrottlePolicy"]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free and how long the lockouts past them last."""

    free_failures: int = 5
    free_failures_per_address: int = 20
    lockout_seconds: float = 2.0
    max_seconds: float = 900.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        """The policy the `login_*` settings describe."""
        return cls(
            free_failures=settings.login_free_failures,
            free_failures_per_address=settings.login_free_failures_per_address,
            lockout_seconds=settings.login_lockout_seconds,
            max_seconds=settings.login_lockout_max_seconds,
        )


@dataclass
class _Count:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class _Counter:
    """Failure counts of one kind of key (accounts or addresses)."""

    def __init__(self, free: int, policy: ThrottlePolicy, max_keys: int) -> None:
        self._free = free
        self._policy = policy
        self._max_keys = max_keys
        self._counts: dict[str, _Count] = {}

    def wait(self, key: str, now: float) -> float:
        count = self._current(key, now)
        return max(0.0, count.locked_until - now) if count else 0.0

    def fail(self, key: str, now: float) -> None:
        count = self._current(key, now) or _Count()
        self._counts.pop(key, None)  # re-inserted last: the dict's order is staleness
        count.failures += 1
        count.last_failure = now
        over = count.failures - self._free
        if over >= 0:
            lockout = self._policy.lockout_seconds * 2.0 ** min(over, 40)
            count.locked_until = now + min(lockout, self._policy.max_seconds)
        self._counts[key] = count
        if len(self._counts) > self._max_keys:
            self._evict(now)

    def reset(self, key: str) -> None:
        self._counts.pop(key, None)

    def _current(self, key: str, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is not None and self._stale(count, now):
            del self._counts[key]
            return None
        return count

    def _stale(self, count: _Count, now: float) -> bool:
        return count.locked_until <= now and now - count.last_failure > self._policy.max_seconds

    def _evict(self, now: float) -> None:
        for key in [k for k, c in self._counts.items() if self._stale(c, now)]:
            del self._counts[key]
        excess = len(self._counts) - self._max_keys
        if excess <= 0:
            return
        unlocked = [k for k, c in self._counts.items() if c.locked_until <= now]
        locked = [k for k, c in self._counts.items() if c.locked_until > now]
        for key in (unlocked + locked)[:excess]:
            del self._counts[key]


class LoginThrottle:
    """Failed logins per account and per client address; `retry_after` says when to let one
    through. Safe to call from several threads."""

    def __init__(
        self,
        policy: ThrottlePolicy,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.clock = clock
        """Seconds, monotonic (a test may replace it)."""
        self._lock = threading.Lock()
        self._accounts = _Counter(policy.free_failures, policy, max_keys)
        self._addresses = _Counter(policy.free_failures_per_address, policy, max_keys)

    def retry_after(self, account: str, address: str) -> float:
        """Seconds until a login for `account` from `address` is let through (0: now)."""
        now = self.clock()
        with self._lock:
            return max(
                self._accounts.wait(_account(account), now), self._addresses.wait(address, now)
            )

    def failed(self, account: str, address: str) -> None:
        """Count a wrong password (or unknown account) for both keys."""
        now = self.clock()
        with self._lock:
            self._accounts.fail(_account(account), now)
            self._addresses.fail(address, now)

    def succeeded(self, account: str) -> None:
        """A successful login resets the account's count (not the address's)."""
        with self._lock:
            self._accounts.reset(_account(account))


def _account(email: str) -> str:
    return email.strip().lower()
