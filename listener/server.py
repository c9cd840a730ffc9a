"""Start and stop the listener's aiohttp server."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from listener.app import create_app

if TYPE_CHECKING:
    from bot import Services

log = logging.getLogger(__name__)


class ListenerServer:
    """The aiohttp site on LISTENER_HOST:LISTENER_PORT (port 0 picks a free port)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._runner: web.AppRunner | None = None
        self.host = services.settings.listener_host
        self.port = services.settings.listener_port

    @property
    def app(self) -> web.Application:
        if self._runner is None:
            raise RuntimeError("the listener is not running")
        return self._runner.app

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def start(self) -> None:
        app = create_app(self._services)
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
