"""What runs with or without Discord: the databases, the plugin listener, the scheduler, the
after-ingest work, and background tasks that `close()` waits for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bgs import tenants as tenant_service
from bgs.alerts import AfterIngest
from bgs.listener_address import ListenerAddress, listener_address
from db.database import Database
from listener.auth import KeyStore
from listener.requests import ListenerContext
from listener.server import ListenerServer
from settings import Settings, TenantsFile

log = logging.getLogger(__name__)


class Services:
    """Databases, the plugin listener, the scheduler and the after-ingest work of one process."""

    def __init__(self, settings: Settings, tenants: TenantsFile) -> None:
        self.settings = settings
        self.tenants = tenants
        self.db = Database.configured(settings, tenants)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.keys = KeyStore(self.db)
        self.after_ingest = AfterIngest(self.db, self.spawn)
        self.listener = ListenerServer(
            ListenerContext(settings, self.db, self.keys, self.after_ingest, self.spawn)
        )
        self._background: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        """Run work in the background; failures are logged, and `close()` waits for it."""

        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("background task %s failed", name)

        task = asyncio.get_running_loop().create_task(guarded(), name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def listener_address(self) -> ListenerAddress:
        """The URL members paste into BGS-Tally (LISTENER_PUBLIC_URL, else where the listener
        listens, with the port it got) and whether members can reach it."""
        settings = self.settings
        return listener_address(
            settings.listener_public_url, self.listener.host, self.listener.port
        )

    async def wait_background(self) -> None:
        """Wait until the background work started so far has finished."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def start(self) -> None:
        await tenant_service.provision(self.db, self.tenants)
        await self.listener.start()
        problem = self.listener_address.problem
        if problem is not None:
            log.warning("%s", problem.replace("`", ""))
        self.scheduler.start()

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.listener.stop()
        await self.wait_background()
        await self.db.dispose()
