"""The probes' harness: one background event loop that runs the mock upstreams, the HTTP client
and the load generator, so the probe process never competes with itself for the GIL.

The client speaks raw HTTP/1.1 over asyncio streams, one connection per request
(`Connection: close`), with a deadline on every request (connect included).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import upstreams

_APP = urlsplit(os.environ.get("APP_URL", "http://127.0.0.1:8000"))
APP_HOST, APP_PORT = _APP.hostname or "127.0.0.1", _APP.port or 80
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    """A user id no earlier probe used (the app may cache per id)."""
    return f"{prefix}-{next(_ids)}-{os.getpid() % 1000}"


class Harness:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.up: dict[str, upstreams.Upstream] = self.run(upstreams.start_all(), timeout=10)

    def run(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def set(self, name: str, uid: str, **behaviour) -> None:
        def apply() -> None:
            self.up[name].behaviour[uid] = upstreams.Behaviour(**behaviour)

        self.loop.call_soon_threadsafe(apply)
        self.run(asyncio.sleep(0))

    def calls(self, name: str, uid: str) -> list[float]:
        return list(self.up[name].calls.get(uid, []))


_HARNESS: Harness | None = None


def harness() -> Harness:
    global _HARNESS
    if _HARNESS is None:
        _HARNESS = Harness()
    return _HARNESS


# -- client -------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int = 0
    body: bytes = b""
    seconds: float = 0.0
    error: str = ""

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def describe(self) -> str:
        if self.error:
            return f"{self.error} after {self.seconds:.2f}s"
        return f"HTTP {self.status} after {self.seconds:.2f}s: {self.body[:200]!r}"


async def _exchange(path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(APP_HOST, APP_PORT)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {APP_HOST}:{APP_PORT}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "chunked" in headers.get("transfer-encoding", ""):
            body = bytearray()
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                if size == 0:
                    break
                body += await reader.readexactly(size + 2)
                del body[-2:]
            return status, bytes(body)
        if "content-length" in headers:
            return status, await reader.readexactly(int(headers["content-length"]))
        return status, await reader.read()
    finally:
        writer.close()


async def fetch(path: str, timeout: float = 3.0) -> Reply:
    start = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            status, body = await _exchange(path)
    except TimeoutError:
        return Reply(seconds=time.monotonic() - start, error=f"no answer within {timeout:g}s")
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
        return Reply(seconds=time.monotonic() - start, error=f"{type(exc).__name__}: {exc}")
    return Reply(status, body, time.monotonic() - start)


def get(path: str, timeout: float = 3.0) -> Reply:
    return harness().run(fetch(path, timeout), timeout=timeout + 5)


def get_many(paths: list[str], timeout: float = 3.0) -> list[Reply]:
    async def all_at_once():
        return await asyncio.gather(*(fetch(p, timeout) for p in paths))

    return harness().run(all_at_once(), timeout=timeout + 10)


def dashboard_problem(reply: Reply, uid: str, degraded: tuple[str, ...] = ()) -> str:
    """Empty when `reply` is exactly the dashboard the brief asks for, else what is wrong."""
    if reply.error or reply.status != 200:
        return reply.describe()
    body = reply.json()
    want = upstreams.expected_dashboard(uid, degraded)
    if not isinstance(body, dict):
        return f"not a JSON object: {reply.body[:200]!r}"
    got = {k: body.get(k, "<missing>") for k in want}
    if got != want:
        wrong = {k: got[k] for k in want if got[k] != want[k]}
        return f"/dashboard/{uid}: wrong fields {wrong}; expected {({k: want[k] for k in wrong})}"
    return ""


# -- load ---------------------------------------------------------------------------------------
@dataclass
class Stage:
    rate: float
    count: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    violations: dict[str, int] = field(default_factory=dict)
    model: str = "ideal"
    offsets: list[float] = field(default_factory=list)
    """When each request was due (seconds from the stage's start), in schedule order."""
    completions: list[float] = field(default_factory=list)
    """When each correct answer arrived (seconds from the stage's start)."""
    lag: float = 0.0
    """The probes' own worst event-loop lag during the stage (seconds late for a 10 ms tick):
    how much CPU starvation of the probe container itself went into the figures."""
    stall: float | None = None
    """The share of the stage during which some task on the host waited for a CPU (Linux PSI,
    /proc/pressure/cpu, host-wide), when the kernel reports it. It counts every runnable task,
    the app's and the probes' own included, so it says how busy the host was, not who made it
    busy: context for a reviewer, never part of the score."""

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.inf
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    def sustained(self) -> float:
        """The share of the offered rate the server kept up with, over the middle half of the
        schedule: correct answers that arrived in that window per request due in it (about 1
        for a server that keeps up, its capacity share for one that falls behind). Unlike the
        p99 of a server falling behind, which only says how long the stage ran, this does not
        grow with the stage's length."""
        span = max(self.offsets, default=0.0)
        low, high = span / 4, 3 * span / 4
        due = sum(low <= offset < high for offset in self.offsets)
        done = sum(low <= at < high for at in self.completions)
        return done / due if due else 1.0

    def summary(self) -> str:
        return (
            f"{self.rate:g} req/s x {self.count} ({self.model} latency): "
            f"{self.count - len(self.errors)} correct, "
            f"{len(self.errors)} errors, p50 {self.percentile(50) * 1000:.0f} ms, "
            f"p99 {self.percentile(99) * 1000:.0f} ms, throughput "
            f"{self.count / self.seconds if self.seconds else 0:.0f} req/s, "
            f"sustained {self.sustained():.0%} of the offered rate, "
            f"cap violations {self.violations}, probe loop lag {self.lag * 1000:.0f} ms"
            + (f", host CPU stall {self.stall:.0%}" if self.stall is not None else "")
            + (f"; first error: {self.errors[0][:120]}" if self.errors else "")
        )


async def _drive(
    stage: Stage, schedule: list[tuple[float, str]], in_flight: int, timeout: float
) -> None:
    """Open loop: request i is due at start + its offset whatever happened before; its latency
    runs from when it was due (so a backlog in the client counts against the app, not for it)."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(in_flight)
    start = loop.time() + 0.05

    async def one(offset: float, uid: str) -> None:
        due = start + offset
        await asyncio.sleep(max(0.0, due - loop.time()))
        async with gate:
            reply = await fetch(f"/dashboard/{uid}", timeout=max(0.1, due + timeout - loop.time()))
        problem = dashboard_problem(reply, uid)
        if problem:
            stage.errors.append(problem)
        else:
            stage.latencies.append(loop.time() - due)
            stage.completions.append(loop.time() - start)

    ticker = asyncio.create_task(_tick(stage))
    try:
        await asyncio.gather(*(one(offset, uid) for offset, uid in schedule))
    finally:
        ticker.cancel()
    stage.seconds = loop.time() - start


async def _tick(stage: Stage, period: float = 0.01) -> None:
    """Record in `stage.lag` how late a 10 ms sleep wakes up, at worst, until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(period)
        stage.lag = max(stage.lag, loop.time() - before - period)


def _stalled_microseconds() -> int | None:
    """The host's cumulative `some` CPU pressure stall (microseconds), or None without PSI."""
    try:
        with open("/proc/pressure/cpu", encoding="ascii") as pressure:
            first = pressure.readline().split()
        return int(dict(part.split("=", 1) for part in first[1:])["total"])
    except (OSError, ValueError, KeyError, IndexError):
        return None


def run_stage(
    rate: float,
    schedule: list[tuple[float, str]],
    model: str = "ideal",
    in_flight: int = 48,
    timeout: float = 3.0,
    slots: dict[str, str] | None = None,
) -> Stage:
    """Drive `schedule` ((offset in seconds, user id) per request) with the upstreams' healthy
    latency following `model` (realistic latencies drawn per `slots[uid]`, upstreams.py); the
    stage's cap violations are those counted during it."""
    h = harness()
    duration = max((offset for offset, _ in schedule), default=0.0)

    async def go() -> Stage:
        for up in h.up.values():
            up.reset_peaks()
            up.model = model
            up.slots = dict(slots or {})
        stage = Stage(rate, len(schedule), model=model, offsets=[o for o, _ in schedule])
        stalled_before = _stalled_microseconds()
        try:
            await _drive(stage, schedule, in_flight, timeout)
        finally:
            for up in h.up.values():
                up.model = "ideal"
                up.slots = {}
        stalled_after = _stalled_microseconds()
        if stalled_before is not None and stalled_after is not None and stage.seconds > 0:
            stage.stall = min(1.0, (stalled_after - stalled_before) / 1e6 / stage.seconds)
        stage.violations = {n: u.violations for n, u in h.up.items()}
        return stage

    return h.run(go(), timeout=duration + timeout + 30)
