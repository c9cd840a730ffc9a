"""Retention: raw events older than a guild's limit are pruned, their rollups stay.

Every summary reads rollups (`bgs.rollups`), so summaries of old periods keep working. What
needs the raw events is lost for the pruned days: rebuilding rollups (`bot.py rollups
rebuild`), each event's own data (JSON as sent, typed rows), objectives' progress and the
protected-faction harm records of those days, and the ticks that only events named (a period
may then no longer name such a tick by its id).

The limit is the guild's `event_retention_days` (set with `/config retention`), or the
deployment's `EVENT_RETENTION_DAYS` when the guild has none; 0 keeps everything (the default).
Events are pruned by whole UTC days, the oldest first, in small transactions so that the
listener's writes are never held up long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import rollups
from bgs.rollups.backlog import in_backlog
from bgs.rollups.buckets import DAY, truncate
from db.database import Database
from db.models import Event, Tenant

log = logging.getLogger(__name__)

PRUNE_CHUNK: Final = 5_000  # events deleted per transaction


def retention_days(tenant: Tenant, default: int) -> int:
    """How many days of raw events the guild keeps (0: all)."""
    return default if tenant.event_retention_days is None else tenant.event_retention_days


def cutoff(days: int, now: datetime) -> datetime | None:
    """Events stamped before this instant are pruned (None: none are): the start of the UTC
    day `days` days before today."""
    return truncate(now, DAY) - timedelta(days=days) if days else None


def set_retention(tenant: Tenant, days: int | None) -> None:
    """Keep `days` days of raw events (0: all; None: the deployment's default)."""
    tenant.event_retention_days = days


async def prune_guild(db: Database, guild_id: int, before: datetime) -> int:
    """Delete the guild's events stamped before `before` (their typed rows go with them);
    returns how many."""
    pruned = 0
    while True:
        async with db.tenant_write(guild_id) as session:
            await session.run_sync(rollups.catch_up)  # what is pruned must be counted first
            oldest = (
                select(Event.id)
                .where(Event.guild_id == guild_id, Event.timestamp < before, ~in_backlog())
                .limit(PRUNE_CHUNK)
            )
            statement = delete(Event).where(Event.id.in_(oldest))
            result = await session.execute(statement.execution_options(synchronize_session=False))
        count = int(getattr(result, "rowcount", 0) or 0)
        pruned += count
        if count < PRUNE_CHUNK:
            return pruned


async def prune(db: Database, default_days: int, now: datetime) -> dict[int, int]:
    """Prune every guild's raw events past its limit; returns the events pruned per guild."""
    pruned: dict[int, int] = {}
    for url in db.urls:
        async with db.unscoped(url) as session:
            guilds = (await session.execute(select(Tenant))).scalars().all()
        for tenant in guilds:
            before = cutoff(retention_days(tenant, default_days), now)
            if before is None or db.url_for(tenant.guild_id) != url:
                continue
            count = await prune_guild(db, tenant.guild_id, before)
            if count:
                log.info("guild %s: %d raw events before %s pruned", tenant.guild_id, count, before)
            pruned[tenant.guild_id] = count
    return pruned


@dataclass(frozen=True, slots=True)
class Storage:
    """What `/status` says about storage: the database's size on disk (None when it cannot be
    read) and the guild's oldest raw event (None: none stored)."""

    size_bytes: int | None
    oldest_event: datetime | None


async def storage(session: AsyncSession) -> Storage:
    """The storage of the session's database and guild (tenant session)."""
    if session.get_bind().dialect.name == "sqlite":
        size_sql = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
    else:
        size_sql = "SELECT pg_database_size(current_database())"
    size = (await session.execute(text(size_sql))).scalar()
    oldest = (await session.execute(select(func.min(Event.timestamp)))).scalar_one()
    return Storage(None if size is None else int(size), oldest)
