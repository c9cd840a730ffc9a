"""What a stored batch of events means for alerts: conflict changes and protected-faction harm.

Conflict state is updated first because harm detection reads it (a member fighting for the
opponent of a protected faction is only known once the conflict is known).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bgs import conflicts, protected
from bgs.conflicts import ConflictChange, Observations
from bgs.ingest import IngestResult, StoredEvent
from bgs.protected import AlertRef
from db.session import Database


@dataclass(frozen=True, slots=True)
class IngestAlerts:
    """The alerts one stored batch raised."""

    conflict_changes: list[ConflictChange]
    harm_alerts: list[AlertRef]

    def __bool__(self) -> bool:
        return bool(self.conflict_changes or self.harm_alerts)


@dataclass(slots=True)
class Pending:
    """What the after-ingest work needs of the batches stored since it last ran: each system's
    newest conflict observation and the events that can harm a protected faction.

    Only that is kept, not every event stored: a busy listener stores thousands of events a
    second, and each one held until the run is more for the garbage collector to scan, in pauses
    that every request waits out.
    """

    observations: Observations = field(default_factory=Observations)
    harm: list[StoredEvent] = field(default_factory=list)

    def add(self, result: IngestResult) -> None:
        for stored in result.stored:
            if stored.envelope.event in protected.HARM_EVENTS:
                self.harm.append(stored)
            else:
                self.observations.add(stored)

    def __bool__(self) -> bool:
        return bool(self.harm or self.observations)


async def after_ingest(db: Database, guild_id: int, pending: Pending) -> IngestAlerts:
    """Update the conflict states, then record protected-faction harm, for the stored batches."""
    changes = await conflicts.on_events_stored(db, guild_id, pending.observations)
    in_order = sorted(pending.harm, key=lambda stored: stored.id)
    harm = await protected.on_events_stored(db, guild_id, in_order)
    return IngestAlerts(changes, harm)
