"""`python -m dashboard`: serve on 127.0.0.1:$PORT (default 8000)."""

import asyncio
import os

from aiohttp import web

from dashboard.app import make_app


async def serve(port: int) -> None:
    """Run the app until cancelled."""
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=512).start()
    print(f"dashboard listening on 127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    """Entry point."""
    asyncio.run(serve(int(os.environ.get("PORT", "8000"))))


if __name__ == "__main__":
    main()
