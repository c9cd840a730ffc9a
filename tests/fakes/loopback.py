"""A fake outside service on a free 127.0.0.1 port."""

from __future__ import annotations

from typing import Self

from aiohttp import web


class LoopbackFake:
    """`async with` serves the fake's `routes` on a free loopback port (`port`) and stops it.
    A slow answer is cancelled when its client gives up, so stopping never waits for it."""

    port: int
    _runner: web.AppRunner | None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.routes(app)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner, self.port = runner, runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
