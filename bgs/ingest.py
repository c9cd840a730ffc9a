"""Storing what the plugin sends: event batches (atomic, idempotent) and activity snapshots
(replace per cmdr and tick).

Both run inside one tenant-scoped transaction opened by the caller, so a failure anywhere
leaves nothing of the request behind.

Batches that arrive together are stored together: `EventWriter` writes every batch waiting for
the same guild in one transaction, each table's rows at once through `db.bulk` (group commit),
and answers each batch exactly as if the batches had been stored one after another in arrival
order. A batch the database refuses fails alone: the group is then written again batch by batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Insert, Table, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bgs.events import Envelope, child_rows, faction_names, star_pos
from db import bulk, models
from db.session import Database, is_unavailable

log = logging.getLogger(__name__)

MAX_BATCH = 100
MAX_GROUP_EVENTS = 2000
MAX_LOCK_HOLD_SECONDS = 0.1  # then other writers get the SQLite write lock before more groups
NAME_REFRESH_SECONDS = 60.0
MAX_RECENT_NAMES = 100_000
PILOTS_FEDERATION = "Pilots' Federation Local Branch"
EVENT_IDENTITY = ("guild_id", "timestamp", "content_hash")  # the same content is a duplicate

ChildRows = list[tuple[type[models.Base], dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event that this request stored (not a duplicate)."""

    id: int
    envelope: Envelope


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    stored: list[StoredEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Mentions:
    """The names one event mentions: its system (address, name, coordinates), its factions and
    its cmdr."""

    system: tuple[int, str, tuple[float, float, float] | None] | None
    factions: frozenset[str]
    cmdr: str | None


def mentions(envelope: Envelope) -> Mentions:
    """What one event names, for the known systems, factions and cmdrs."""
    system = None
    if envelope.system_address is not None and envelope.system_name:
        system = (envelope.system_address, envelope.system_name, star_pos(envelope.data))
    factions = frozenset(name[:128] for name in faction_names(envelope.data))
    return Mentions(system, factions - {PILOTS_FEDERATION}, envelope.cmdr)


@dataclass(frozen=True, slots=True)
class Batch:
    """A validated batch with its typed rows and names worked out: ready to store, with no work
    left that can fail on the plugin's data but the database's own checks."""

    envelopes: Sequence[Envelope]
    children: Sequence[ChildRows]
    mentions: Sequence[Mentions]


def prepare(envelopes: Sequence[Envelope]) -> Batch:
    """Work out a batch's typed rows and names (pure; raises if a row cannot be built)."""
    return Batch(
        envelopes,
        [child_rows(envelope) for envelope in envelopes],
        [mentions(envelope) for envelope in envelopes],
    )


def _dialect_insert(session: AsyncSession, model: type[models.Base]) -> Any:
    """An INSERT for the session's dialect (both support ON CONFLICT)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


# The upserts of known names, built once: rebuilding them costs more than running them. They
# insert into tables rather than ORM entities (much less overhead per row); the tenant session
# stamps `guild_id` on those just the same.


def _table(model: type[models.Base]) -> Table:
    return cast(Table, model.__table__)


def _table_insert(dialect: str, model: type[models.Base]) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_table(model))


@cache
def _last_seen_upsert(dialect: str, model: type[models.Base], key: str) -> Insert:
    statement = _table_insert(dialect, model)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=["guild_id", key], set_={"last_seen": statement.excluded.last_seen}
    )
    return upsert


@cache
def _systems_upsert(dialect: str) -> Insert:
    statement = _table_insert(dialect, models.KnownSystem)
    excluded = statement.excluded
    table = models.KnownSystem.__table__.c
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=["guild_id", "address"],
        set_={
            "name": excluded.name,
            "last_seen": excluded.last_seen,
            "x": func.coalesce(excluded.x, table.x),
            "y": func.coalesce(excluded.y, table.y),
            "z": func.coalesce(excluded.z, table.z),
        },
    )
    return upsert


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


async def store_events(
    session: AsyncSession, envelopes: Sequence[Envelope], received_at: datetime | None = None
) -> IngestResult:
    """Store a validated batch; an event whose content is already stored is a duplicate."""
    (result,) = await store_batches(session, [prepare(envelopes)], received_at)
    return result


async def store_batches(
    session: AsyncSession, batches: Sequence[Batch], received_at: datetime | None = None
) -> list[IngestResult]:
    """Store several batches in the session's transaction, one statement per table.

    Each result is what storing the batches one after another, in order, would answer: an
    event already stored, or sent before in the same batch or in an earlier one, is a duplicate.
    """
    results, _ = await session.run_sync(_store, batches, received_at or datetime.now(UTC), None)
    return results


def _store(
    session: Session,
    batches: Sequence[Batch],
    received_at: datetime,
    recent: RecentNames | None,
) -> tuple[list[IngestResult], Names]:
    """`store_batches` on a synchronous session, skipping the names `recent` says were written
    lately; returns the results and the names it wrote."""
    results = [IngestResult() for _ in batches]
    written = Names()
    first: dict[str, tuple[int, int]] = {}  # content hash -> (batch, event) that sent it first
    for b, batch in enumerate(batches):
        for e, envelope in enumerate(batch.envelopes):
            first.setdefault(envelope.content_hash, (b, e))
    if first:
        rows = []
        for b, e in first.values():
            row = batches[b].envelopes[e].row()
            row["received_at"] = received_at
            rows.append(row)
        inserted = bulk.insert_new(
            session, _table(models.Event), rows, EVENT_IDENTITY, ("id", "content_hash")
        )

        children: dict[type[models.Base], list[dict[str, Any]]] = defaultdict(list)
        named: list[Mentions] = []
        for event_id, digest in inserted:
            b, e = first[digest]
            batch = batches[b]
            results[b].stored.append(StoredEvent(event_id, batch.envelopes[e]))
            for model, child in batch.children[e]:
                children[model].append({**child, "event_id": event_id})
            named.append(batch.mentions[e])
        for model, model_rows in children.items():
            bulk.insert_rows(session, _table(model), model_rows)
        written = collect_names(named, received_at)
        if recent is not None:
            written = recent.unwritten(written)
        _remember_names(session, written, received_at)
    for batch, result in zip(batches, results, strict=True):
        result.stored.sort(key=lambda item: item.id)
        result.accepted = len(result.stored)
        result.duplicates = len(batch.envelopes) - result.accepted
    return results, written


@dataclass(slots=True)
class Names:
    """The systems (rows by address), factions and cmdrs that events mention."""

    systems: dict[int, dict[str, Any]] = field(default_factory=dict)
    factions: set[str] = field(default_factory=set)
    cmdrs: set[str] = field(default_factory=set)


def collect_names(events: Iterable[Mentions], seen_at: datetime) -> Names:
    """The names to keep current for these events; a system's coordinates where any gives them."""
    systems: dict[int, dict[str, Any]] = {}
    factions: set[str] = set()
    cmdrs: set[str] = set()
    for event in events:
        if event.system is not None:
            address, name, pos = event.system
            known = systems.get(address)
            if known is None or (pos is not None and known["x"] is None):
                x, y, z = pos if pos is not None else (None, None, None)
                systems[address] = {
                    "address": address,
                    "name": name,
                    "x": x,
                    "y": y,
                    "z": z,
                    "last_seen": seen_at,
                }
        factions |= event.factions
        if event.cmdr:
            cmdrs.add(event.cmdr)
    return Names(systems, factions, cmdrs)


class RecentNames:
    """The names one guild's batches wrote lately, so that a busy stream does not rewrite the
    same systems, factions and cmdrs in every transaction.

    A known name's `last_seen` is refreshed at most every `refresh` seconds; a new name, and a
    system's first coordinates, are written at once. Only committed writes are remembered.
    """

    def __init__(self, refresh: float = NAME_REFRESH_SECONDS) -> None:
        self._refresh = refresh
        self._systems: dict[int, tuple[float, bool]] = {}  # address -> (written, has position)
        self._factions: dict[str, float] = {}
        self._cmdrs: dict[str, float] = {}

    def unwritten(self, names: Names) -> Names:
        """The part of `names` that is new or due for a refresh."""
        due = time.monotonic() - self._refresh
        systems = {}
        for address, row in names.systems.items():
            written, has_position = self._systems.get(address, (due, False))
            if written <= due or (row["x"] is not None and not has_position):
                systems[address] = row
        return Names(
            systems,
            {name for name in names.factions if self._factions.get(name, due) <= due},
            {name for name in names.cmdrs if self._cmdrs.get(name, due) <= due},
        )

    def remember(self, names: Names) -> None:
        """Note names whose write was committed."""
        now = time.monotonic()
        if len(self._systems) + len(self._factions) + len(self._cmdrs) > MAX_RECENT_NAMES:
            self._systems.clear()
            self._factions.clear()
            self._cmdrs.clear()
        for address, row in names.systems.items():
            had_position = self._systems.get(address, (now, False))[1]
            self._systems[address] = (now, had_position or row["x"] is not None)
        self._factions.update(dict.fromkeys(names.factions, now))
        self._cmdrs.update(dict.fromkeys(names.cmdrs, now))


def _remember_names(session: Session, names: Names, seen_at: datetime) -> None:
    """Keep the guild's known systems, factions and cmdrs current (for autocomplete, status).

    Rows go in a fixed order (by key), so concurrent writers lock them in the same order.
    Coordinates, once known, are never forgotten.
    """
    dialect = _dialect(session)
    if names.systems:
        rows = sorted(names.systems.values(), key=lambda row: row["address"])
        session.execute(_systems_upsert(dialect), rows)
    if names.factions:
        session.execute(
            _last_seen_upsert(dialect, models.KnownFaction, "name"),
            [{"name": name, "last_seen": seen_at} for name in sorted(names.factions)],
        )
    if names.cmdrs:
        session.execute(
            _last_seen_upsert(dialect, models.Cmdr, "name"),
            [
                {"name": name, "first_seen": seen_at, "last_seen": seen_at}
                for name in sorted(names.cmdrs)
            ],
        )


# --------------------------------------------------------------------------------------------
# Group commit
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    batch: Batch
    done: asyncio.Future[IngestResult]
    alone: bool = False  # to be stored in a transaction of its own
    abandoned: bool = False  # its request went away before it was taken

    def settle(self, outcome: IngestResult | BaseException) -> None:
        if self.done.done():  # its request was cancelled meanwhile
            return
        if isinstance(outcome, IngestResult):
            self.done.set_result(outcome)
        else:
            self.done.set_exception(outcome)


def _settle(jobs: Sequence[_Job], results: Sequence[IngestResult]) -> None:
    for job, result in zip(jobs, results, strict=True):
        job.settle(result)


@dataclass(slots=True)
class _Queue:
    """One guild's batches waiting to be written, and the names its writes refreshed lately.

    Request handlers append; the chain that writes (possibly in another thread) takes from the
    left. Both are single deque operations, so they need no lock.
    """

    jobs: deque[_Job] = field(default_factory=deque)
    recent: RecentNames = field(default_factory=RecentNames)
    drain: asyncio.Task[None] | None = None

    def take(self, max_events: int) -> list[_Job]:
        """The oldest waiting jobs, up to `max_events` events (at least one job)."""
        taken: list[_Job] = []
        count = 0
        while self.jobs:
            job = self.jobs[0]
            if job.abandoned:
                self.jobs.popleft()
                continue
            size = len(job.batch.envelopes)
            if taken and (job.alone or taken[0].alone or count + size > max_events):
                break
            taken.append(self.jobs.popleft())
            count += size
        return taken


class _Chain:
    """The transactions of one hold of the write lock, back to back: each stores the group
    waiting at that moment, which is answered once it is committed (see
    `Database.run_tenant_chain`)."""

    def __init__(
        self, queue: _Queue, loop: asyncio.AbstractEventLoop, max_events: int, until: float
    ) -> None:
        self.queue = queue
        self.group: list[_Job] = []  # the group of the transaction running, until committed
        self._loop = loop
        self._max_events = max_events
        self._until = until
        self._results: list[IngestResult] = []
        self._names = Names()

    def __call__(self, session: Session) -> bool:
        if time.monotonic() > self._until:
            return False  # let other writers have the lock; the drain comes back for the rest
        self.group = self.queue.take(self._max_events)
        if not self.group:
            return False
        batches = [job.batch for job in self.group]
        self._results, self._names = _store(session, batches, datetime.now(UTC), self.queue.recent)
        return True

    def committed(self) -> None:
        self.queue.recent.remember(self._names)
        self._loop.call_soon_threadsafe(_settle, self.group, self._results)
        self.group = []


class EventWriter:
    """Stores event batches; the ones waiting for the same guild go into one transaction.

    While a group is written, the batches that arrive queue up and become the next group, so a
    busy listener makes few, large transactions and an idle one writes each batch at once. The
    answer to each batch is the one it would get alone (see `store_batches`); a group the
    database refuses is written again batch by batch, so only a faulty batch fails.
    """

    def __init__(
        self,
        db: Database,
        max_group_events: int = MAX_GROUP_EVENTS,
        hold_seconds: float = MAX_LOCK_HOLD_SECONDS,
    ) -> None:
        self._db = db
        self._max_group_events = max_group_events
        self._hold_seconds = hold_seconds
        self._queues: dict[int, _Queue] = {}

    async def store(self, guild_id: int, envelopes: Sequence[Envelope]) -> IngestResult:
        """Store one validated batch of the guild's; raises what storing it alone would."""
        loop = asyncio.get_running_loop()
        job = _Job(prepare(envelopes), loop.create_future())
        queue = self._queues.get(guild_id)
        if queue is None:
            queue = self._queues[guild_id] = _Queue()
        queue.jobs.append(job)
        if queue.drain is None:
            queue.drain = loop.create_task(self._drain(guild_id, queue))
        try:
            return await asyncio.shield(job.done)
        except asyncio.CancelledError:
            job.abandoned = True
            raise

    async def _drain(self, guild_id: int, queue: _Queue) -> None:
        """Write the guild's waiting batches until none is left."""
        loop = asyncio.get_running_loop()
        try:
            while queue.jobs:
                until = time.monotonic() + self._hold_seconds
                chain = _Chain(queue, loop, self._max_group_events, until)
                try:
                    await self._db.run_tenant_chain(guild_id, chain)
                except Exception as exc:
                    self._refused(guild_id, queue, chain.group, exc)
        finally:
            queue.drain = None
            for job in queue.jobs:  # only when cancelled (shutting down)
                job.done.cancel()

    @staticmethod
    def _refused(guild_id: int, queue: _Queue, group: list[_Job], exc: Exception) -> None:
        if len(group) == 1 or is_unavailable(exc):
            for job in group:
                job.settle(exc)
            return
        log.warning(
            "guild %s: a group of %d batches was refused (%s); storing them one by one",
            guild_id,
            len(group),
            type(exc).__name__,
        )
        for job in group:
            job.alone = True
        queue.jobs.extendleft(reversed(group))


async def replace_activity(
    session: AsyncSession, activity: models.Activity, received_at: datetime | None = None
) -> None:
    """Store a cmdr's whole-tick snapshot, replacing the one stored for the same tick."""
    received_at = received_at or datetime.now(UTC)
    await session.execute(
        delete(models.Activity).where(
            models.Activity.cmdr == activity.cmdr, models.Activity.tickid == activity.tickid
        )
    )
    activity.received_at = received_at
    session.add(activity)
    await session.flush()
    names = Names(
        systems={
            system.address: {
                "address": system.address,
                "name": system.name,
                "x": None,
                "y": None,
                "z": None,
                "last_seen": received_at,
            }
            for system in activity.systems
        },
        factions={
            f.name for s in activity.systems for f in s.factions if f.name != PILOTS_FEDERATION
        },
    )
    await session.run_sync(_remember_names, names, received_at)
