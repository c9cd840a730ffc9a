"""Serving a fake outside service on a free 127.0.0.1 port."""

from __future__ import annotations

from aiohttp import web


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    """Start `app` on a free loopback port; returns its runner (to clean up) and the port. A
    slow answer is cancelled when its client gives up, so shutting down never waits for it."""
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]
