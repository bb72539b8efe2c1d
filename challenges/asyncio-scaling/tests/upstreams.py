"""Mock upstream services for the probes: profile (:9101), orders (:9102), recommendations (:9103).

Each is a small asyncio HTTP/1.1 server (keep-alive, Content-Length framing) on 127.0.0.1. Data
is a pure function of the user id, so the probes know the exact answer the app must give. What an
upstream does for one user id (latency, failures, hangs) is set per id by the probes: the app's
own state (caches, coalescing, breakers) can never carry one probe's scenario into another's.

Every upstream counts the requests it has in flight (from a parsed request head until its response
is written, or until the client goes away) and records a violation whenever a request arrives while
the upstream already holds its cap.

Healthy latency follows one of two models (`Upstream.model`): "ideal", a fixed latency per
upstream, or "realistic", the brief's 20-300 ms: 20-60 ms for most answers and a tail of 5% at
100-250 ms. Realistic latencies are a pure function of (upstream, slot, call number), where a
load stage maps each of its user ids to a slot (`Upstream.slots`: the id's place in the stage's
schedule; an id without one is its own slot), so a stage sees the same latencies in every run
and in every attempt, whatever the (random) user ids.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

HOST = "127.0.0.1"
PORTS = {"profile": 9101, "orders": 9102, "recommendations": 9103}
CAPS = {"profile": 10, "orders": 6, "recommendations": 6}
# Latency of a healthy answer (seconds), unless a probe sets one for an id.
DEFAULT_LATENCY = {"profile": 0.020, "orders": 0.030, "recommendations": 0.025}
REALISTIC_BODY = (0.020, 0.060)
REALISTIC_TAIL = (0.100, 0.250)
REALISTIC_TAIL_SHARE = 0.05
HANG_SECONDS = 8.0
OPTIONAL = ("orders", "recommendations")

_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia")
_TIERS = ("bronze", "silver", "gold")


# -- data: a pure function of the user id ------------------------------------------------------
def _h(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


def profile_of(uid: str) -> dict:
    h = _h("profile", uid)
    return {"id": uid, "name": f"{_NAMES[h % len(_NAMES)]} {uid}", "tier": _TIERS[(h >> 8) % 3]}


def orders_of(uid: str) -> dict:
    orders = []
    for k in range(_h("orders", uid) % 6):
        hk = _h("order", uid, str(k))
        status = "refunded" if (hk >> 24) % 4 == 0 else "paid"
        orders.append({"id": f"o-{k}", "amount_cents": 100 + hk % 50_000, "status": status})
    return {"user_id": uid, "orders": orders}


def recommendations_of(uid: str) -> dict:
    items = []
    for k in range(2 + _h("recs", uid) % 6):
        hk = _h("rec", uid, str(k))
        items.append({"sku": f"sku-{hk % 90 + 10}{k}", "score": ((hk >> 16) % 9 + 1) / 10})
    return {"user_id": uid, "items": items}


def realistic_latency(name: str, uid: str, call: int) -> float:
    """The brief's latency range, with a tail: the same for the same (upstream, id, call)."""
    h = _h("latency", name, uid, str(call))
    u = (h & 0xFFFFFFFF) / 2**32
    low, high = REALISTIC_TAIL if (h >> 32) % 1000 < REALISTIC_TAIL_SHARE * 1000 else REALISTIC_BODY
    return low + (high - low) * u


# Bodies a broken upstream answers with HTTP 200: not JSON at all, or JSON of the wrong shape.
MALFORMED = {
    "garbage": b'{"user_id": "x", "orders": [{"id": "o-0", "amount_',
    "shape": {
        "profile": b'{"id": "x", "display_name": "X"}',
        "orders": b'{"user_id": "x", "orders": [{"id": "o-0", "status": "paid"}]}',
        "recommendations": b'{"user_id": "x", "items": "sku-1,sku-2"}',
    },
}


def expected_dashboard(uid: str, degraded: tuple[str, ...] = ()) -> dict:
    """The exact body the brief asks for, with the `degraded` parts left out."""
    profile = profile_of(uid)
    paid = [o["amount_cents"] for o in orders_of(uid)["orders"] if o["status"] == "paid"]
    items = sorted(recommendations_of(uid)["items"], key=lambda i: (-i["score"], i["sku"]))
    return {
        "user_id": uid,
        "name": profile["name"],
        "tier": profile["tier"],
        "orders": None if "orders" in degraded else {"paid_count": len(paid), "paid_total_cents": sum(paid)},
        "recommendations": None if "recommendations" in degraded else [i["sku"] for i in items[:3]],
        "degraded": sorted(degraded),
    }


_DATA = {"profile": profile_of, "orders": orders_of, "recommendations": recommendations_of}


