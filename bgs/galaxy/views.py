"""Reading the galaxy tables for people: `/system show`, `/faction show`, `/faction chart`
(`/system find`, autocomplete: `bgs.galaxy.find`; `/conflicts`: `bgs.galaxy.conflicts`).

The tables are global (`Database.unscoped()` on the default database). Influence is stored as
the journal has it, a 0..1 fraction; everything here speaks in points (percent), as players do.

**Change since the last tick.** For a faction in a system, the change is its latest influence
minus the influence history's row of the newest tick period before the current one (`tick_at`
before the newest galaxy tick) that is older than the latest observation. When the latest
observation itself is from before the current tick (nobody has been there since), the same
rule compares it with the period before *its* period, so a stale figure never shows as a change
of zero, and the data age says how old it is. No history row, or no tick known: no change.

**Most at risk first** (`/faction show`): a system's margin is, where the faction controls the
system, its lead over the runner-up, and elsewhere its influence (how far from retreat); the
smallest margin comes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Float,
    cast,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bgs.galaxy.snapshot import ConflictSnapshot
from bgs.galaxy.store import conflict_snapshot
from bgs.ticks import latest_tick
from db.models import GalaxyConflict, GalaxyFaction, GalaxyInfluence, GalaxySystem

CURRENT_CONFLICTS: Final = ("active", "pending")
CHART_SYSTEMS: Final = 12  # lines of a faction's chart across its systems, most at risk first


def points(fraction: float) -> float:
    """A journal influence (0..1) in points (0..100)."""
    return fraction * 100.0


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactionPresence:
    """One faction in one system, influence in points; `previous` is the last tick's."""

    name: str
    influence: float
    previous: float | None
    state: str | None
    active_states: tuple[str, ...]
    pending_states: tuple[str, ...]
    recovering_states: tuple[str, ...]
    government: str | None
    allegiance: str | None
    happiness: str | None

    @property
    def change(self) -> float | None:
        return None if self.previous is None else self.influence - self.previous


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """A system's latest state (no factions)."""

    address: int
    name: str
    population: int | None
    security: str | None
    economy: str | None
    second_economy: str | None
    government: str | None
    allegiance: str | None
    controlling_faction: str | None
    controlling_power: str | None
    powers: tuple[str, ...]
    powerplay_state: str | None
    powerplay_control_progress: float | None
    powerplay_reinforcement: int | None
    powerplay_undermining: int | None
    observed_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class SystemView:
    """`/system show`: the system, its factions by influence, its conflicts."""

    system: SystemInfo
    factions: list[FactionPresence]
    conflicts: list[ConflictSnapshot]
    tick_at: datetime | None  # the current tick period's start (None: no tick known)


@dataclass(frozen=True, slots=True)
class FactionSystem:
    """One system of a faction for `/faction show`."""

    system: SystemInfo
    presence: FactionPresence
    controlling: bool
    runner_up: str | None  # the strongest other faction
    lead: float | None  # points over the runner-up (None: the faction is alone)
    conflicts: list[ConflictSnapshot]

    @property
    def margin(self) -> float:
        """How far from losing something: the lead where it controls, else its influence."""
        if self.controlling and self.lead is not None:
            return self.lead
        return self.presence.influence


