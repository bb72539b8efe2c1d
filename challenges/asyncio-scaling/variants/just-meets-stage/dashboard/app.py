"""The HTTP service: `GET /healthz` and `GET /dashboard/{user_id}` (aiohttp)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from dashboard.aggregate import build_dashboard, summarise_orders, top_recommendations
from dashboard.client import NotFoundError, Policy, Upstream, upstream_url
from dashboard.singleflight import SingleFlight

USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEADLINE = 0.85
"""Seconds one upstream may take, queueing and retries included (the brief's budget is 1 s)."""
MAX_DASHBOARDS = 4
"""Dashboards built at once; further requests wait for a slot (a fixed worker budget)."""


UPSTREAMS = {
    # name: (default base URL, cap on requests in flight)
    "profile": ("http://127.0.0.1:9101", 10),
    "orders": ("http://127.0.0.1:9102", 6),
    "recommendations": ("http://127.0.0.1:9103", 6),
}


def default_upstreams() -> dict[str, Upstream]:
    """The three upstreams at their fixed addresses, with the caps from the brief."""
    return {
        name: Upstream(name, upstream_url(name, url), Policy(cap=cap))
        for name, (url, cap) in UPSTREAMS.items()
    }


class Dashboards:
    """Fetches the three parts of a dashboard concurrently, coalesced and cached per user."""

    def __init__(
        self, upstreams: dict[str, Upstream], deadline: float = DEADLINE, cache_ttl: float = 5.0
    ) -> None:
        self.upstreams = upstreams
        self.deadline = deadline
        self.flight = SingleFlight(ttl=cache_ttl)
        self.session: aiohttp.ClientSession | None = None
        self.workers = asyncio.Semaphore(MAX_DASHBOARDS)

    async def open(self, _app: web.Application | None = None) -> None:
        """Create the HTTP client session (no upstream is contacted)."""
        connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=30)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=None)
        )

    async def close(self, _app: web.Application | None = None) -> None:
        """Close the client session."""
        if self.session is not None:
            await self.session.close()

    async def part(self, name: str, path: str) -> Any:
        """One upstream's payload, shared by concurrent callers, within the deadline."""
        return await self.flight.get((name, path), lambda: self._call(name, path))

    async def _call(self, name: str, path: str) -> Any:
        if self.session is None:
            raise RuntimeError("the client session is not open")
        async with asyncio.timeout(self.deadline):
            return await self.upstreams[name].get_json(self.session, path)

    async def build(self, user_id: str) -> tuple[int, dict[str, Any]]:
        """Status and body of one dashboard."""
        profile, orders, recs = await asyncio.gather(
            self.part("profile", f"/users/{user_id}"),
            self.part("orders", f"/users/{user_id}/orders"),
            self.part("recommendations", f"/users/{user_id}/recommendations"),
            return_exceptions=True,
        )
        if isinstance(profile, NotFoundError):
            return 404, {"error": "unknown user"}
        if isinstance(profile, BaseException) or not _valid_profile(profile):
            return 502, {"error": "profile unavailable"}
        return 200, build_dashboard(
            user_id,
            profile,
            _usable(orders, summarise_orders),
            _usable(recs, top_recommendations),
        )

    async def handle(self, request: web.Request) -> web.Response:
        """`GET /dashboard/{user_id}`."""
        user_id = request.match_info["user_id"]
        if not USER_ID.match(user_id):
            return web.json_response({"error": "bad user id"}, status=400)
        async with self.workers:
            status, body = await self.build(user_id)
        return web.json_response(body, status=status)


def _valid_profile(payload: Any) -> bool:
    return isinstance(payload, dict) and {"name", "tier"} <= payload.keys()


def _usable(payload: Any, summarise: Callable[[Any], Any]) -> Any:
    """The payload if it is a result the summary can read, else None (that part degrades)."""
    if isinstance(payload, BaseException):
        return None
    try:
        summarise(payload)
    except (KeyError, TypeError, ValueError):
        return None
    return payload


async def health(_request: web.Request) -> web.Response:
    """`GET /healthz`: answers without touching any upstream."""
    return web.Response(text="ok")


def make_app(dashboards: Dashboards | None = None) -> web.Application:
    """The aiohttp application."""
    dashboards = dashboards or Dashboards(default_upstreams())
    app = web.Application()
    app.router.add_get("/healthz", health)
    app.router.add_get("/dashboard/{user_id}", dashboards.handle)
    app.on_startup.append(dashboards.open)
    app.on_cleanup.append(dashboards.close)
    return app
