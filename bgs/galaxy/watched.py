"""The systems some tenant watches, whose influence history is kept: its faction's systems, its
protected factions' systems, its objectives' systems, and the systems its members worked in
during the last `WORKED_WITHIN` (their activity tallies).

A faction's systems are those whose snapshot lists the faction, so a system it expands to is
watched from its first report. Tenants may live in databases of their own, so every configured
database is read; `WatchedCache` keeps the answer for `REFRESH_EVERY`, since a snapshot batch
arrives many times a second and the set changes rarely.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import or_, select

from bgs.galaxy.snapshot import SystemSnapshot
from db.database import Database
from db.models import (
    Activity,
    ActivitySystem,
    Objective,
    ObjectiveTarget,
    ProtectedFaction,
    Tenant,
)

WORKED_WITHIN: Final = timedelta(days=30)
REFRESH_EVERY: Final = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Watched:
    """What tenants watch: system addresses, system names (objectives name systems) in
    case-folded form, and faction names."""

    addresses: frozenset[int] = frozenset()
    names: frozenset[str] = frozenset()
    factions: frozenset[str] = frozenset()

    def covers(self, snapshot: SystemSnapshot) -> bool:
        return (
            snapshot.system_address in self.addresses
            or snapshot.name.casefold() in self.names
            or any(faction.name in self.factions for faction in snapshot.factions)
        )


async def _watched_in(db: Database, url: str, now: datetime) -> Watched:
    """What the tenants of one database watch (a cross-guild read)."""
    async with db.unscoped(url) as session:
        factions = set(
            (
                await session.execute(
                    select(Tenant.faction).where(
                        Tenant.faction.is_not(None), Tenant.left_at.is_(None)
                    )
                )
            ).scalars()
        )
        factions |= set((await session.execute(select(ProtectedFaction.name))).scalars())
        current = or_(Objective.ends_at.is_(None), Objective.ends_at > now)
        names = set(
            (
                await session.execute(
                    select(Objective.system).where(Objective.system.is_not(None), current)
                )
            ).scalars()
        )
        names |= set(
            (
                await session.execute(
                    select(ObjectiveTarget.system)
                    .join(Objective, Objective.id == ObjectiveTarget.objective_id)
                    .where(ObjectiveTarget.system.is_not(None), current)
                )
            ).scalars()
        )
        addresses = set(
            (
                await session.execute(
                    select(ActivitySystem.address)
                    .join(Activity, Activity.id == ActivitySystem.activity_id)
                    .where(Activity.timestamp >= now - WORKED_WITHIN)
                    .distinct()
                )
            ).scalars()
        )
    return Watched(
        frozenset(addresses),
        frozenset(name.casefold() for name in names if name),
        frozenset(name for name in factions if name),
    )


async def load_watched(db: Database, now: datetime) -> Watched:
    """What the tenants of every configured database watch."""
    parts = [await _watched_in(db, url, now) for url in db.urls]
    return Watched(
        frozenset().union(*(part.addresses for part in parts)),
        frozenset().union(*(part.names for part in parts)),
        frozenset().union(*(part.factions for part in parts)),
    )


class WatchedCache:
    """`load_watched`, read again once the answer is `refresh` old."""

    def __init__(
        self,
        db: Database,
        refresh: timedelta = REFRESH_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._refresh = refresh
        self._clock = clock
        self._watched: Watched | None = None
        self._read_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Watched:
        async with self._lock:
            now = self._clock()
            if (
                self._watched is None
                or self._read_at is None
                or now - self._read_at >= self._refresh
            ):
                self._watched = await load_watched(self._db, now)
                self._read_at = now
            return self._watched
