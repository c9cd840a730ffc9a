"""GET /health without letting it cost the databases: one probe of every database answers
every caller for a few seconds, and each address may ask only so often."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from db.database import Database
from listener.auth import RateLimiter

PROBE_TIMEOUT = 5.0  # seconds for each database's `SELECT 1`

Report = tuple[int, dict[str, Any]]  # the status and the body


class HealthProbe:
    """The last healthy probe's answer, kept `ttl` seconds (LISTENER_HEALTH_CACHE_SECONDS);
    callers that find none share the one probe that runs. A degraded answer is not kept, so
    the first call after the databases are back says so; while they are down, the probe
    that runs (up to `PROBE_TIMEOUT` per database) is what every caller waits for."""

    def __init__(self, db: Database, ttl: float, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self._db = db
        self._ttl = ttl
        self._last: tuple[float, Report] | None = None
        self._running: asyncio.Task[Report] | None = None

    async def report(self) -> Report:
        if self._last is not None and time.monotonic() < self._last[0]:
            return self._last[1]
        if self._running is None:
            self._running = asyncio.ensure_future(self._probe())
            self._running.add_done_callback(self._probed)
        return await asyncio.shield(self._running)

    def _probed(self, task: asyncio.Task[Report]) -> None:
        self._running = None
        if not task.cancelled() and task.exception() is None and task.result()[0] == 200:
            self._last = (time.monotonic() + self._ttl, task.result())

    async def _probe(self) -> Report:
        failures = []
        for url in self._db.urls:
            try:
                await asyncio.wait_for(self._db.ping(url), timeout=PROBE_TIMEOUT)
            except Exception as exc:
                failures.append(type(exc).__name__)
        body = {
            "status": "ok" if not failures else "degraded",
            "database": "ok" if not failures else "unreachable",
            "databases": len(self._db.urls),
        }
        return (200 if not failures else 503), body


HEALTH: web.AppKey[HealthProbe] = web.AppKey("health")
