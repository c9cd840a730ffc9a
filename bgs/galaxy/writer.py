"""The one place snapshots are stored, for the EDDN feed and members' own jumps alike: the
snapshots, the influence history of what tenants watch, and then `on_changes`, in the same
transaction.

`on_changes(session, changes, now)` is where the alerts on galaxy changes plug in: it runs in
the transaction that stored the changes (on the default database, where the galaxy tables
live), so an alert is written exactly when its change is, never twice. It is a parameter of
`GalaxyWriter`, given where `warden.services.Services` builds it; the default does nothing.
The changes include reports that repeat the stored state with a newer time (most of EDDN):
their `before` differs from `after` only in `observed_at`, so an alert compares the two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bgs.galaxy.snapshot import SystemChange, SystemSnapshot
from bgs.galaxy.store import apply_snapshots
from bgs.galaxy.watched import WatchedCache
from db.database import Database

OnChanges = Callable[[AsyncSession, list[SystemChange], datetime], Awaitable[None]]


async def no_alerts(_session: AsyncSession, _changes: list[SystemChange], _now: datetime) -> None:
    """The default `on_changes`: galaxy changes raise no alert."""


class GalaxyWriter:
    """Stores snapshot batches in the default database, then calls `on_changes` with what they
    changed, in the same transaction."""

    def __init__(
        self,
        db: Database,
        on_changes: OnChanges = no_alerts,
        watched: WatchedCache | None = None,
    ) -> None:
        self.db = db
        self.on_changes = on_changes
        self.watched = watched or WatchedCache(db)

    async def store(
        self, snapshots: Sequence[SystemSnapshot], source: str, now: datetime | None = None
    ) -> list[SystemChange]:
        """Store a batch (`source`: `bgs.galaxy.store.EDDN` or `MEMBER`); the changes made."""
        if not snapshots:
            return []
        now = now or datetime.now(UTC)
        watched = await self.watched.get()
        async with self.db.unscoped_write() as session:
            changes = await apply_snapshots(session, snapshots, now, source, watched)
            if changes:
                await self.on_changes(session, changes, now)
        return changes
