"""What runs with or without Discord: the databases, the plugin listener, the scheduler, the
after-ingest work, and background tasks that `close()` waits for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bgs import retention, rollups
from bgs import tenants as tenant_service
from bgs.alerts import AfterIngest
from bgs.galaxy.alerts import enqueue_alerts
from bgs.galaxy.writer import GalaxyWriter
from bgs.leadership import Leadership
from bgs.listener_address import ListenerAddress, listener_address
from db.database import Database
from feeds.eddn import EddnFeed
from listener.auth import KeyStore
from listener.requests import ListenerContext
from listener.server import ListenerServer
from settings import Settings, TenantsFile

log = logging.getLogger(__name__)

EDDN_LEADERSHIP = "eddn"  # the one process of a deployment that consumes the EDDN relay
RECOVERY_JOB = "after-ingest-recovery"  # finishes after-ingest work a dead process left behind
FIRST_RECOVERY_AFTER = timedelta(seconds=5)
ROLLUP_JOB = "fold-rollups"  # adds the stored events to the rollups (bgs.rollups.backlog)
RETENTION_JOB = "prune-raw-events"  # daily, by the process that leads it (bgs.retention)


class Services:
    """Databases, the plugin listener, the scheduler and the after-ingest work of one process.

    `listener=False` (the `discord` role) keeps the listener from starting; everything else runs
    in every role. The EDDN feed starts in every role too, and consumes only in the process
    that leads `EDDN_LEADERSHIP`.

    `galaxy` stores galaxy snapshots for the EDDN feed and for members' jumps alike, and writes
    the guilds' alerts on what changed in the same transaction (`bgs.galaxy.alerts`).
    """

    def __init__(self, settings: Settings, tenants: TenantsFile, *, listener: bool = True) -> None:
        self.settings = settings
        self.tenants = tenants
        self.db = Database.configured(settings, tenants)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.keys = KeyStore(self.db, ttl=settings.listener_key_cache_seconds)
        self.outbox_signal = asyncio.Event()  # set when this process wrote to the outbox
        self.galaxy = GalaxyWriter(self.db, partial(enqueue_alerts, db=self.db))
        self.after_ingest = AfterIngest(
            self.db,
            self.spawn,
            self.outbox_signal.set,
            timedelta(seconds=settings.after_ingest_recovery_seconds),
            self.galaxy,
            galaxy_every=timedelta(seconds=settings.after_ingest_galaxy_seconds),
        )
        self.eddn = (
            EddnFeed(
                settings.eddn_relay,
                settings.eddn_silence_seconds,
                self.db,
                self.galaxy,
                Leadership(self.db, EDDN_LEADERSHIP),
            )
            if settings.eddn_enabled
            else None
        )
        self.listener = (
            ListenerServer(
                ListenerContext(settings, self.db, self.keys, self.after_ingest, self.spawn)
            )
            if listener
            else None
        )
        self._background: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self.retention = Leadership(self.db, RETENTION_JOB)

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
        listens, with the port it got; in a process without a listener, where LISTENER_HOST
        and LISTENER_PORT say) and whether members can reach it."""
        settings = self.settings
        if self.listener is None:
            host, port = settings.listener_host, settings.listener_port
        else:
            host, port = self.listener.host, self.listener.port
        return listener_address(settings.listener_public_url, host, port)

    async def wait_background(self) -> None:
        """Wait until the background work started so far has finished."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def run_forever(self, loop: Coroutine[Any, Any, None], name: str) -> None:
        """Run a loop that lasts as long as the process (`close()` cancels it)."""
        self._loops.append(asyncio.get_running_loop().create_task(loop, name=name))

    async def start(self) -> None:
        await tenant_service.provision(self.db, self.tenants)
        if self.listener is not None:
            await self.listener.start()
            problem = self.listener_address.problem
            if problem is not None:
                log.warning("%s", problem.replace("`", ""))
            self.scheduler.add_job(
                self.after_ingest.recover,
                IntervalTrigger(
                    seconds=self.settings.after_ingest_recovery_seconds / 2, timezone=UTC
                ),
                id=RECOVERY_JOB,
                name=RECOVERY_JOB,
                coalesce=True,
                max_instances=1,
                next_run_time=datetime.now(UTC) + FIRST_RECOVERY_AFTER,
            )
        if self.eddn is not None:
            self.run_forever(self.eddn.leadership.run(), f"{EDDN_LEADERSHIP}-leadership")
            self.run_forever(self.eddn.run(), "eddn-feed")
        self.scheduler.add_job(
            rollups.fold,
            IntervalTrigger(seconds=self.settings.rollup_fold_seconds, timezone=UTC),
            args=(self.db,),
            id=ROLLUP_JOB,
            name=ROLLUP_JOB,
            coalesce=True,
            max_instances=1,
        )
        self.run_forever(self.retention.run(), RETENTION_JOB)
        self.scheduler.add_job(
            self.prune_raw_events,
            CronTrigger(hour=3, minute=17, timezone=UTC),
            id=RETENTION_JOB,
            name=RETENTION_JOB,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()

    async def prune_raw_events(self, now: datetime | None = None) -> dict[int, int]:
        """Prune raw events past each guild's retention, if this process leads it (one process
        of a deployment does); returns the events pruned per guild."""
        if not self.retention.leading:
            return {}
        default = self.settings.event_retention_days
        return await retention.prune(self.db, default, now or datetime.now(UTC))

    async def close(self) -> None:
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops.clear()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.listener is not None:
            await self.listener.stop()
        await self.wait_background()
        await self.db.dispose()
