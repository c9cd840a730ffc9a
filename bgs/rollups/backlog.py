"""Keeping event rollups current: the backlog of stored events not yet added to them.

Ingest does not add to the rollups: a few upserts per event in or just behind the transaction
that stores it cost the listener a third of its throughput (bench/README). Each transaction
that stores events writes one `rollup_backlog` row per run of consecutive new event ids
instead (on PostgreSQL in the statement that notes its after-ingest work), and `catch_up`
adds the events the backlog names to the rollups and deletes those rows in one transaction, so
every event counts exactly once, whichever process does it and whenever one dies. Off the
request path, every process folds the backlog every `ROLLUP_FOLD_SECONDS` (`fold`, a chunk of
backlog per transaction so the listener's writes wait for one chunk at most, up to the backlog
there was when it began, so one busy guild cannot keep it going), and every
summary catches up first (`current`), so summaries are exact at any moment and a summary's
catch-up is at most that interval's events.

The day rows' `CUT` flag follows the guild's newest officer tick (`bgs.rollups.events`): when
an officer records a later one, `catch_up` counts the day rows from that tick's day on again,
from the raw events (a tick period is at most a day or two of them).

One guild's rollups are kept by one transaction at a time: SQLite has one writer, and on
PostgreSQL every transaction that changes them first takes the guild's advisory lock.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, delete, exists, func, select, text
from sqlalchemy.orm import Session

from bgs.rollups.activities import guild_of
from bgs.rollups.buckets import DAY, truncate
from bgs.rollups.events import EventSums, write
from db import bulk, models
from db.database import Database

CHUNK: Final = 20_000  # events read at a time (and their additions written at a time)
BACKLOG_ROWS: Final = 50  # backlog rows per chunk (a fold transaction takes one chunk)
LOCK_NAMESPACE: Final = 0x726F6C6C  # "roll": the advisory lock keys of rollup maintenance

# the typed tables whose rows add to a rollup
COUNTED: Final = (
    models.MarketBuy,
    models.MarketSell,
    models.MissionCompleted,
    models.MissionFailed,
    models.RedeemVoucher,
    models.ExplorationSale,
    models.CommitCrime,
    models.MissionInfluence,
    models.SyntheticCZ,
    models.SyntheticGroundCZ,
)

Progress = Callable[[int], object]  # called with the number of rows just read
Backlog = models.RollupBacklog
E = models.Event


def runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """The runs of consecutive ids, as (first, last) pairs (`ids` ascending)."""
    found: list[tuple[int, int]] = []
    for event_id in ids:
        if found and found[-1][1] == event_id - 1:
            found[-1] = (found[-1][0], event_id)
        else:
            found.append((event_id, event_id))
    return found


def backlog_rows(event_ids: Sequence[int]) -> list[dict[str, int]]:
    """The backlog rows noting new events (ids ascending) as not yet in the rollups, for the
    transaction that stores them to write (`bgs.ingest.store`)."""
    return [{"first_event_id": a, "last_event_id": b} for a, b in runs(event_ids)]


def lock(session: Session) -> None:
    """Take the guild's rollup lock for the rest of the transaction (PostgreSQL; SQLite's one
    writer needs none)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": LOCK_NAMESPACE, "key": guild_of(session) % 2**31},
        )