# -- behaviour per (upstream, id) ---------------------------------------------------------------
@dataclass
class Behaviour:
    latency: float | None = None
    fail_first: int = 0
    """The first N requests for the id fail with `mode`."""
    always: bool = False
    """Every request for the id fails with `mode`."""
    mode: str = "503"
    """503 | 500 | reset (the connection is aborted without an answer) | hang | garbage (200 with
    a body that is not JSON) | shape (200 with JSON of the wrong shape)."""
    missing: bool = False
    """404: the user does not exist (profile)."""


class Upstream:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cap = CAPS[name]
        self.behaviour: dict[str, Behaviour] = {}
        self.calls: dict[str, list[float]] = defaultdict(list)
        self.model = "ideal"
        """Healthy latency for ids without their own: "ideal" or "realistic" (module docstring)."""
        self.slots: dict[str, str] = {}
        """User id -> the slot its realistic latencies are drawn for (module docstring)."""
        self.inflight = 0
        self.peak = 0
        self.violations = 0
        self.server: asyncio.AbstractServer | None = None

    def reset_peaks(self) -> None:
        self.peak = self.inflight
        self.violations = 0

    def _uid(self, path: str) -> str | None:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) < 2 or parts[0] != "users" or not parts[1]:
            return None
        tail = {"profile": [], "orders": ["orders"], "recommendations": ["recommendations"]}
        return parts[1] if parts[2:] == tail[self.name] else None

    async def handle(self, method: str, path: str, transport: asyncio.Transport) -> bool:
        """Answer one request; False when the connection was closed (reset)."""
        loop = asyncio.get_running_loop()
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)
        if self.inflight > self.cap:
            self.violations += 1
        try:
            uid = self._uid(path)
            if method != "GET" or uid is None:
                return _respond(transport, 404, {"error": "no such route"})
            calls = self.calls[uid]
            calls.append(loop.time())
            b = self.behaviour.get(uid, Behaviour())
            failing = b.always or len(calls) <= b.fail_first
            if failing and b.mode == "hang":
                await asyncio.sleep(HANG_SECONDS)
            else:
                await asyncio.sleep(self._latency(b, uid, len(calls)))
            if failing and b.mode == "reset":
                transport.abort()
                return False
            if failing and b.mode in ("503", "500"):
                return _respond(transport, int(b.mode), {"error": "unavailable"})
            if failing and b.mode in MALFORMED:
                body = MALFORMED[b.mode]
                return _respond_raw(transport, body if isinstance(body, bytes) else body[self.name])
            if b.missing:
                return _respond(transport, 404, {"error": "not found"})
            return _respond(transport, 200, _DATA[self.name](uid))
        finally:
            self.inflight -= 1

    def _latency(self, b: Behaviour, uid: str, call: int) -> float:
        if b.latency is not None:
            return b.latency
        if self.model == "realistic":
            return realistic_latency(self.name, self.slots.get(uid, uid), call)
        return DEFAULT_LATENCY[self.name]


def _respond_raw(transport: asyncio.Transport, body: bytes) -> bool:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    if not transport.is_closing():
        transport.write(head.encode() + body)
    return True


def _respond(transport: asyncio.Transport, status: int, payload: dict) -> bool:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}.get(
        status, "Service Unavailable"
    )
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    if not transport.is_closing():
        transport.write(head.encode() + body)
    return True


class _Connection(asyncio.Protocol):
    """One client connection: requests are parsed as bytes arrive and answered in order."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.buffer = bytearray()
        self.pending: list[tuple[str, str, bool]] = []
        self.task: asyncio.Task | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buffer) < end + 4 + length:
                break
            del self.buffer[: end + 4 + length]
            method, path, *_ = (lines[0].split(" ") + ["", ""])[:3]
            self.pending.append((method, path, headers.get("connection") == "close"))
        if len(self.buffer) > 65536:
            self.transport.abort()
            return
        if self.pending and self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._serve())

    async def _serve(self) -> None:
        while self.pending:
            method, path, close = self.pending.pop(0)
            alive = await self.upstream.handle(method, path, self.transport)
            if not alive:
                return
            if close:
                self.transport.close()
                return
        self.task = None

    def connection_lost(self, exc: Exception | None) -> None:
        # The client went away: stop whatever is still waiting for it (a hang ends here).
        if self.task is not None:
            self.task.cancel()


async def start_all() -> dict[str, Upstream]:
    """Bind the three upstreams on their fixed ports; a port already taken is an error."""
    loop = asyncio.get_running_loop()
    upstreams = {}
    for name, port in PORTS.items():
        up = Upstream(name)
        up.server = await loop.create_server(
            lambda up=up: _Connection(up), HOST, port, backlog=512, reuse_address=True
        )
        upstreams[name] = up
    return upstreams
