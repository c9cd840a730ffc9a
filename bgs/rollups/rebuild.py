"""Rebuilding a guild's rollups from its raw events and tallies: for the upgrade that introduces
them, and to repair them. The same additions as the backlog's and a tally's
(`bgs.rollups.backlog`, `bgs.rollups.activities`), read back from the stored rows in chunks;
the events the backlog names are left to it.

Events pruned by retention (`bgs.retention`) are gone: a rebuild can only count what is
still stored, so it refuses to run for a guild whose rollups count older events than the
oldest one stored (the rollups of the pruned days would be lost), unless forced.

Works on a synchronous session whose `info["guild_id"]` names the guild, tenant-scoped or
plain (the migration's): every statement names the guild itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from bgs.errors import DomainError
from bgs.rollups import activities, backlog
from bgs.rollups.backlog import Progress
from bgs.rollups.buckets import DAY, MONTH, YEAR, truncate
from db import bulk, models

TALLY_CHUNK: Final = 500  # tallies per read, with their systems and factions


class PrunedError(DomainError):
    """The guild's rollups count events that are no longer stored."""

    def __init__(self, since: datetime | None) -> None:
        kept = f"since {since:%Y-%m-%d}" if since else "none"
        super().__init__(
            f"the rollups count events older than the raw events still stored ({kept}): they "
            "were pruned, and a rebuild would lose them (force it to rebuild anyway)"
        )


def pruned_since(session: Session) -> tuple[bool, datetime | None]:
    """(whether the rollups count events older than every stored one, the oldest stored
    event's time)."""
    guild = activities.guild_of(session)
    oldest = session.execute(
        select(func.min(models.Event.timestamp)).where(models.Event.guild_id == guild)
    ).scalar_one()
    table = models.EventRollup
    older = [table.guild_id == guild, table.grain == DAY]
    if oldest is not None:
        older.append(table.bucket < truncate(oldest, DAY))
    counted = session.execute(select(table.id).where(*older).limit(1)).first()
    return counted is not None, oldest


@dataclass(frozen=True, slots=True)
class Rebuilt:
    events: int
    tallies: int


def amount(session: Session) -> int:
    """How many rows (events and tallies) a rebuild of the session's guild reads."""
    guild = activities.guild_of(session)
    total = 0
    for model in (models.Event, models.Activity):
        total += session.execute(
            select(func.count()).select_from(model).where(model.guild_id == guild)
        ).scalar_one()
    return total


def _rebuild_tallies(session: Session, progress: Progress) -> int:
    guild = activities.guild_of(session)
    table = bulk.table_of(models.ActivityRollup)
    model = models.Activity
    last, counted = 0, 0
    while True:
        chunk = (
            session.execute(
                select(model)
                .where(model.guild_id == guild, model.id > last)
                .order_by(model.id)
                .limit(TALLY_CHUNK)
                .options(selectinload(model.systems).selectinload(models.ActivitySystem.factions))
            )
            .scalars()
            .all()
        )
        if not chunk:
            break
        rows = [row for tally in chunk for row in activities.tally_rows(tally)]
        bulk.insert_rows(session, table, rows)
        session.expunge_all()
        last, counted = chunk[-1].id, counted + len(chunk)
        progress(len(chunk))
    days = [table.c.guild_id == guild, table.c.grain == DAY]
    ticks = session.execute(select(table.c.tickid, table.c.bucket).where(*days).distinct()).all()
    for tickid, day in ticks:
        activities.roll_up_tick(session, tickid, day, None)
    for grain, finer in ((MONTH, DAY), (YEAR, MONTH)):
        rows_of = [table.c.guild_id == guild, table.c.grain == finer]
        buckets = session.execute(select(table.c.bucket).where(*rows_of).distinct()).scalars()
        for start in {None if day is None else truncate(day, grain) for day in buckets}:
            activities.roll_up_period(session, None, grain, start, None)
    return counted


def rebuild(
    session: Session, progress: Progress = lambda _: None, *, force: bool = False
) -> Rebuilt:
    """Replace the session's guild's rollups with ones worked out from its stored events and
    tallies, in the session's transaction. Raises PrunedError when events were pruned, unless
    `force`."""
    guild = activities.guild_of(session)
    pruned, oldest = pruned_since(session)
    if pruned and not force:
        raise PrunedError(oldest)
    backlog.lock(session)
    for model in (models.EventRollup, models.ActivityRollup):
        table = bulk.table_of(model)
        session.execute(delete(table).where(table.c.guild_id == guild))
    cut = backlog.officers_cut(session)
    backlog.set_counted_cut(session, cut)
    events = backlog.roll_up(session, [~backlog.in_backlog()], cut, progress=progress)
    tallies = _rebuild_tallies(session, progress)
    return Rebuilt(events, tallies)
