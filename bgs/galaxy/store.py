"""Storing system snapshots: the newest observation by journal timestamp wins, whatever its source
and arrival order, and an equal or older one changes nothing (eddn.md §8, §9).

A batch is written with one statement per table: the stored systems of the batch are read (and
locked on PostgreSQL), the newer snapshots are upserted with `ON CONFLICT DO UPDATE … WHERE
stored.observed_at < new.observed_at RETURNING`, so a row another transaction wrote meanwhile
still wins when it is newer, and the factions and conflicts of exactly the systems written are
replaced as a whole (a faction that retreated disappears, an ended conflict too).

Influence history (`galaxy_influence`): for the systems tenants watch (`bgs.galaxy.watched`),
one row per system, faction and tick period, the period's last observation winning. Every valid
snapshot of a watched system counts, also one older than the stored state: a report that comes
a day late still fills its own tick period.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
from sqlalchemy import JSON, Row, String, bindparam, delete, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bgs.galaxy.snapshot import ConflictSnapshot, FactionSnapshot, SystemChange, SystemSnapshot
from bgs.galaxy.watched import Watched
from bgs.ticks import period_start
from db.bulk import dialect_insert, dialect_name, insert_global_rows, table_of
from db.models import GalaxyConflict, GalaxyFaction, GalaxyInfluence, GalaxySystem, GalaxyTick

EDDN: Final = "eddn"
MEMBER: Final = "member"
CHUNK: Final = 500  # addresses per IN list

SYSTEMS = table_of(GalaxySystem)
FACTIONS = table_of(GalaxyFaction)
CONFLICTS = table_of(GalaxyConflict)
INFLUENCE = table_of(GalaxyInfluence)


async def apply_snapshots(
    session: AsyncSession,
    snapshots: Sequence[SystemSnapshot],
    received_at: datetime,
    source: str,
    watched: Watched | None = None,
) -> list[SystemChange]:
    """Store the snapshots that are newer than what is stored, in the session's transaction; the
    change of each system whose state they replaced (in no particular order). With `watched`,
    also the influence history of the watched systems, and a change's `before` only for them
    (alerts, its one reader, concern only what tenants watch; rebuilding the replaced state of
    every system would cost a busy feed a tenth of its time)."""
    if not snapshots:
        return []
    return await session.run_sync(_apply, snapshots, received_at, source, watched)


def _apply(
    session: Session,
    snapshots: Sequence[SystemSnapshot],
    received_at: datetime,
    source: str,
    watched: Watched | None,
) -> list[SystemChange]:
    newest: dict[int, SystemSnapshot] = {}
    for snapshot in snapshots:
        known = newest.get(snapshot.system_address)
        if known is None or snapshot.observed_at > known.observed_at:
            newest[snapshot.system_address] = snapshot
    stored = {row.system_address: row for row in _stored_systems(session, list(newest))}
    changed: list[SystemSnapshot] = []
    same: list[tuple[SystemSnapshot, Any]] = []
    for address, snapshot in newest.items():
        row = stored.get(address)
        if row is None:
            changed.append(snapshot)
        elif snapshot.observed_at > row.observed_at:
            if row.content_hash == content_hash(snapshot):
                same.append((snapshot, row))
            else:
                changed.append(snapshot)
    changes = _refresh(session, same, received_at, source)
    if changed:
        replaced = [s for s in changed if s.system_address in stored]
        if watched is not None:
            replaced = _watched_before_or_after(session, replaced, watched)
        before = _rebuild(session, [stored[s.system_address] for s in replaced])
        written = _upsert_systems(session, changed, received_at, source)
        _replace_members(session, [s for s in changed if s.system_address in written])
        changes += [
            SystemChange(before.get(s.system_address), s)
            for s in changed
            if s.system_address in written
        ]
    if watched is not None:
        _record_history(session, [s for s in snapshots if watched.covers(s)])
    return changes


def _watched_before_or_after(
    session: Session, snapshots: Sequence[SystemSnapshot], watched: Watched
) -> list[SystemSnapshot]:
    """The snapshots of systems tenants watch, now or in their stored state (a watched faction
    that left a system is listed only there)."""
    now = [s for s in snapshots if watched.covers(s)]
    covered = {s.system_address for s in now}
    others = [s.system_address for s in snapshots if s.system_address not in covered]
    if not others or not watched.factions:
        return now
    listed: set[int] = set()
    for chunk in _chunks(others):
        query = select(FACTIONS.c.system_address).where(
            FACTIONS.c.system_address.in_(chunk), FACTIONS.c.faction.in_(sorted(watched.factions))
        )
        listed.update(session.execute(query).scalars())
    return now + [s for s in snapshots if s.system_address in listed]


def content_hash(snapshot: SystemSnapshot) -> str:
    """A digest of everything a snapshot says but its time: most reports of a system repeat
    its state (every CMDR who jumps in uploads it), and a repeat only moves the times on.
    orjson writes the dataclasses several times faster than `repr` (a stored digest of another
    form only makes the next report a change, stored whole)."""
    timeless = dataclasses.replace(snapshot, observed_at=_NO_TIME)
    return hashlib.blake2b(orjson.dumps(timeless), digest_size=16).hexdigest()


_NO_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def _refresh(
    session: Session,
    repeats: Sequence[tuple[SystemSnapshot, Any]],
    received_at: datetime,
    source: str,
) -> list[SystemChange]:
    """Move the times of systems whose newer report repeats the stored state (their rows are
    locked, so no other transaction wrote them meanwhile)."""
    if not repeats:
        return []
    times = [
        {"address": s.system_address, "observed_at": s.observed_at, "received_at": received_at}
        for s, _row in repeats
    ]
    session.execute(
        update(SYSTEMS)
        .where(SYSTEMS.c.system_address == bindparam("address"))
        .values(
            observed_at=bindparam("observed_at"),
            received_at=bindparam("received_at"),
            source=source,
        ),
        times,
    )
    for table in (FACTIONS, CONFLICTS):
        session.execute(
            update(table)
            .where(table.c.system_address == bindparam("address"))
            .values(observed_at=bindparam("observed_at")),
            [{"address": t["address"], "observed_at": t["observed_at"]} for t in times],
        )
    return [
        SystemChange(dataclasses.replace(s, observed_at=row.observed_at), s) for s, row in repeats
    ]


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _stored_systems(session: Session, addresses: Sequence[int]) -> list[Row[Any]]:
    rows: list[Row[Any]] = []
    for chunk in _chunks(addresses):
        query = select(SYSTEMS).where(SYSTEMS.c.system_address.in_(chunk)).with_for_update()
        rows += session.execute(query).all()
    return rows


def system_row(snapshot: SystemSnapshot, received_at: datetime, source: str) -> dict[str, Any]:
    x, y, z = snapshot.star_pos if snapshot.star_pos is not None else (None, None, None)
    return {
        "system_address": snapshot.system_address,
        "name": snapshot.name,
        "x": x,
        "y": y,
        "z": z,
        "population": snapshot.population,
        "security": snapshot.security,
        "economy": snapshot.economy,
        "second_economy": snapshot.second_economy,
        "government": snapshot.government,
        "allegiance": snapshot.allegiance,
        "controlling_faction": snapshot.controlling_faction,
        "controlling_faction_state": snapshot.controlling_faction_state,
        "controlling_power": snapshot.controlling_power,
        "powers": list(snapshot.powers),
        "powerplay_state": snapshot.powerplay_state,
        "powerplay_control_progress": snapshot.powerplay_control_progress,
        "powerplay_reinforcement": snapshot.powerplay_reinforcement,
        "powerplay_undermining": snapshot.powerplay_undermining,
        "powerplay_conflict_progress": [
            {"Power": power, "ConflictProgress": progress}
            for power, progress in snapshot.powerplay_conflict_progress
        ],
        "observed_at": snapshot.observed_at,
        "received_at": received_at,
        "source": source,
        "content_hash": content_hash(snapshot),
    }


def _faction_row(address: int, faction: FactionSnapshot, observed_at: datetime) -> dict[str, Any]:
    return {
        "system_address": address,
        "faction": faction.name,
        "influence": faction.influence,
        "state": faction.state,
        "active_states": list(faction.active_states),
        "pending_states": list(faction.pending_states),
        "recovering_states": list(faction.recovering_states),
        "government": faction.government,
        "allegiance": faction.allegiance,
        "happiness": faction.happiness,
        "observed_at": observed_at,
    }


def _conflict_row(
    address: int, conflict: ConflictSnapshot, observed_at: datetime
) -> dict[str, Any]:
    return {
        "system_address": address,
        "faction1": conflict.faction1,
        "faction2": conflict.faction2,
        "war_type": conflict.war_type,
        "status": conflict.status,
        "stake1": conflict.stake1,
        "stake2": conflict.stake2,
        "won_days1": conflict.won_days1,
        "won_days2": conflict.won_days2,
        "observed_at": observed_at,
    }


def _upsert_systems(
    session: Session, snapshots: Sequence[SystemSnapshot], received_at: datetime, source: str
) -> set[int]:
    """Insert or update the systems where the stored row is older; the addresses written."""
    insert = dialect_insert(dialect_name(session), SYSTEMS)
    changing = {c.name: insert.excluded[c.name] for c in SYSTEMS.columns if not c.primary_key}
    statement = insert.on_conflict_do_update(
        index_elements=["system_address"],
        set_=changing,
        where=SYSTEMS.c.observed_at < insert.excluded.observed_at,
    ).returning(SYSTEMS.c.system_address)
    rows = [system_row(snapshot, received_at, source) for snapshot in snapshots]
    return set(session.execute(statement, rows).scalars())


def _replace_members(session: Session, snapshots: Sequence[SystemSnapshot]) -> None:
    """Replace the factions and conflicts of the systems written."""
    addresses = [snapshot.system_address for snapshot in snapshots]
    for chunk in _chunks(addresses):
        session.execute(delete(FACTIONS).where(FACTIONS.c.system_address.in_(chunk)))
        session.execute(delete(CONFLICTS).where(CONFLICTS.c.system_address.in_(chunk)))
    factions = [
        _faction_row(s.system_address, faction, s.observed_at)
        for s in snapshots
        for faction in s.factions
    ]
    conflicts = [
        _conflict_row(s.system_address, conflict, s.observed_at)
        for s in snapshots
        for conflict in s.conflicts
    ]
    insert_global_rows(session, FACTIONS, factions)
    insert_global_rows(session, CONFLICTS, conflicts)


# What rebuilding a replaced state reads: every column but the members' `observed_at` (the
# system's is known), the state lists as JSON text, parsed here with orjson (the plain lists of
# names the store wrote): the default readers parse each instant and each JSON value in Python,
# which costs more than the rest of a busy batch.
_FACTION_COLUMNS = [
    type_coerce(c, String).label(c.name) if isinstance(c.type, JSON) else c
    for c in FACTIONS.columns
    if c.name != "observed_at"
]
_CONFLICT_COLUMNS = [c for c in CONFLICTS.columns if c.name != "observed_at"]


def _names(value: str | bytes | list[str]) -> tuple[str, ...]:
    """A stored list of state names (JSON text, or already a list on some drivers)."""
    names: list[str] = orjson.loads(value) if isinstance(value, str | bytes) else value
    return tuple(names)


def _rebuild(session: Session, systems: Sequence[Row[Any]]) -> dict[int, SystemSnapshot]:
    """The stored state of these systems as snapshots (what a change replaced)."""
    addresses = [row.system_address for row in systems]
    factions: dict[int, list[FactionSnapshot]] = {address: [] for address in addresses}
    conflicts: dict[int, list[ConflictSnapshot]] = {address: [] for address in addresses}
    for chunk in _chunks(addresses):
        query = select(*_FACTION_COLUMNS).where(FACTIONS.c.system_address.in_(chunk))
        for row in session.execute(query):
            factions[row.system_address].append(faction_snapshot(row))
        query = select(*_CONFLICT_COLUMNS).where(CONFLICTS.c.system_address.in_(chunk))
        for row in session.execute(query):
            conflicts[row.system_address].append(conflict_snapshot(row))
    return {
        row.system_address: system_snapshot(
            row, factions[row.system_address], conflicts[row.system_address]
        )
        for row in systems
    }


def faction_snapshot(row: Any) -> FactionSnapshot:
    """A stored `galaxy_factions` row as a snapshot."""
    return FactionSnapshot(
        name=row.faction,
        influence=row.influence,
        state=row.state,
        active_states=_names(row.active_states),
        pending_states=_names(row.pending_states),
        recovering_states=_names(row.recovering_states),
        government=row.government,
        allegiance=row.allegiance,
        happiness=row.happiness,
    )


def conflict_snapshot(row: Any) -> ConflictSnapshot:
    """A stored `galaxy_conflicts` row as a snapshot."""
    return ConflictSnapshot(
        war_type=row.war_type,
        status=row.status,
        faction1=row.faction1,
        stake1=row.stake1,
        won_days1=row.won_days1,
        faction2=row.faction2,
        stake2=row.stake2,
        won_days2=row.won_days2,
    )


def system_snapshot(
    row: Any, factions: Sequence[FactionSnapshot], conflicts: Sequence[ConflictSnapshot]
) -> SystemSnapshot:
    """A stored system with its factions (by influence, highest first) and conflicts."""
    star_pos = None if row.x is None else (row.x, row.y, row.z)
    return SystemSnapshot(
        system_address=row.system_address,
        name=row.name,
        observed_at=row.observed_at,
        star_pos=star_pos,
        population=row.population,
        security=row.security,
        economy=row.economy,
        second_economy=row.second_economy,
        government=row.government,
        allegiance=row.allegiance,
        controlling_faction=row.controlling_faction,
        controlling_faction_state=row.controlling_faction_state,
        controlling_power=row.controlling_power,
        powers=tuple(row.powers or ()),
        powerplay_state=row.powerplay_state,
        powerplay_control_progress=row.powerplay_control_progress,
        powerplay_reinforcement=row.powerplay_reinforcement,
        powerplay_undermining=row.powerplay_undermining,
        powerplay_conflict_progress=tuple(
            (entry["Power"], entry["ConflictProgress"])
            for entry in row.powerplay_conflict_progress or ()
        ),
        factions=tuple(sorted(factions, key=lambda f: (-f.influence, f.name))),
        conflicts=tuple(sorted(conflicts, key=lambda c: (c.faction1, c.faction2))),
    )


def _ticks_around(session: Session, earliest: datetime, latest: datetime) -> list[datetime]:
    """The galaxy ticks that can start the periods of [earliest, latest], ascending."""
    before = session.execute(
        select(GalaxyTick.tick_time)
        .where(GalaxyTick.tick_time <= earliest)
        .order_by(GalaxyTick.tick_time.desc())
        .limit(1)
    ).scalar()
    start = before if before is not None else earliest - timedelta(days=1)
    return list(
        session.execute(
            select(GalaxyTick.tick_time)
            .where(GalaxyTick.tick_time >= start, GalaxyTick.tick_time <= latest)
            .order_by(GalaxyTick.tick_time)
        ).scalars()
    )


def _record_history(session: Session, snapshots: Sequence[SystemSnapshot]) -> None:
    if not snapshots:
        return
    ticks = _ticks_around(
        session, min(s.observed_at for s in snapshots), max(s.observed_at for s in snapshots)
    )
    rows: dict[tuple[int, str, datetime], dict[str, Any]] = {}
    for snapshot in snapshots:
        tick_at = period_start(ticks, snapshot.observed_at)
        for faction in snapshot.factions:
            key = (snapshot.system_address, faction.name, tick_at)
            known = rows.get(key)
            if known is None or snapshot.observed_at > known["observed_at"]:
                rows[key] = {
                    "system_address": snapshot.system_address,
                    "faction": faction.name,
                    "tick_at": tick_at,
                    "influence": faction.influence,
                    "state": faction.state,
                    "observed_at": snapshot.observed_at,
                }
    insert = dialect_insert(dialect_name(session), INFLUENCE)
    statement = insert.on_conflict_do_update(
        index_elements=["system_address", "faction", "tick_at"],
        set_={
            "influence": insert.excluded.influence,
            "state": insert.excluded.state,
            "observed_at": insert.excluded.observed_at,
        },
        where=INFLUENCE.c.observed_at < insert.excluded.observed_at,
    )
    session.execute(statement, list(rows.values()))
