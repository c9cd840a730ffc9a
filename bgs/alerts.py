"""What stored batches mean for alerts: conflict changes and protected-faction harm, worked out
after ingest, off the request path.

Conflict state is updated first because harm detection reads it (a member fighting for the
opponent of a protected faction is only known once the conflict is known).

`AfterIngest` runs that work for each guild at most once a second: the batches stored while a
run is under way are handled together by the next one, so a busy listener makes one run a
second instead of one per request (alerts wait at most that second longer). Each run's alerts go
to the subscribers (the cogs that post them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bgs import conflicts, protected
from bgs.conflicts import ConflictChange, NewestReports
from bgs.ingest import IngestResult, StoredEvent
from bgs.protected import AlertRef
from db.database import Database

log = logging.getLogger(__name__)

AFTER_INGEST_EVERY = 1.0  # seconds between two after-ingest runs of one guild, at least


@dataclass(frozen=True, slots=True)
class IngestAlerts:
    """The alerts one run raised."""

    conflict_changes: list[ConflictChange]
    harm_alerts: list[AlertRef]

    def __bool__(self) -> bool:
        return bool(self.conflict_changes or self.harm_alerts)


AlertSubscriber = Callable[[int, IngestAlerts], Awaitable[None]]
Spawn = Callable[[Awaitable[Any], str], None]


@dataclass(slots=True)
class Pending:
    """What the after-ingest work needs of the batches stored since it last ran: each system's
    newest conflict report and the events that can harm a protected faction.

    Only that is kept, not every event stored: a busy listener stores thousands of events a
    second, and each one held until the run is more for the garbage collector to scan, in pauses
    that every request waits out.
    """

    reports: NewestReports = field(default_factory=NewestReports)
    harm: list[StoredEvent] = field(default_factory=list)

    def add(self, result: IngestResult) -> None:
        for stored in result.stored:
            if stored.envelope.event in protected.HARM_EVENTS:
                self.harm.append(stored)
            else:
                self.reports.add(stored)

    def __bool__(self) -> bool:
        return bool(self.harm or self.reports)


async def after_ingest(db: Database, guild_id: int, pending: Pending) -> IngestAlerts:
    """Update the conflict states, then record protected-faction harm, for the stored batches."""
    changes = await conflicts.on_events_stored(db, guild_id, pending.reports)
    in_order = sorted(pending.harm, key=lambda stored: stored.id)
    harm = await protected.on_events_stored(db, guild_id, in_order)
    return IngestAlerts(changes, harm)


class AfterIngest:
    """Runs `after_ingest` for the batches each guild stores, at most once a second per guild,
    and hands each run's alerts to the subscribers. `spawn` runs a coroutine in the background
    (and logs its failure)."""

    def __init__(self, db: Database, spawn: Spawn) -> None:
        self._db = db
        self._spawn = spawn
        self._pending: dict[int, Pending] = {}
        self.subscribers: list[AlertSubscriber] = []

    def stored(self, guild_id: int, result: IngestResult) -> None:
        """Note a stored batch; its alerts are worked out in the background."""
        pending = self._pending.get(guild_id)
        if pending is not None:  # a run is under way: the next one takes these
            pending.add(result)
            return
        pending = Pending()
        pending.add(result)
        if pending:
            self._pending[guild_id] = pending
            self._spawn(self._runs(guild_id), f"after-ingest-{guild_id}")

    async def _runs(self, guild_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while pending := self._pending[guild_id]:
                self._pending[guild_id] = Pending()
                started = loop.time()
                try:
                    await self._run(guild_id, pending)
                except Exception:
                    log.exception("after-ingest work of guild %s failed", guild_id)
                if self._pending[guild_id]:
                    await asyncio.sleep(started + AFTER_INGEST_EVERY - loop.time())
        finally:
            del self._pending[guild_id]

    async def _run(self, guild_id: int, pending: Pending) -> None:
        alerts = await after_ingest(self._db, guild_id, pending)
        if alerts and not self.subscribers:
            log.info(
                "guild %s: %d conflict change(s) and %d protected-faction alert(s) not posted: "
                "Discord is off (no DISCORD_TOKEN); /conflicts and /protected list show them",
                guild_id,
                len(alerts.conflict_changes),
                len(alerts.harm_alerts),
            )
        for subscriber in self.subscribers if alerts else []:
            await subscriber(guild_id, alerts)