@dataclass(frozen=True, slots=True)
class FactionView:
    """`/faction show`: the faction's systems, most at risk first."""

    faction: str
    systems: list[FactionSystem]
    tick_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One line of an influence chart: (tick period start, influence in points) oldest first."""

    label: str
    points: list[tuple[datetime, float]]


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def _names(value: Any) -> tuple[str, ...]:
    """A stored JSON list of state or power names (None or anything else: none)."""
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if isinstance(item, str))


def system_info(row: Any) -> SystemInfo:
    """A `galaxy_systems` row (an ORM object or a Core row) as shown."""
    return SystemInfo(
        address=row.system_address,
        name=row.name,
        population=row.population,
        security=row.security,
        economy=row.economy,
        second_economy=row.second_economy,
        government=row.government,
        allegiance=row.allegiance,
        controlling_faction=row.controlling_faction,
        controlling_power=row.controlling_power,
        powers=_names(row.powers),
        powerplay_state=row.powerplay_state,
        powerplay_control_progress=row.powerplay_control_progress,
        powerplay_reinforcement=row.powerplay_reinforcement,
        powerplay_undermining=row.powerplay_undermining,
        observed_at=row.observed_at,
        source=row.source,
    )


def _previous_influence(tick_at: datetime | None) -> Any:
    """A scalar subquery per galaxy_factions row: the influence of the history row of the
    newest tick period before the current one, older than the row's observation (see the
    module docstring); one backward seek on the history's primary key."""
    if tick_at is None:
        return cast(None, Float).label("previous")
    history = aliased(GalaxyInfluence)
    return (
        select(history.influence)
        .where(
            history.system_address == GalaxyFaction.system_address,
            history.faction == GalaxyFaction.faction,
            history.tick_at < tick_at,
            history.observed_at < GalaxyFaction.observed_at,
        )
        .order_by(history.tick_at.desc())
        .limit(1)
        .scalar_subquery()
        .label("previous")
    )


def _presence(row: Any, previous: float | None) -> FactionPresence:
    """A `galaxy_factions` row (an ORM object or a Core row) in points."""
    return FactionPresence(
        name=row.faction,
        influence=points(row.influence),
        previous=None if previous is None else points(previous),
        state=row.state,
        active_states=_names(row.active_states),
        pending_states=_names(row.pending_states),
        recovering_states=_names(row.recovering_states),
        government=row.government,
        allegiance=row.allegiance,
        happiness=row.happiness,
    )


async def current_tick_at(session: AsyncSession) -> datetime | None:
    """The start of the current tick period: the newest galaxy tick."""
    tick = await latest_tick(session)
    return None if tick is None else tick.tick_time


def named(column: Any, name: str) -> ColumnElement[bool]:
    """`column` equals `name`, any case (the expression indexes are on lower(name))."""
    return func.lower(column) == name.strip().lower()


