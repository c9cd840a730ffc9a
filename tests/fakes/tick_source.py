"""A fake of both galaxy-tick sources on 127.0.0.1, switchable per source::

    async with FakeTickSource() as fake:
        fake.primary.tick = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
        fake.fallback.mode = Mode.DOWN
        settings = fake.settings()

`/galtick.json` answers like Zoy's detector (`{"lastGalaxyTick": "...sssZ", ...}`) and
`/api/tick` like EDCD's (a bare JSON string with `+00:00`). Each source has a mode: normal,
down (HTTP 500), refused (its URL points at a closed port), garbage (not JSON), wrong shape
(JSON without the tick), future (a tick a day ahead), slow (answers after `delay` seconds) or
huge (a 100 kB answer).
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from aiohttp import web

from settings import Settings
from tests.fakes.loopback import LoopbackFake

PRIMARY_PATH = "/galtick.json"
FALLBACK_PATH = "/api/tick"


class Mode(StrEnum):
    NORMAL = "normal"
    DOWN = "down"
    REFUSED = "refused"
    GARBAGE = "garbage"
    WRONG_SHAPE = "wrong_shape"
    FUTURE = "future"
    SLOW = "slow"
    HUGE = "huge"


@dataclass
class Source:
    """One fake source's behaviour and the number of requests it answered."""

    tick: datetime
    mode: Mode = Mode.NORMAL
    delay: float = 5.0
    requests: int = 0


def zoy_format(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )


def edcd_format(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(microsecond=0).isoformat()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class FakeTickSource(LoopbackFake):
    primary: Source = field(
        default_factory=lambda: Source(datetime(2026, 11, 26, 11, 0, 0, 123000, tzinfo=UTC))
    )
    fallback: Source = field(
        default_factory=lambda: Source(datetime(2026, 11, 26, 11, 0, 4, tzinfo=UTC))
    )
    port: int = 0
    refused_port: int = field(default_factory=closed_port)
    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        app.router.add_get(PRIMARY_PATH, self._primary)
        app.router.add_get(FALLBACK_PATH, self._fallback)

    def url(self, source: Source, path: str) -> str:
        port = self.refused_port if source.mode is Mode.REFUSED else self.port
        return f"http://127.0.0.1:{port}{path}"

    def settings(self, timeout: float = 0.5) -> Settings:
        """Settings pointing the tick monitor at this fake (URLs follow REFUSED modes)."""
        return Settings(
            tick_primary_url=self.url(self.primary, PRIMARY_PATH),
            tick_fallback_url=self.url(self.fallback, FALLBACK_PATH),
            tick_http_timeout=timeout,
        )

    async def _answer(self, source: Source, body: Any, content_type: str) -> web.Response:
        source.requests += 1
        if source.mode is Mode.DOWN:
            return web.Response(status=500, text="Internal Server Error")
        if source.mode is Mode.GARBAGE:
            return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
        if source.mode is Mode.SLOW:
            await asyncio.sleep(source.delay)
        if source.mode is Mode.HUGE:
            body = {"padding": "x" * 100_000, "body": body}
        return web.Response(text=json.dumps(body), content_type=content_type)

    def _tick(self, source: Source) -> datetime:
        if source.mode is Mode.FUTURE:
            return datetime.now(UTC) + timedelta(days=1)
        return source.tick

    async def _primary(self, _request: web.Request) -> web.Response:
        source = self.primary
        body: Any = {"lastGalaxyTick": zoy_format(self._tick(source)), "status": "online"}
        if source.mode is Mode.WRONG_SHAPE:
            body = {"status": "startup"}
        # text/plain: the monitor must not depend on the content type a source declares.
        return await self._answer(source, body, "text/plain")

    async def _fallback(self, _request: web.Request) -> web.Response:
        source = self.fallback
        body: Any = edcd_format(self._tick(source))
        if source.mode is Mode.WRONG_SHAPE:
            body = {"error": "no tick"}
        return await self._answer(source, body, "application/json")
