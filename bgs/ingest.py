"""Storing what the plugin sends: event batches (atomic, idempotent) and activity snapshots
(replace per cmdr and tick).

Both run inside one tenant-scoped transaction opened by the caller, so a failure anywhere
leaves nothing of the request behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.events import Envelope, faction_names, star_pos, typed_rows
from db import models

MAX_BATCH = 100
PILOTS_FEDERATION = "Pilots' Federation Local Branch"


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


def _dialect_insert(session: AsyncSession, model: type[models.Base]) -> Any:
    """An INSERT for the session's dialect (both support ON CONFLICT)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def store_events(
    session: AsyncSession, envelopes: Sequence[Envelope], received_at: datetime | None = None
) -> IngestResult:
    """Store a validated batch; an event whose content is already stored is a duplicate."""
    received_at = received_at or datetime.now(UTC)
    result = IngestResult()
    unique: dict[str, Envelope] = {}
    for envelope in envelopes:
        unique.setdefault(envelope.content_hash, envelope)
    if not unique:
        return result

    statement = (
        _dialect_insert(session, models.Event)
        .on_conflict_do_nothing(index_elements=["guild_id", "content_hash"])
        .returning(models.Event.id, models.Event.content_hash)
    )
    rows = [{**envelope.row(), "received_at": received_at} for envelope in unique.values()]
    inserted = (await session.execute(statement, rows)).all()

    children: dict[type[models.Base], list[dict[str, Any]]] = defaultdict(list)
    for event_id, digest in inserted:
        envelope = unique[digest]
        result.stored.append(StoredEvent(event_id, envelope))
        for model, row in typed_rows(envelope, event_id):
            children[model].append(row)
    for model, child_rows in children.items():
        await session.execute(insert(model), child_rows)

    stored_envelopes = [stored.envelope for stored in result.stored]
    await _remember_names(session, stored_envelopes, received_at)
    result.stored.sort(key=lambda stored: stored.id)
    result.accepted = len(result.stored)
    result.duplicates = len(envelopes) - result.accepted
    return result


async def _remember_names(
    session: AsyncSession, envelopes: Iterable[Envelope], seen_at: datetime
) -> None:
    """Keep the guild's known systems, factions and cmdrs current (for autocomplete, status)."""
    systems: dict[int, dict[str, Any]] = {}
    factions: set[str] = set()
    cmdrs: set[str] = set()
    for envelope in envelopes:
        if envelope.system_address is not None and envelope.system_name:
            pos = star_pos(envelope.data)
            known = systems.get(envelope.system_address)
            if known is None or (pos is not None and known["x"] is None):
                x, y, z = pos if pos is not None else (None, None, None)
                systems[envelope.system_address] = {
                    "address": envelope.system_address,
                    "name": envelope.system_name,
                    "x": x,
                    "y": y,
                    "z": z,
                    "last_seen": seen_at,
                }
        factions.update(name[:128] for name in faction_names(envelope.data))
        if envelope.cmdr:
            cmdrs.add(envelope.cmdr)
    factions.discard(PILOTS_FEDERATION)
    await upsert_systems(session, systems.values())
    await upsert_factions(session, factions, seen_at)
    if cmdrs:
        statement = _dialect_insert(session, models.Cmdr)
        statement = statement.on_conflict_do_update(
            index_elements=["guild_id", "name"], set_={"last_seen": statement.excluded.last_seen}
        )
        await session.execute(
            statement,
            [{"name": name, "first_seen": seen_at, "last_seen": seen_at} for name in sorted(cmdrs)],
        )


async def upsert_systems(session: AsyncSession, systems: Iterable[dict[str, Any]]) -> None:
    """Insert or refresh known systems; coordinates, once known, are never forgotten."""
    rows = sorted(systems, key=lambda row: row["address"])
    if not rows:
        return
    statement = _dialect_insert(session, models.KnownSystem)
    excluded = statement.excluded
    table = models.KnownSystem.__table__.c
    statement = statement.on_conflict_do_update(
        index_elements=["guild_id", "address"],
        set_={
            "name": excluded.name,
            "last_seen": excluded.last_seen,
            "x": func.coalesce(excluded.x, table.x),
            "y": func.coalesce(excluded.y, table.y),
            "z": func.coalesce(excluded.z, table.z),
        },
    )
    await session.execute(statement, rows)


async def upsert_factions(session: AsyncSession, names: Iterable[str], seen_at: datetime) -> None:
    rows = [{"name": name, "last_seen": seen_at} for name in sorted(names)]
    if not rows:
        return
    statement = _dialect_insert(session, models.KnownFaction)
    statement = statement.on_conflict_do_update(
        index_elements=["guild_id", "name"], set_={"last_seen": statement.excluded.last_seen}
    )
    await session.execute(statement, rows)


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
    systems = {
        system.address: {
            "address": system.address,
            "name": system.name,
            "x": None,
            "y": None,
            "z": None,
            "last_seen": received_at,
        }
        for system in activity.systems
    }
    await upsert_systems(session, systems.values())
    await upsert_factions(
        session,
        {f.name for s in activity.systems for f in s.factions if f.name != PILOTS_FEDERATION},
        received_at,
    )
