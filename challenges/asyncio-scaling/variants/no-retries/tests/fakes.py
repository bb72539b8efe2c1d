"""A scriptable fake upstream (aiohttp) on an ephemeral loopback port, for the tests."""

import asyncio
from collections import defaultdict

from aiohttp import web


class FakeUpstream:
    """Answers GET /users/{uid}[/tail] from `script[uid]`: a list of (status, body, delay)
    steps, one per call (the last repeats); records calls and the peak of concurrent calls."""

    def __init__(self, payload=None):
        self.payload = payload or (lambda uid: {"id": uid, "name": f"n-{uid}", "tier": "gold"})
        self.script = {}
        self.calls = defaultdict(int)
        self.inflight = 0
        self.peak = 0
        self.runner = None
        self.url = ""

    async def _handle(self, request):
        uid = request.match_info["uid"]
        self.calls[uid] += 1
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)
        try:
            steps = self.script.get(uid, [(200, None, 0.0)])
            status, body, delay = steps[min(self.calls[uid], len(steps)) - 1]
            await asyncio.sleep(delay)
            if status == "reset":
                request.transport.close()
                return web.Response()
            if status == "junk":
                return web.Response(text="not json")
            return web.json_response(self.payload(uid) if body is None else body, status=status)
        finally:
            self.inflight -= 1

    async def __aenter__(self):
        app = web.Application()
        app.router.add_get("/users/{uid}", self._handle)
        app.router.add_get("/users/{uid}/{tail}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()
