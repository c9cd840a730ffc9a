"""`/conflicts` from the galaxy tables: the conflicts EDDN saw, merged with the members' ones
(`bgs.conflicts`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.conflicts.views import ConflictView, Scope, conflict_view
from bgs.galaxy.views import CURRENT_CONFLICTS
from db.models import ConflictState, GalaxyConflict, GalaxyFaction, GalaxySystem


async def galaxy_conflicts(
    session: AsyncSession,
    scope: Scope,
    guild_faction: str | None,
    protected: Iterable[str],
    now: datetime,
) -> list[ConflictView]:
    """The pending and active conflicts of the galaxy tables for `/conflicts [scope]`: those of
    the guild's faction (ours), of its protected factions (protected), or every one in a system
    where either is present (all)."""
    protected_set = frozenset(protected)
    watched = ({guild_faction} if guild_faction else set()) | set(protected_set)
    involved = {
        Scope.OURS: {guild_faction} if guild_faction else set(),
        Scope.PROTECTED: set(protected_set),
        Scope.ALL: watched,
    }[scope]
    if not involved:
        return []
    names = sorted(name for name in involved if name)
    statement = (
        select(GalaxyConflict, GalaxySystem.name)
        .join(GalaxySystem, GalaxySystem.system_address == GalaxyConflict.system_address)
        .where(GalaxyConflict.status.in_(CURRENT_CONFLICTS))
    )
    if scope is Scope.ALL:
        present = select(GalaxyFaction.system_address).where(GalaxyFaction.faction.in_(names))
        statement = statement.where(GalaxyConflict.system_address.in_(present))
    else:
        statement = statement.where(
            or_(GalaxyConflict.faction1.in_(names), GalaxyConflict.faction2.in_(names))
        )
    return [
        conflict_view(_as_state(row, system), guild_faction, protected_set, now)
        for row, system in (await session.execute(statement)).all()
    ]


def _as_state(row: GalaxyConflict, system_name: str) -> ConflictState:
    """A galaxy conflict as a (never stored) conflict state: what the views read."""
    return ConflictState(
        system_name=system_name,
        system_address=row.system_address,
        faction1=row.faction1,
        faction2=row.faction2,
        war_type=row.war_type,
        status=row.status,
        stake1=row.stake1 or None,
        stake2=row.stake2 or None,
        won_days1=row.won_days1,
        won_days2=row.won_days2,
        tickid=None,
        first_seen=row.observed_at,
        last_seen=row.observed_at,
    )


def merged_conflicts(
    members: Sequence[ConflictView], galaxy: Sequence[ConflictView]
) -> list[ConflictView]:
    """Each conflict once (by system and factions), from whichever source saw it last; the
    freshest data first, as `/conflicts` lists them."""
    chosen: dict[tuple[str, frozenset[str]], ConflictView] = {}
    for view in [*members, *galaxy]:
        key = (view.system_name.lower(), frozenset((view.side1.name, view.side2.name)))
        known = chosen.get(key)
        if known is None or view.last_seen > known.last_seen:
            chosen[key] = view
    return sorted(chosen.values(), key=lambda view: (-view.last_seen.timestamp(), view.system_name))
