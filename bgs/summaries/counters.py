"""The SQL of the plugin's JSON counters (`bgs.tallies` says what they hold): Thargoid kills and
Thargoid-war rescues per system, search and rescue per faction, summed from the JSON objects
for the summaries that break them down (by system, faction or vessel type). Ranking cmdrs reads
the totals each tally stores instead (`bgs.summaries.metrics`).

`thargoid_war` sums the system counters per cmdr and system: they belong to the system, not to
a faction, so they cannot ride along with the per-faction sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.periods import Period
from bgs.summaries.common import column_total, period_filter
from bgs.tallies import RESCUE_ITEMS, TW_KILL_TYPES, TW_RESCUE_ITEMS
from db.models import Activity, ActivityFaction, ActivitySystem

NO_DOCUMENT: Final = ("null", "{}")  # a JSON object column that holds nothing


def _sent(document: Any) -> ColumnElement[bool]:
    """The JSON object column holds something (it is NULL, JSON null or {} when not sent): a
    cheap test that spares the key lookups on the many rows without any."""
    return and_(document.is_not(None), cast(document, Text).not_in(NO_DOCUMENT))


def _count(document: Any, key: str) -> ColumnElement[int]:
    return func.coalesce(document[key].as_integer(), 0)


def _sum_of(document: Any, keys: Iterable[str]) -> ColumnElement[int]:
    """Σ of some keys of a JSON object column; 0 where it holds nothing (without a lookup)."""
    terms = [_count(document, key) for key in keys]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return case((_sent(document), total), else_=0)


TW_SENT: Final = or_(
    _sent(ActivitySystem.twkills), _sent(ActivitySystem.twsandr), ActivitySystem.twreactivate != 0
)
TW_KILLS: Final = _sum_of(ActivitySystem.twkills, TW_KILL_TYPES)
TW_RESCUE: Final = _sum_of(ActivitySystem.twsandr, TW_RESCUE_ITEMS)
RESCUE_SENT: Final = _sent(ActivityFaction.sandr)
RESCUE: Final = _sum_of(ActivityFaction.sandr, RESCUE_ITEMS)

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
    keys = (Activity.cmdr, ActivitySystem.name)
    where = [TW_SENT, *period_filter(period, Activity.ticktime, Activity.tickid)]
    if system is not None:
        where.append(ActivitySystem.name == system)
    if cmdr is not None:
        where.append(Activity.cmdr == cmdr)
    statement = (
        select(
            *keys,
            *(column_total(_count(ActivitySystem.twkills, kind)) for kind in TW_KILL_TYPES),
            column_total(TW_RESCUE),
            column_total(ActivitySystem.twreactivate),
        )
        .select_from(Activity)
        .join(ActivitySystem, ActivitySystem.activity_id == Activity.id)
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
