"""Reading the conflict states: `/conflicts [scope]` and the scheduled digest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.conflicts.reports import ConflictStatus, Side, oriented, parse_status, sides_of, subject_of
from db.models import ConflictState, Event


class Scope(StrEnum):
    """`/conflicts [scope]`."""

    OURS = "ours"
    PROTECTED = "protected"
    ALL = "all"


CURRENT = (ConflictStatus.PENDING.value, ConflictStatus.ACTIVE.value)


@dataclass(frozen=True, slots=True)
class ConflictView:
    """A stored conflict for display; `side1` is the subject faction when one is involved."""

    system_name: str
    system_address: int | None
    war_type: str
    status: ConflictStatus
    side1: Side
    side2: Side
    subject: str | None
    first_seen: datetime
    last_seen: datetime
    tickid: str | None
    age: timedelta


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One conflict of the guild's faction for the scheduled digest."""

    conflict: ConflictView
    cmdrs: tuple[str, ...]


def conflict_view(
    row: ConflictState, guild_faction: str | None, protected: frozenset[str], now: datetime
) -> ConflictView:
    """A conflict state (stored from members' jumps, or built from the galaxy tables' row) for
    display, the subject's side first."""
    side1, side2 = sides_of(row)
    found = subject_of(row.faction1, row.faction2, guild_faction, protected)
    subject = None if found is None else found[0]
    if subject is not None:
        side1, side2 = oriented(side1, side2, subject)
    return ConflictView(
        system_name=row.system_name,
        system_address=row.system_address,
        war_type=row.war_type,
        status=parse_status(row.status),
        side1=side1,
        side2=side2,
        subject=subject,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        tickid=row.tickid,
        age=now - row.last_seen,
    )


def _involving(names: Iterable[str]) -> ColumnElement[bool]:
    """Conflicts where one side is exactly one of `names`."""
    listed = sorted(names)
    return or_(ConflictState.faction1.in_(listed), ConflictState.faction2.in_(listed))


ORDER = (
    ConflictState.last_seen.desc(),
    ConflictState.system_name,
    ConflictState.faction1,
    ConflictState.faction2,
)


async def current_conflicts(
    session: AsyncSession,
    scope: Scope,
    guild_faction: str | None,
    protected: Iterable[str],
    now: datetime,
) -> list[ConflictView]:
    """Pending and active conflicts for `/conflicts [scope]`, freshest data first."""
    protected_set = frozenset(protected)
    statement = select(ConflictState).where(ConflictState.status.in_(CURRENT))
    if scope is Scope.OURS:
        if not guild_faction:
            return []
        statement = statement.where(_involving([guild_faction]))
    elif scope is Scope.PROTECTED:
        if not protected_set:
            return []
        statement = statement.where(_involving(protected_set))
    rows = (await session.execute(statement.order_by(*ORDER))).scalars().all()
    return [conflict_view(row, guild_faction, protected_set, now) for row in rows]


async def conflict_digest(
    session: AsyncSession, guild_faction: str | None, since: datetime, now: datetime
) -> list[DigestEntry]:
    """The guild faction's conflicts seen since `since` (the current tick's start), newest data
    first, with the cmdrs whose events in that system are from `since` on."""
    if not guild_faction:
        return []
    rows = (
        (
            await session.execute(
                select(ConflictState)
                .where(_involving([guild_faction]), ConflictState.last_seen >= since)
                .order_by(*ORDER)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return []
    cmdrs: dict[str, set[str]] = {row.system_name: set() for row in rows}
    visits = await session.execute(
        select(Event.system_name, Event.cmdr)
        .distinct()
        .where(Event.system_name.in_(sorted(cmdrs)), Event.timestamp >= since)
    )
    for system_name, cmdr in visits:
        if system_name is not None and cmdr is not None:
            cmdrs[system_name].add(cmdr)
    return [
        DigestEntry(
            conflict_view(row, guild_faction, frozenset(), now),
            tuple(sorted(cmdrs[row.system_name])),
        )
        for row in rows
    ]
