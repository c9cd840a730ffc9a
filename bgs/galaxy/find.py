"""`/system find` and the autocomplete of system, faction and power names, on the galaxy
tables (see `bgs.galaxy.views`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, String, and_, cast, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.galaxy.views import (
    CURRENT_CONFLICTS,
    SystemInfo,
    conflicts_of,
    named,
    points,
    system_info,
)
from db.models import GalaxyConflict, GalaxyFaction, GalaxySystem

PAGE_SIZE: Final = 25  # /system find: at most 25 systems a page
CHOICES: Final = 25  # Discord shows at most 25 autocomplete choices
STATE_KINDS: Final = ("active", "pending", "recovering")


@dataclass(frozen=True, slots=True)
class Filters:
    """`/system find`: every filter given must match (None: not filtered)."""

    faction: str | None = None
    controlling_faction: str | None = None
    power: str | None = None
    state: str | None = None  # 'Boom' (active), 'pending:Expansion', 'recovering:War'
    conflict: bool | None = None
    population_min: int | None = None
    population_max: int | None = None


@dataclass(frozen=True, slots=True)
class FoundSystem:
    """A match of `/system find`; `influence` is the filtered faction's (points)."""

    system: SystemInfo
    influence: float | None
    in_conflict: bool


@dataclass(frozen=True, slots=True)
class FindPage:
    """One page of matches and the count of all matches."""

    systems: list[FoundSystem]
    total: int
    page: int  # from 0
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# --------------------------------------------------------------------------------------------
# /system find
# --------------------------------------------------------------------------------------------


class StateKind(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    RECOVERING = "recovering"


def parse_state(text: str) -> tuple[str, StateKind]:
    """'Boom' (active), 'pending:Expansion' or 'recovering:War' → (state, kind)."""
    kind, _, state = text.strip().rpartition(":")
    try:
        return state.strip(), StateKind(kind.strip().lower() or StateKind.ACTIVE.value)
    except ValueError:
        raise ValueError(
            f"`{text}` is not a state: give a state name like `Boom`, or `pending:Expansion` "
            "or `recovering:War`."
        ) from None


def _json_has(column: Any, name: str) -> ColumnElement[bool]:
    """A stored JSON list of names holds `name` (any case): a match on its text, the same on
    SQLite and PostgreSQL (quotes included, so `War` does not match `CivilWar`)."""
    needle = f'%"{name.lower()}"%'
    return func.lower(cast(column, String)).like(needle)


def _state_column(kind: StateKind) -> Any:
    return {
        StateKind.ACTIVE: GalaxyFaction.active_states,
        StateKind.PENDING: GalaxyFaction.pending_states,
        StateKind.RECOVERING: GalaxyFaction.recovering_states,
    }[kind]


def _current_conflict(faction: str | None) -> ColumnElement[bool]:
    clauses = [
        GalaxyConflict.system_address == GalaxySystem.system_address,
        GalaxyConflict.status.in_(CURRENT_CONFLICTS),
    ]
    if faction is not None:
        clauses.append(
            or_(named(GalaxyConflict.faction1, faction), named(GalaxyConflict.faction2, faction))
        )
    return exists().where(*clauses)


def _matching(filters: Filters) -> Select[GalaxySystem]:
    statement = select(GalaxySystem)
    if filters.faction is not None:
        statement = statement.where(
            exists().where(
                GalaxyFaction.system_address == GalaxySystem.system_address,
                named(GalaxyFaction.faction, filters.faction),
            )
        )
    if filters.controlling_faction is not None:
        statement = statement.where(
            named(GalaxySystem.controlling_faction, filters.controlling_faction)
        )
    if filters.power is not None:
        statement = statement.where(
            or_(
                named(GalaxySystem.controlling_power, filters.power),
                _json_has(GalaxySystem.powers, filters.power.strip()),
            )
        )
    if filters.state is not None:
        state, kind = parse_state(filters.state)
        where = [
            GalaxyFaction.system_address == GalaxySystem.system_address,
            _json_has(_state_column(kind), state),
        ]
        if filters.faction is not None:
            where.append(named(GalaxyFaction.faction, filters.faction))
        statement = statement.where(exists().where(*where))
    if filters.conflict is not None:
        in_conflict = _current_conflict(filters.faction)
        statement = statement.where(in_conflict if filters.conflict else ~in_conflict)
    if filters.population_min is not None:
        statement = statement.where(GalaxySystem.population >= filters.population_min)
    if filters.population_max is not None:
        statement = statement.where(GalaxySystem.population <= filters.population_max)
    return statement


async def find_systems(
    session: AsyncSession, filters: Filters, page: int = 0, page_size: int = PAGE_SIZE
) -> FindPage:
    """One page (by name) of the systems matching every filter, and how many match."""
    statement = _matching(filters)
    total = (
        await session.execute(select(func.count()).select_from(statement.subquery()))
    ).scalar_one()
    page = max(0, min(page, max(0, -(-total // page_size) - 1)))
    rows = (
        (
            await session.execute(
                statement.order_by(GalaxySystem.name, GalaxySystem.system_address)
                .limit(page_size)
                .offset(page * page_size)
            )
        )
        .scalars()
        .all()
    )
    addresses = [row.system_address for row in rows]
    influence: dict[int, float] = {}
    if filters.faction is not None and addresses:
        found = await session.execute(
            select(GalaxyFaction.system_address, GalaxyFaction.influence).where(
                GalaxyFaction.system_address.in_(addresses),
                named(GalaxyFaction.faction, filters.faction),
            )
        )
        influence = {address: points(value) for address, value in found}
    conflicts = await conflicts_of(session, addresses)
    systems = [
        FoundSystem(
            system=system_info(row),
            influence=influence.get(row.system_address),
            in_conflict=any(c.status in CURRENT_CONFLICTS for c in conflicts[row.system_address]),
        )
        for row in rows
    ]
    return FindPage(systems, total, page, page_size)


# --------------------------------------------------------------------------------------------
# Autocomplete
# --------------------------------------------------------------------------------------------


def _prefix(column: Any, typed: str) -> ColumnElement[bool]:
    """lower(column) starts with `typed`: a range on the lower(name) expression index (both
    databases can seek it), with LIKE to keep exactly the prefix matches."""
    low = typed.lstrip().lower()
    if not low:
        return true()
    upper = low[:-1] + chr(ord(low[-1]) + 1)
    lowered = func.lower(column)
    return and_(lowered >= low, lowered < upper, lowered.startswith(low, autoescape=True))


async def _starting(session: AsyncSession, column: Any, typed: str, limit: int) -> list[str]:
    """Distinct values of `column` starting with what is typed (any case), in order."""
    statement = (
        select(column)
        .where(column.is_not(None), _prefix(column, typed))
        .distinct()
        .order_by(column)
        .limit(limit)
    )
    return [name for name in (await session.execute(statement)).scalars() if name]


async def system_names(session: AsyncSession, typed: str, limit: int = CHOICES) -> list[str]:
    return await _starting(session, GalaxySystem.name, typed, limit)


async def faction_names(session: AsyncSession, typed: str, limit: int = CHOICES) -> list[str]:
    return await _starting(session, GalaxyFaction.faction, typed, limit)


async def power_names(session: AsyncSession, typed: str, limit: int = CHOICES) -> list[str]:
    """Controlling powers (a small set: no index needed)."""
    return await _starting(session, GalaxySystem.controlling_power, typed, limit)
