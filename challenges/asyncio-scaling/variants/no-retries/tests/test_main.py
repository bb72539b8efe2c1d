import asyncio
import contextlib
import socket

import aiohttp

from dashboard import __main__ as entry


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serves_health_on_port():
    port = free_port()

    async def main():
        server = asyncio.ensure_future(entry.serve(port))
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(100):
                    with contextlib.suppress(aiohttp.ClientConnectionError):
                        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                            return response.status
                    await asyncio.sleep(0.02)
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server

    assert asyncio.run(main()) == 200


def test_main_reads_port(monkeypatch):
    seen = []

    async def fake_serve(port):
        seen.append(port)

    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setattr(entry, "serve", fake_serve)
    entry.main()
    assert seen == [8123]