def in_backlog(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """An `events` row is named by a backlog row of its guild (meeting `conditions`)."""
    return exists().where(
        Backlog.guild_id == E.guild_id,
        E.id >= Backlog.first_event_id,
        E.id <= Backlog.last_event_id,
        *conditions,
    )


def roll_up(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    cut: datetime | None,
    *,
    days_only: bool = False,
    progress: Progress = lambda _: None,
) -> int:
    """Add the guild's stored events meeting `conditions` (on `events`) to the rollups, to the
    day rows only with `days_only`, reading them in chunks; how many events."""
    guild = guild_of(session)
    last, counted = 0, 0
    columns = (E.id, E.event, E.timestamp, E.tickid, E.ticktime, E.system_name)
    while True:
        chunk = session.execute(
            select(*columns)
            .where(E.guild_id == guild, E.id > last, *conditions)
            .order_by(E.id)
            .limit(CHUNK)
        ).all()
        if not chunk:
            return counted
        sums = EventSums(cut, days_only=days_only)
        for row in chunk:
            sums.add_event(row.event, row.timestamp, row.tickid, row.ticktime, row.system_name)
        first, last = chunk[0].id, chunk[-1].id
        for model in COUNTED:
            table = bulk.table_of(model)
            children = session.execute(
                select(table)
                .join(E, E.id == table.c.event_id)
                .where(table.c.guild_id == guild, table.c.event_id.between(first, last))
                .where(E.guild_id == guild, *conditions)
            )
            for child in children:
                sums.add_child(model, dict(child._mapping))
        write(session, sums)
        counted += len(chunk)
        progress(len(chunk))


def officers_cut(session: Session) -> datetime | None:
    """The guild's newest officer tick: the instant the day rows' `CUT` flag follows."""
    newest = select(func.max(models.GuildTick.tick_time))
    return session.execute(newest.where(models.GuildTick.guild_id == guild_of(session))).scalar()


def counted_cut(session: Session) -> tuple[bool, datetime | None]:
    """(whether the guild's rollups were counted yet, the cut their day rows follow)."""
    state = models.RollupState
    row = session.execute(
        select(state.cut).where(state.guild_id == guild_of(session))
    ).one_or_none()
    return (False, None) if row is None else (True, row.cut)


def set_counted_cut(session: Session, cut: datetime | None) -> None:
    table = bulk.table_of(models.RollupState)
    guild = guild_of(session)
    session.execute(delete(table).where(table.c.guild_id == guild))
    bulk.insert_rows(session, table, [{"guild_id": guild, "cut": cut}])


def _recut(session: Session, old: datetime | None, new: datetime | None) -> None:
    """Count the day rows again from the day of the earlier of two cuts on."""
    since = truncate(min(c for c in (old, new) if c is not None), DAY)
    table = bulk.table_of(models.EventRollup)
    session.execute(
        delete(table).where(
            table.c.guild_id == guild_of(session), table.c.grain == DAY, table.c.bucket >= since
        )
    )
    roll_up(session, [E.timestamp >= since, ~in_backlog()], new, days_only=True)


def catch_up(session: Session, *, chunks: int | None = None, through: int | None = None) -> int:
    """Add the events the guild's backlog names to its rollups and delete those backlog rows
    (and count the day rows again if an officer's tick moved the cut), in the session's
    transaction: all of them (with `through`, the rows up to that id), or the first `chunks`
    chunks of `BACKLOG_ROWS` rows; how many events were added."""
    lock(session)
    guild = guild_of(session)
    cut = officers_cut(session)
    counted, old = counted_cut(session)
    if counted and old != cut:
        _recut(session, old, cut)
    if not counted or old != cut:
        set_counted_cut(session, cut)
    added = 0
    for _ in itertools.count() if chunks is None else range(chunks):
        taken = (
            session.execute(
                select(Backlog.id)
                .where(Backlog.guild_id == guild, *_through(through))
                .order_by(Backlog.id)
                .limit(BACKLOG_ROWS)
            )
            .scalars()
            .all()
        )
        if not taken:
            break
        added += roll_up(session, [in_backlog(Backlog.id.in_(taken))], cut)
        table = bulk.table_of(Backlog)
        session.execute(delete(table).where(table.c.guild_id == guild, table.c.id.in_(taken)))
    return added


def _through(last: int | None) -> list[ColumnElement[bool]]:
    return [] if last is None else [Backlog.id <= last]


def pending(session: Session, *, through: int | None = None) -> bool:
    """Whether `catch_up` has work: the guild's backlog names events (in rows up to id
    `through`), or an officer's tick moved the cut."""
    query = select(Backlog.id).where(Backlog.guild_id == guild_of(session), *_through(through))
    query = query.limit(1)
    if session.execute(query).first() is not None:
        return True
    counted, cut = counted_cut(session)
    return counted and cut != officers_cut(session)


async def current(db: Database, guild_id: int) -> None:
    """Bring the guild's event rollups up to date (a read first: most of the time there is
    nothing to do)."""
    async with db.tenant(guild_id) as session:
        if not await session.run_sync(pending):
            return
    async with db.tenant_write(guild_id) as session:
        await session.run_sync(catch_up)


async def fold(db: Database) -> dict[int, int]:
    """Catch up every guild whose backlog names events, one chunk per transaction, up to the
    backlog it had when the fold began: a guild whose members send faster than the fold takes
    their events does not keep it (and the other guilds) waiting, the next fold or a summary
    takes the rest. Returns the events added per guild (the periodic job of every process,
    `warden.services`)."""
    added: dict[int, int] = {}
    for url in db.urls:
        async with db.unscoped(url) as session:
            marks = await session.execute(
                select(Backlog.guild_id, func.max(Backlog.id)).group_by(Backlog.guild_id)
            )
            backlogs = marks.all()
        for guild_id, through in backlogs:
            if db.url_for(guild_id) != url:
                continue
            more = True
            while more:
                async with db.tenant_write(guild_id) as session:
                    count = await session.run_sync(catch_up, chunks=1, through=through)
                    more = await session.run_sync(pending, through=through)
                added[guild_id] = added.get(guild_id, 0) + count
    return added
