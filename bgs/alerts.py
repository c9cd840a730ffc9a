"""What a stored batch of events means for alerts: conflict changes and protected-faction harm.

Conflict state is updated first because harm detection reads it (a member fighting for the
opponent of a protected faction is only known once the conflict is known).
"""

from __future__ import annotations

from dataclasses import dataclass

from bgs import conflicts, protected
from bgs.conflicts import ConflictChange
from bgs.ingest import IngestResult
from bgs.protected import AlertRef
from db.session import Database


@dataclass(frozen=True, slots=True)
class IngestAlerts:
    """The alerts one stored batch raised."""

    conflict_changes: list[ConflictChange]
    harm_alerts: list[AlertRef]

    def __bool__(self) -> bool:
        return bool(self.conflict_changes or self.harm_alerts)


async def after_ingest(db: Database, guild_id: int, result: IngestResult) -> IngestAlerts:
    """Update the conflict states, then record protected-faction harm, for one stored batch."""
    changes = await conflicts.on_events_stored(db, guild_id, result)
    harm = await protected.on_events_stored(db, guild_id, result)
    return IngestAlerts(changes, harm)
