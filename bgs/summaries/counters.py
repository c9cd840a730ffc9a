"""The counters the plugin sends as JSON objects inside its tallies (bgstally-api.md §6):
Thargoid kills and Thargoid-war search and rescue per system (`twkills`, `twsandr`, with
`twreactivate`, the settlements reactivated), and search and rescue per faction (`sandr`).

Their SQL definitions live here, once, for every summary that shows them (the activity
summaries, the leaderboard). A JSON key the plugin did not send counts 0. A delivery in a
Thargoid-war system is counted by the plugin both in the system's `twsandr` and in the
faction's `sandr`, so the two are shown apart and never added up.

`thargoid_war` sums the system counters per system (and cmdr): they belong to the system, not
to a faction, so they cannot ride along with the per-faction sums.
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
from db.models import Activity, ActivityFaction, ActivitySystem

TW_KILL_TYPES: Final = (
    "banshee",
    "basilisk",
    "cyclops",
    "hydra",
    "medusa",
    "orthrus",
    "revenant",
    "scout",
    "scythe-glaive",
)
TW_RESCUE_ITEMS: Final = (
    "damagedpods",
    "occupiedpods",
    "thargoidpods",
    "blackboxes",
    "tissuesamples",
)
RESCUE_ITEMS: Final = (
    "damagedpods",
    "occupiedpods",
    "thargoidpods",
    "blackboxes",
    "wreckagecomponents",
    "personaleffects",
    "politicalprisoners",
    "hostages",
)
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
    """One cmdr's (or the squadron's: `cmdr` None) Thargoid-war work in one system."""

    cmdr: str | None
    system: str
    counts: ThargoidWar


async def thargoid_war(
    session: AsyncSession,
    period: Period,
    *,
    system: str | None = None,
    cmdr: str | None = None,
    by_cmdr: bool = False,
) -> list[SystemThargoidWar]:
    """Thargoid-war counters per system (per cmdr and system with `by_cmdr`) from the period's
    tallies, systems without any left out, by cmdr then system (one round trip)."""
    keys: list[Any] = [Activity.cmdr] if by_cmdr else []
    keys.append(ActivitySystem.name)
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
    for row in await session.execute(statement):
        values = tuple(row)
        names, numbers = values[: len(keys)], values[len(keys) :]
        kills, (rescue, reactivated) = numbers[:-2], numbers[-2:]
        counts = ThargoidWar(tuple(kills), rescue, reactivated)
        if counts.any():
            who = names[0] if by_cmdr else None
            result.append(SystemThargoidWar(who, names[-1], counts))
    return result


def war_totals(
    rows: Iterable[SystemThargoidWar], key: Callable[[SystemThargoidWar], K]
) -> dict[K, ThargoidWar]:
    """Thargoid-war counters summed by any key of the rows, e.g. `lambda row: row.system`."""
    totals: dict[K, ThargoidWar] = defaultdict(ThargoidWar)
    for row in rows:
        totals[key(row)] += row.counts
    return dict(totals)