async def find_system(session: AsyncSession, name: str) -> GalaxySystem | None:
    """The system of this name (any case); the most recently seen of namesakes."""
    statement = (
        select(GalaxySystem)
        .where(named(GalaxySystem.name, name))
        .order_by(GalaxySystem.observed_at.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def faction_name(session: AsyncSession, name: str) -> str | None:
    """The faction's name as the game writes it, when it is present anywhere (any case)."""
    statement = select(GalaxyFaction.faction).where(named(GalaxyFaction.faction, name)).limit(1)
    return (await session.execute(statement)).scalar_one_or_none()


async def conflicts_of(
    session: AsyncSession, addresses: Sequence[int]
) -> dict[int, list[ConflictSnapshot]]:
    found: dict[int, list[ConflictSnapshot]] = {address: [] for address in addresses}
    if not addresses:
        return found
    rows = await session.execute(
        select(GalaxyConflict)
        .where(GalaxyConflict.system_address.in_(addresses))
        .order_by(GalaxyConflict.system_address, GalaxyConflict.faction1, GalaxyConflict.faction2)
    )
    for row in rows.scalars():
        found[row.system_address].append(conflict_snapshot(row))
    return found


# --------------------------------------------------------------------------------------------
# /system show and /faction show
# --------------------------------------------------------------------------------------------


async def system_view(session: AsyncSession, name: str) -> SystemView | None:
    """The system's latest state with its factions by influence (None: never seen)."""
    system = await find_system(session, name)
    if system is None:
        return None
    tick_at = await current_tick_at(session)
    rows = await session.execute(
        select(GalaxyFaction, _previous_influence(tick_at))
        .where(GalaxyFaction.system_address == system.system_address)
        .order_by(GalaxyFaction.influence.desc(), GalaxyFaction.faction)
    )
    factions = [_presence(row, previous) for row, previous in rows]
    conflicts = (await conflicts_of(session, [system.system_address]))[system.system_address]
    return SystemView(system_info(system), factions, conflicts, tick_at)


async def faction_view(session: AsyncSession, name: str) -> FactionView | None:
    """Every system the faction is present in, most at risk first (None: never seen)."""
    faction = await faction_name(session, name)
    if faction is None:
        return None
    tick_at = await current_tick_at(session)
    # Core rows, not ORM objects: the view reads hundreds of rows and builds its own shapes.
    ours = await session.execute(
        select(GalaxyFaction.__table__, _previous_influence(tick_at)).where(
            GalaxyFaction.faction == faction
        )
    )
    presence = {row.system_address: _presence(row, row.previous) for row in ours}
    addresses = sorted(presence)
    by_address: dict[int, Any] = {}
    rivals: dict[int, tuple[str, float]] = {}
    if addresses:
        found = await session.execute(
            select(GalaxySystem.__table__).where(GalaxySystem.system_address.in_(addresses))
        )
        by_address = {system.system_address: system for system in found}
        others = await session.execute(
            select(GalaxyFaction.system_address, GalaxyFaction.faction, GalaxyFaction.influence)
            .where(GalaxyFaction.system_address.in_(addresses), GalaxyFaction.faction != faction)
            .order_by(GalaxyFaction.influence)
        )
        for address, other, influence in others:
            rivals[address] = (other, influence)  # ascending: the strongest is written last
    conflicts = await conflicts_of(session, addresses)
    systems = []
    for address, system in by_address.items():
        rival, own = rivals.get(address), presence[address]
        systems.append(
            FactionSystem(
                system=system_info(system),
                presence=own,
                controlling=system.controlling_faction == faction,
                runner_up=None if rival is None else rival[0],
                lead=None if rival is None else own.influence - points(rival[1]),
                conflicts=[c for c in conflicts[address] if c.involves(faction)],
            )
        )
    systems.sort(key=lambda item: (item.margin, item.system.name))
    return FactionView(faction, systems, tick_at)


# --------------------------------------------------------------------------------------------
# /faction chart
# --------------------------------------------------------------------------------------------


async def system_chart(session: AsyncSession, address: int, since: datetime) -> list[ChartSeries]:
    """Each faction's influence in the system per tick period since `since`, the strongest
    (by its last value) first."""
    rows = await session.execute(
        select(GalaxyInfluence.faction, GalaxyInfluence.tick_at, GalaxyInfluence.influence)
        .where(GalaxyInfluence.system_address == address, GalaxyInfluence.tick_at >= since)
        .order_by(GalaxyInfluence.tick_at)
    )
    series: dict[str, list[tuple[datetime, float]]] = {}
    for faction, tick_at, influence in rows:
        series.setdefault(faction, []).append((tick_at, points(influence)))
    ordered = sorted(series.items(), key=lambda item: (-item[1][-1][1], item[0]))
    return [ChartSeries(label, values) for label, values in ordered]


async def faction_chart(
    session: AsyncSession, view: FactionView, since: datetime, limit: int = CHART_SYSTEMS
) -> list[ChartSeries]:
    """The faction's influence per tick period since `since` in its systems most at risk
    (at most `limit`, in that order)."""
    chosen = {item.system.address: item.system.name for item in view.systems[:limit]}
    if not chosen:
        return []
    rows = await session.execute(
        select(GalaxyInfluence.system_address, GalaxyInfluence.tick_at, GalaxyInfluence.influence)
        .where(
            GalaxyInfluence.faction == view.faction,
            GalaxyInfluence.system_address.in_(sorted(chosen)),
            GalaxyInfluence.tick_at >= since,
        )
        .order_by(GalaxyInfluence.tick_at)
    )
    series: dict[int, list[tuple[datetime, float]]] = {}
    for address, tick_at, influence in rows:
        series.setdefault(address, []).append((tick_at, points(influence)))
    return [
        ChartSeries(name, series[address]) for address, name in chosen.items() if address in series
    ]


def chart_since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
