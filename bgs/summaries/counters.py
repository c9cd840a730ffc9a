"""Thargoid-war counters (`bgs.tallies` says what the plugin sends): kills by vessel type,
Thargoid-war rescues and reactivations per cmdr and system, from the tallies' rollups
(`bgs.rollups.activities`). They belong to the system, not to a faction, so they have rows of
their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.periods import Period
from bgs.rollups.activities import KILL_COLUMNS, NO_NAME, SQUADRON
from bgs.rollups.buckets import scope
from bgs.summaries.common import column_total
from bgs.tallies import TW_KILL_TYPES
from db.models import ActivityRollup

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class ThargoidWar:
    """Thargoid-war counters of a system (or a sum of them): kills by vessel type (in the order
    of `TW_KILL_TYPES`), search-and-rescue items handed in, settlements reactivated."""

    kills: tuple[int, ...] = (0,) * len(TW_KILL_TYPES)
    rescue: int = 0
    reactivated: int = 0

    @property
    def total_kills(self) -> int:
        return sum(self.kills)

    def kills_by_type(self) -> list[tuple[str, int]]:
        """(vessel type, kills) of the types with any, most first."""
        counted = [(kind, n) for kind, n in zip(TW_KILL_TYPES, self.kills, strict=True) if n]
        return sorted(counted, key=lambda item: -item[1])

    def any(self) -> bool:
        return bool(self.total_kills or self.rescue or self.reactivated)

    def __add__(self, other: ThargoidWar) -> ThargoidWar:
        kills = tuple(a + b for a, b in zip(self.kills, other.kills, strict=True))
        return ThargoidWar(kills, self.rescue + other.rescue, self.reactivated + other.reactivated)


@dataclass(frozen=True, slots=True)
class SystemThargoidWar:
    """One cmdr's Thargoid-war work in one system (`war_totals` sums them by system or cmdr)."""

    cmdr: str
    system: str
    counts: ThargoidWar


async def thargoid_war(
    session: AsyncSession,
    period: Period,
    *,
    system: str | None = None,
    cmdr: str | None = None,
) -> list[SystemThargoidWar]:
    """Thargoid-war counters per cmdr and system from the period's tallies, those without any
    left out, by cmdr then system (one round trip)."""
    table = ActivityRollup
    keys = (table.cmdr, table.system_name)
    where = [
        *scope(period, table),
        table.cmdr != SQUADRON,
        table.faction == NO_NAME,
        table.tw_sent > 0,
    ]
    if system is not None:
        where.append(table.system_name == system)
    if cmdr is not None:
        where.append(table.cmdr == cmdr)
    counted = [*KILL_COLUMNS, "tw_rescue", "tw_reactivated"]
    statement = (
        select(*keys, *(column_total(table.__table__.c[name]) for name in counted))
        .where(*where)
        .group_by(*keys)
        .order_by(*keys)
    )
    result = []
    for who, where_, *numbers in await session.execute(statement):
        *kills, rescue, reactivated = numbers
        counts = ThargoidWar(tuple(kills), rescue, reactivated)
        if counts.any():
            result.append(SystemThargoidWar(who, where_, counts))
    return result


def war_totals(
    rows: Iterable[SystemThargoidWar], key: Callable[[SystemThargoidWar], K]
) -> dict[K, ThargoidWar]:
    """Thargoid-war counters summed by any key of the rows, e.g. `lambda row: row.system`."""
    totals: dict[K, ThargoidWar] = defaultdict(ThargoidWar)
    for row in rows:
        totals[key(row)] += row.counts
    return dict(totals)
