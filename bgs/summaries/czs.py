"""Space and ground conflict zones per system, faction (settlement) and cmdr, from the events'
rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.periods import Period
from bgs.rollups.buckets import scope
from bgs.rollups.events import GROUND_CZ, NO_NAME, SPACE_CZ
from bgs.summaries.common import add_fields, column_total
from db.models import EventRollup

K = TypeVar("K", bound=Hashable)


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
class SpaceCZ:
    system: str | None
    faction: str | None
    cmdr: str
    count: CZCount


@dataclass(frozen=True, slots=True)
class GroundCZ:
    system: str | None
    faction: str | None
    settlement: str | None
    cmdr: str
    count: CZCount


def _name(stored: str) -> str | None:
    return None if stored == NO_NAME else stored


def _cz_query(kind: str, period: Period, system: str | None, keys: Sequence[Any]) -> Select[Any]:
    table = EventRollup
    sizes = [column_total(table.low), column_total(table.medium), column_total(table.high)]
    return (
        select(*keys, table.cmdr, *sizes)
        .where(
            table.kind == kind,
            *scope(period, table),
            *([table.system_name == system] if system is not None else []),
        )
        .group_by(*keys, table.cmdr)
        .having(or_(*(size != 0 for size in sizes)))
        .order_by(*(func.nullif(key, NO_NAME) for key in keys), table.cmdr)
    )


async def space_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[SpaceCZ]:
    """Space CZs per system, faction and cmdr, corrections included (one round trip)."""
    keys = [EventRollup.system_name, EventRollup.faction]
    rows = await session.execute(_cz_query(SPACE_CZ, period, system, keys))
    return [
        SpaceCZ(_name(system), _name(faction), cmdr, CZCount(low, medium, high))
        for system, faction, cmdr, low, medium, high in rows
    ]


async def ground_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[GroundCZ]:
    """Ground CZs per system, faction, settlement and cmdr (one round trip)."""
    keys = [EventRollup.system_name, EventRollup.faction, EventRollup.settlement]
    rows = await session.execute(_cz_query(GROUND_CZ, period, system, keys))
    return [
        GroundCZ(_name(system), _name(faction), _name(settlement), cmdr, CZCount(low, medium, high))
        for system, faction, settlement, cmdr, low, medium, high in rows
    ]


class _Counted(Protocol):
    @property
    def count(self) -> CZCount: ...


R = TypeVar("R", bound=_Counted)


def cz_totals(rows: Iterable[R], key: Callable[[R], K]) -> dict[K, CZCount]:
    """CZ counts summed by any key of the rows, e.g. `lambda row: row.cmdr` (pure)."""
    totals: dict[K, CZCount] = defaultdict(CZCount)
    for row in rows:
        totals[key(row)] += row.count
    return dict(totals)
