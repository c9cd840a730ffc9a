"""Galaxy state for tests: snapshots shaped as the EDDN feed and members' jumps report them,
stored straight into the galaxy tables (what the galaxy store does, without its newest-wins
checks), so the views, commands and alerts can be tested on their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.galaxy.snapshot import ConflictSnapshot, FactionSnapshot, SystemSnapshot
from db.database import Database
from db.models import (
    GalaxyConflict,
    GalaxyFaction,
    GalaxyInfluence,
    GalaxySystem,
    GalaxyTick,
)


def faction(
    name: str,
    influence: float,
    *,
    state: str | None = "None",
    active: Sequence[str] = (),
    pending: Sequence[str] = (),
    recovering: Sequence[str] = (),
) -> FactionSnapshot:
    """A faction with `influence` as a 0..1 fraction."""
    return FactionSnapshot(
        name=name,
        influence=influence,
        state=state,
        active_states=tuple(active),
        pending_states=tuple(pending),
        recovering_states=tuple(recovering),
        government="$government_Democracy;",
        allegiance="Independent",
        happiness="$Faction_HappinessBand2;",
    )


def conflict(
    first: str,
    second: str,
    *,
    war_type: str = "war",
    status: str = "active",
    days: tuple[int, int] = (0, 0),
    stakes: tuple[str | None, str | None] = (None, None),
) -> ConflictSnapshot:
    return ConflictSnapshot(
        war_type=war_type,
        status=status,
        faction1=first,
        stake1=stakes[0],
        won_days1=days[0],
        faction2=second,
        stake2=stakes[1],
        won_days2=days[1],
    )


def snapshot(
    address: int,
    name: str,
    observed_at: datetime,
    factions: Sequence[FactionSnapshot],
    conflicts: Sequence[ConflictSnapshot] = (),
    *,
    population: int | None = 1_000_000,
    controlling: str | None = None,
    power: str | None = None,
    powers: Sequence[str] = (),
) -> SystemSnapshot:
    """A system's snapshot; the controlling faction defaults to the strongest."""
    strongest = max(factions, key=lambda item: item.influence).name if factions else None
    return SystemSnapshot(
        system_address=address,
        name=name,
        observed_at=observed_at,
        star_pos=(0.0, 0.0, 0.0),
        population=population,
        security="$SYSTEM_SECURITY_medium;",
        economy="$economy_Industrial;",
        second_economy=None,
        government="$government_Democracy;",
        allegiance="Independent",
        controlling_faction=controlling or strongest,
        controlling_faction_state=None,
        controlling_power=power,
        powers=tuple(powers),
        powerplay_state="Exploited" if power else None,
        powerplay_control_progress=0.25 if power else None,
        powerplay_reinforcement=100 if power else None,
        powerplay_undermining=50 if power else None,
        powerplay_conflict_progress=(),
        factions=tuple(factions),
        conflicts=tuple(conflicts),
    )


def moved(before: SystemSnapshot, observed_at: datetime, **changes: object) -> SystemSnapshot:
    """The same system seen again later with some fields changed."""
    return replace(before, observed_at=observed_at, **changes)  # type: ignore[arg-type]


async def store_in(
    session: AsyncSession, item: SystemSnapshot, tick_at: datetime | None, source: str = "eddn"
) -> None:
    """Replace the system's latest state by `item`; with `tick_at`, also its influence history
    row of that tick period (the period's last observation)."""
    address = item.system_address
    await session.execute(delete(GalaxySystem).where(GalaxySystem.system_address == address))
    await session.execute(delete(GalaxyFaction).where(GalaxyFaction.system_address == address))
    await session.execute(delete(GalaxyConflict).where(GalaxyConflict.system_address == address))
    x, y, z = item.star_pos or (None, None, None)
    session.add(
        GalaxySystem(
            system_address=address,
            name=item.name,
            x=x,
            y=y,
            z=z,
            population=item.population,
            security=item.security,
            economy=item.economy,
            second_economy=item.second_economy,
            government=item.government,
            allegiance=item.allegiance,
            controlling_faction=item.controlling_faction,
            controlling_faction_state=item.controlling_faction_state,
            controlling_power=item.controlling_power,
            powers=list(item.powers),
            powerplay_state=item.powerplay_state,
            powerplay_control_progress=item.powerplay_control_progress,
            powerplay_reinforcement=item.powerplay_reinforcement,
            powerplay_undermining=item.powerplay_undermining,
            powerplay_conflict_progress=[
                {"Power": power, "ConflictProgress": value}
                for power, value in item.powerplay_conflict_progress
            ],
            observed_at=item.observed_at,
            received_at=item.observed_at,
            source=source,
        )
    )
    for one in item.factions:
        session.add(
            GalaxyFaction(
                system_address=address,
                faction=one.name,
                influence=one.influence,
                state=one.state,
                active_states=list(one.active_states),
                pending_states=list(one.pending_states),
                recovering_states=list(one.recovering_states),
                government=one.government,
                allegiance=one.allegiance,
                happiness=one.happiness,
                observed_at=item.observed_at,
            )
        )
        if tick_at is not None:
            await session.execute(
                delete(GalaxyInfluence).where(
                    GalaxyInfluence.system_address == address,
                    GalaxyInfluence.faction == one.name,
                    GalaxyInfluence.tick_at == tick_at,
                )
            )
            session.add(
                GalaxyInfluence(
                    system_address=address,
                    faction=one.name,
                    tick_at=tick_at,
                    influence=one.influence,
                    state=one.state,
                    observed_at=item.observed_at,
                )
            )
    for war in item.conflicts:
        session.add(
            GalaxyConflict(
                system_address=address,
                faction1=war.faction1,
                faction2=war.faction2,
                war_type=war.war_type,
                status=war.status,
                stake1=war.stake1,
                stake2=war.stake2,
                won_days1=war.won_days1,
                won_days2=war.won_days2,
                observed_at=item.observed_at,
            )
        )
    await session.flush()


async def store(
    db: Database, items: Sequence[SystemSnapshot], tick_at: datetime | None, source: str = "eddn"
) -> None:
    """`store_in` each snapshot, in one transaction of the default database."""
    async with db.unscoped_write() as session:
        for item in items:
            await store_in(session, item, tick_at, source)


async def add_tick(db: Database, tick_time: datetime) -> None:
    """A galaxy tick, as the tick monitor stores it."""
    async with db.unscoped_write() as session:
        known = await session.execute(
            select(GalaxyTick.id).where(GalaxyTick.tick_time == tick_time)
        )
        if known.scalar_one_or_none() is None:
            session.add(GalaxyTick(tick_time=tick_time, source="zoy", seen_at=tick_time))
