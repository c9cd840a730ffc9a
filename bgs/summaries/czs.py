"""Space and ground conflict zones per system: the totals by faction, settlement (ground) and
cmdr, from the events' rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.periods import Period
from bgs.rollups.buckets import scope
from bgs.rollups.events import GROUND_CZ, NO_NAME, SPACE_CZ
from bgs.summaries.common import add_fields, column_total
from db.models import EventRollup


@dataclass(frozen=True, slots=True)
class CZCount:
    """Conflict zones by size; signed, so manual corrections subtract."""

    low: int = 0
    medium: int = 0
    high: int = 0

    @property
    def total(self) -> int:
        return self.low + self.medium + self.high

    def __add__(self, other: CZCount) -> CZCount:
        return CZCount(**add_fields(self, other))


@dataclass(frozen=True, slots=True)
class CZTotal:
    """The conflict zones of one faction, settlement or cmdr (`None`: unknown name)."""

    name: str | None
    count: CZCount


@dataclass(frozen=True, slots=True)
class SystemCZs:
    """One system's conflict zones in a period: the totals by faction fought for, by
    settlement (ground CZs; none for space CZs) and by cmdr, each ranked by most CZs, then
    name. A total is listed when it is not zero (a correction can take one back to zero)."""

    system: str | None
    factions: tuple[CZTotal, ...]
    settlements: tuple[CZTotal, ...]
    cmdrs: tuple[CZTotal, ...]

    @property
    def total(self) -> CZCount:
        return sum((faction.count for faction in self.factions), CZCount())


# The totals a system's CZs are shown by: the rollups' key columns.
FACTION, SETTLEMENT, CMDR = "faction", "settlement", "cmdr"


def _name(stored: str) -> str | None:
    return None if stored == NO_NAME else stored


def _totals_by(by: str, kind: str, period: Period, system: str | None) -> Select[Any]:
    """Per system, the CZs summed by the key column `by`, non-zero totals only."""
    table = EventRollup
    key = table.__table__.c[by]
    sizes = [column_total(table.low), column_total(table.medium), column_total(table.high)]
    return (
        select(literal(by, String), table.system_name, key, *sizes)
        .where(
            table.kind == kind,
            *scope(period, table, tick_first=True),
            *([table.system_name == system] if system is not None else []),
        )
        .group_by(table.system_name, key)
        .having(or_(*(size != 0 for size in sizes)))
    )


def _ranking(total: CZTotal) -> tuple[int, bool, str]:
    return -total.count.total, total.name is None, total.name or ""


def by_system(rows: Iterable[tuple[str, str | None, str | None, CZCount]]) -> list[SystemCZs]:
    """`SystemCZs` of (key column, system, name, count) totals, systems by name, the unknown
    system last (pure)."""
    totals: defaultdict[str | None, dict[str, list[CZTotal]]] = defaultdict(
        lambda: {FACTION: [], SETTLEMENT: [], CMDR: []}
    )
    for by, system, name, count in rows:
        totals[system][by].append(CZTotal(name, count))
    return [
        SystemCZs(
            system,
            *(tuple(sorted(keyed[by], key=_ranking)) for by in (FACTION, SETTLEMENT, CMDR)),
        )
        for system, keyed in sorted(totals.items(), key=lambda item: (item[0] is None, item[0]))
    ]


async def _czs(
    session: AsyncSession, kind: str, keys: Sequence[str], period: Period, system: str | None
) -> list[SystemCZs]:
    statement = union_all(*(_totals_by(by, kind, period, system) for by in keys))
    rows = await session.execute(statement)
    return by_system(
        (by, _name(system), _name(name), CZCount(low, medium, high))
        for by, system, name, low, medium, high in rows
    )


async def space_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[SystemCZs]:
    """Space CZs per system: by faction and by cmdr, corrections included (one round trip)."""
    return await _czs(session, SPACE_CZ, (FACTION, CMDR), period, system)


async def ground_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[SystemCZs]:
    """Ground CZs per system: by faction, by settlement and by cmdr (one round trip).

    The database sums the totals the commands show, a few per system, rather than every
    combination of faction, settlement and cmdr (23k rows for the year of a busy squadron).
    """
    return await _czs(session, GROUND_CZ, (FACTION, SETTLEMENT, CMDR), period, system)
