"""What stored batches mean for alerts: conflict changes and protected-faction harm, worked out
after ingest, off the request path, and written to the outbox with the changes that cause them.

Members' FSDJump, Location and CarrierJump events also feed the galaxy tables (source
"member", `bgs.galaxy.writer`) in this work, so they are as durable as the alerts.

Conflict state is updated first because harm detection reads it (a member fighting for the
opponent of a protected faction is only known once the conflict is known).

`AfterIngest` runs that work for each guild at most once a second: the batches stored while a
run is under way are handled together by the next one, so a busy listener makes one run a
second instead of one per request (alerts wait at most that second longer). The members' jumps
go to the galaxy tables at most once every `galaxy_every` per guild (AFTER_INGEST_GALAXY_SECONDS):
a busy squadron reports the same systems again and again, and each store of a repeated state
only moves its times on, so the jumps in between are kept (the newest per system and tick) and
stored together, and so are their work rows, deleted only once the jumps are stored.

The work survives the process: every transaction that stores events also writes an
`after_ingest_work` row naming them (`bgs.ingest`), deleted once a run has done their work. A
row left behind (the process died between the plugin's answer and the run, or the run failed)
is taken over by `recover`, which every listener process runs, for rows older than
AFTER_INGEST_RECOVERY_SECONDS (a row that old is no live run's any more). The work is
idempotent (conflict updates compare and set; harm and outbox rows are unique), so a row done
twice alerts once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, or_, select

from bgs import conflicts, protected
from bgs.conflicts import ConflictChange, NewestReports
from bgs.events import parse_envelope
from bgs.galaxy.journal import BGS_EVENTS, member_snapshot
from bgs.galaxy.store import MEMBER
from bgs.galaxy.writer import GalaxyWriter
from bgs.ingest import IngestResult, StoredEvent
from bgs.protected import AlertRef
from db.database import Database
from db.models import AfterIngestWork, Event

log = logging.getLogger(__name__)

AFTER_INGEST_EVERY: Final = 1.0  # seconds between two after-ingest runs of one guild, at least
RECOVER_LEASE: Final = timedelta(minutes=5)
RECOVER_EVENTS: Final = 2000  # events read at a time when recovering


@dataclass(frozen=True, slots=True)
class IngestAlerts:
    """The alerts one run wrote to the outbox."""

    conflict_changes: list[ConflictChange]
    harm_alerts: list[AlertRef]

    def __bool__(self) -> bool:
        return bool(self.conflict_changes or self.harm_alerts)


Spawn = Callable[[Awaitable[Any], str], None]


@dataclass(slots=True)
class Pending:
    """What the after-ingest work needs of the batches stored since it last ran: each system's
    newest conflict report, the events that can harm a protected faction, and the work rows
    that name them.

    Only that is kept, not every event stored: a busy listener stores thousands of events a
    second, and each one held until the run is more for the garbage collector to scan, in pauses
    that every request waits out.
    """

    reports: NewestReports = field(default_factory=NewestReports)
    harm: list[StoredEvent] = field(default_factory=list)
    # for the galaxy tables: the newest jump per system and tick (an older one of the same tick
    # would be refused as stale; one per tick keeps each tick's last observation for history)
    jumps: dict[tuple[int, str | None], StoredEvent] = field(default_factory=dict)
    work_ids: set[int] = field(default_factory=set)

    def add(self, stored: Sequence[StoredEvent], work_id: int | None = None) -> None:
        for item in stored:
            if item.envelope.event in protected.HARM_EVENTS:
                self.harm.append(item)
            else:
                self.reports.add(item)
                if item.envelope.event in BGS_EVENTS:
                    self._add_jump(item)
        if work_id is not None:
            self.work_ids.add(work_id)

    def hold_for_galaxy(self) -> Pending:
        """Take out the jumps and the work rows (which must outlive the jumps' store)."""
        held = Pending(jumps=self.jumps, work_ids=self.work_ids)
        self.jumps, self.work_ids = {}, set()
        return held

    def keep(self, held: Pending) -> None:
        """Add the jumps and work rows held back from an earlier run."""
        for item in held.jumps.values():
            self._add_jump(item)
        self.work_ids |= held.work_ids

    def _add_jump(self, item: StoredEvent) -> None:
        envelope = item.envelope
        if envelope.system_address is None:
            return
        key = (envelope.system_address, envelope.tickid)
        known = self.jumps.get(key)
        if known is None or (envelope.timestamp, item.id) > (known.envelope.timestamp, known.id):
            self.jumps[key] = item

    def __bool__(self) -> bool:
        return bool(self.harm or self.reports or self.work_ids)


async def after_ingest(
    db: Database, guild_id: int, pending: Pending, galaxy: GalaxyWriter | None = None
) -> IngestAlerts:
    """Update the conflict states, then record protected-faction harm, for the stored batches
    (each writes its alerts to the outbox in its transaction), then store the members' jumps in
    the galaxy tables (`galaxy`, when given); then drop the work rows."""
    changes = await conflicts.on_events_stored(db, guild_id, pending.reports)
    in_order = sorted(pending.harm, key=lambda stored: stored.id)
    harm = await protected.on_events_stored(db, guild_id, in_order)
    if galaxy is not None and pending.jumps:
        now = datetime.now(UTC)
        snapshots = [member_snapshot(stored.envelope, now) for stored in pending.jumps.values()]
        await galaxy.store([s for s in snapshots if s is not None], MEMBER, now)
    if pending.work_ids:
        async with db.tenant_write(guild_id) as session:
            await session.execute(
                delete(AfterIngestWork).where(AfterIngestWork.id.in_(sorted(pending.work_ids)))
            )
    return IngestAlerts(changes, harm)


class AfterIngest:
    """Runs `after_ingest` for the batches each guild stores, at most once a second per guild.
    `spawn` runs a coroutine in the background (and logs its failure); `wrote_outbox` is called
    when a run wrote alerts (a poster in this process can send them at once)."""

    def __init__(
        self,
        db: Database,
        spawn: Spawn,
        wrote_outbox: Callable[[], None],
        recover_after: timedelta = timedelta(seconds=60),
        galaxy: GalaxyWriter | None = None,
        *,
        galaxy_every: timedelta = timedelta(0),
    ) -> None:
        self._db = db
        self._galaxy = galaxy
        self._galaxy_every = galaxy_every.total_seconds()
        self.recover_after = recover_after
        self._spawn = spawn
        self._wrote_outbox = wrote_outbox
        self._pending: dict[int, Pending] = {}
        self._galaxy_due: dict[int, float] = {}  # loop time of each guild's next galaxy store

    def stored(self, guild_id: int, result: IngestResult) -> None:
        """Note a stored batch; its alerts are worked out in the background."""
        pending = self._pending.get(guild_id)
        if pending is not None:  # a run is under way: the next one takes these
            pending.add(result.stored, result.work_id)
            return
        pending = Pending()
        pending.add(result.stored, result.work_id)
        if pending:
            self._pending[guild_id] = pending
            self._spawn(self._runs(guild_id), f"after-ingest-{guild_id}")

    async def _runs(self, guild_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while pending := self._pending[guild_id]:
                self._pending[guild_id] = Pending()
                started = loop.time()
                if self._galaxy is not None and pending.jumps:
                    if started < self._galaxy_due.get(guild_id, started):
                        self._pending[guild_id].keep(pending.hold_for_galaxy())
                    else:
                        self._galaxy_due[guild_id] = started + self._galaxy_every
                if pending:
                    await self.run(guild_id, pending)
                if self._pending[guild_id]:
                    await asyncio.sleep(started + AFTER_INGEST_EVERY - loop.time())
        finally:
            del self._pending[guild_id]

    async def run(self, guild_id: int, pending: Pending) -> IngestAlerts | None:
        """One run; a failure is logged and leaves the work rows for `recover`."""
        try:
            alerts = await after_ingest(self._db, guild_id, pending, self._galaxy)
        except Exception:
            log.exception("after-ingest work of guild %s failed; it is retried later", guild_id)
            return None
        if alerts:
            log.info(
                "guild %s: %d conflict change(s) and %d protected-faction alert(s) written to "
                "the outbox, for the process that holds the guild's shard to post",
                guild_id,
                len(alerts.conflict_changes),
                len(alerts.harm_alerts),
            )
            self._wrote_outbox()
        return alerts

    async def recover(self, now: datetime | None = None) -> int:
        """Finish the work rows older than `recover_after` (every database); how many."""
        now = now or datetime.now(UTC)
        done = 0
        for url in self._db.urls:
            for work in await _claim_stale(self._db, url, now - self.recover_after, now):
                pending = Pending()
                pending.add(await _stored_events(self._db, work), work.id)
                log.info(
                    "guild %s: finishing after-ingest work %d (events %d to %d)",
                    work.guild_id,
                    work.id,
                    work.first_event_id,
                    work.last_event_id,
                )
                if await self.run(work.guild_id, pending) is not None:
                    done += 1
        return done


@dataclass(frozen=True, slots=True)
class _Work:
    id: int
    guild_id: int
    first_event_id: int
    last_event_id: int


async def _claim_stale(db: Database, url: str, before: datetime, now: datetime) -> list[_Work]:
    """Claim the work rows left behind in one database (a lease, so one recoverer takes each)."""
    async with db.unscoped_write(url) as session:
        rows = (
            (
                await session.execute(
                    select(AfterIngestWork)
                    .where(
                        AfterIngestWork.created_at < before,
                        or_(
                            AfterIngestWork.claimed_until.is_(None),
                            AfterIngestWork.claimed_until < now,
                        ),
                    )
                    .order_by(AfterIngestWork.id)
                    .limit(100)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            row.claimed_until = now + RECOVER_LEASE
        return [_Work(r.id, r.guild_id, r.first_event_id, r.last_event_id) for r in rows]


async def _stored_events(db: Database, work: _Work) -> list[StoredEvent]:
    """The events a work row names (ids between its first and last; events of other
    transactions in that range are harmless: the work is idempotent)."""
    found: list[StoredEvent] = []
    async with db.tenant(work.guild_id) as session:
        start = work.first_event_id
        while start <= work.last_event_id:
            rows = (
                await session.execute(
                    select(Event.id, Event.data)
                    .where(Event.id >= start, Event.id <= work.last_event_id)
                    .order_by(Event.id)
                    .limit(RECOVER_EVENTS)
                )
            ).all()
            if not rows:
                break
            found += [StoredEvent(row.id, parse_envelope(0, row.data)) for row in rows]
            start = rows[-1].id + 1
    return found
