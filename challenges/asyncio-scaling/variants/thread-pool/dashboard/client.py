"""Calls to one upstream: the blocking HTTP helper in a thread pool, timeouts, retries with backoff."""

from __future__ import annotations

import asyncio
import json
import os
import random
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import aiohttp

TRANSIENT_STATUS = frozenset({502, 503, 504})
_jitter = random.SystemRandom()
# Blocking calls run here, so the event loop stays free while they wait.
_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="upstream")


class UpstreamError(Exception):
    """The upstream did not give a usable answer (after retries)."""


class PermanentError(UpstreamError):
    """A failure that a retry will not fix (an unexpected status, a malformed body)."""


class NotFoundError(PermanentError):
    """The upstream answered 404."""


@dataclass(frozen=True)
class Policy:
    """How one upstream is called."""

    cap: int
    attempt_timeout: float = 0.45
    attempts: int = 3
    backoff: float = 0.05
    """Base delay before the first retry; doubled for each further retry, with jitter."""


def upstream_url(name: str, default: str) -> str:
    """The upstream's base URL: `<NAME>_URL` from the environment, else the default."""
    return os.environ.get(f"{name.upper()}_URL", default).rstrip("/")


class Upstream:
    """One upstream service, called through the thread pool (`policy.cap` is informational)."""

    def __init__(self, name: str, base_url: str, policy: Policy) -> None:
        self.name = name
        self.base_url = base_url
        self.policy = policy

    def delay(self, retry: int) -> float:
        """Backoff before retry number `retry` (1-based): half fixed, half jitter."""
        base = self.policy.backoff * 2 ** (retry - 1)
        return base / 2 + _jitter.uniform(0, base / 2)

    async def get_json(self, session: aiohttp.ClientSession, path: str) -> Any:
        """GET `path` and decode its JSON, retrying transient failures."""
        last: Exception = UpstreamError(f"{self.name}: no attempt made")
        for attempt in range(1, self.policy.attempts + 1):
            if attempt > 1:
                await asyncio.sleep(self.delay(attempt - 1))
            try:
                return await self._attempt(session, path)
            except PermanentError:
                raise
            except (UpstreamError, aiohttp.ClientError, TimeoutError) as exc:
                last = exc
        raise UpstreamError(f"{self.name}: {last!r}") from last

    async def _attempt(self, session: aiohttp.ClientSession, path: str) -> Any:
        del session  # the blocking helper opens its own connections
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.policy.attempt_timeout):
            return await loop.run_in_executor(_POOL, self._fetch, path)

    def _fetch(self, path: str) -> Any:
        """The team's existing synchronous HTTP helper, reused as is (runs in a pool thread)."""
        try:
            with urllib.request.urlopen(
                self.base_url + path, timeout=self.policy.attempt_timeout
            ) as reply:
                body = reply.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise NotFoundError(f"{self.name}: 404 for {path}") from exc
            if exc.code in TRANSIENT_STATUS:
                raise UpstreamError(f"{self.name}: HTTP {exc.code}") from exc
            raise PermanentError(f"{self.name}: HTTP {exc.code}") from exc
        except OSError as exc:
            raise UpstreamError(f"{self.name}: {exc!r}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise PermanentError(f"{self.name}: malformed JSON") from exc
