"""Start and stop the listener's aiohttp server."""

from __future__ import annotations

import logging

from aiohttp import web

from listener.app import create_app
from listener.requests import ListenerContext

log = logging.getLogger(__name__)


class ListenerServer:
    """The aiohttp site on LISTENER_HOST:LISTENER_PORT (port 0 picks a free port)."""

    def __init__(self, context: ListenerContext) -> None:
        self._context = context
        self._runner: web.AppRunner | None = None
        self.host = context.settings.listener_host
        self.port = context.settings.listener_port

    @property
    def app(self) -> web.Application:
        if self._runner is None:
            raise RuntimeError("the listener is not running")
        return self._runner.app

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def start(self) -> None:
        app = create_app(self._context)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("plugin listener on %s (paste this URL into BGS-Tally)", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
