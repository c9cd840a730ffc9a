"""Per-cmdr metrics from the rollups of the typed events and of the tallies: the leaderboard (and
so the top-five lists) and influence by faction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.errors import DomainError
from bgs.periods import Period
from bgs.rollups.activities import KILL_COLUMNS, NO_NAME, SQUADRON, TALLY_TOTALS
from bgs.rollups.buckets import scope
from bgs.rollups.events import CMDR, CMDR_METRICS, INFLUENCE, NO_ADDRESS
from bgs.summaries.common import ZERO, column_total, sum_of
from db.models import ActivityRollup, Cmdr, EventRollup, KnownSystem


@dataclass(frozen=True, slots=True)
class Metric:
    """A leaderboard column a member can sort by."""

    key: str
    label: str
    unit: str  # "Cr", "t", "INF" or "" for plain counts


METRICS: tuple[Metric, ...] = (
    Metric("trade_volume", "Trade volume", "Cr"),
    Metric("tonnage", "Tonnage traded", "t"),
    Metric("trade_profit", "Trade profit", "Cr"),
    Metric("missions_completed", "Missions completed", ""),
    Metric("missions_failed", "Missions failed", ""),
    Metric("influence", "Influence for our faction", "INF"),
    Metric("bounty_vouchers", "Bounty vouchers", "Cr"),
    Metric("combat_bonds", "Combat bonds", "Cr"),
    Metric("exploration_sales", "Exploration sales", "Cr"),
    Metric("bounty_fines", "Bounties and fines", "Cr"),
    Metric("thargoid_kills", "Thargoid kills", ""),
    Metric("search_rescue", "Search and rescue items", ""),
    Metric("tw_rescue", "Thargoid war rescue items", ""),
)
METRIC_KEYS = tuple(metric.key for metric in METRICS)
DEFAULT_METRIC = "trade_volume"


class UnknownMetricError(DomainError, ValueError):
    """A metric key that is not one of `METRIC_KEYS`."""

    def __init__(self, key: str) -> None:
        super().__init__(f"unknown metric {key!r}: use one of {', '.join(METRIC_KEYS)}")
        self.key = key


@dataclass(frozen=True, slots=True)
class CmdrMetrics:
    """One leaderboard row: everything one cmdr did in the period (see the module doc)."""

    cmdr: str
    squadron_rank: str | None
    buy_volume: int
    buy_tonnage: int
    sell_volume: int
    sell_tonnage: int
    trade_profit: int
    missions_completed: int
    missions_failed: int
    bounty_vouchers: int
    combat_bonds: int
    exploration_sales: int
    influence: int
    bounty_fines: int
    thargoid_kills: int
    search_rescue: int
    tw_rescue: int

    @property
    def trade_volume(self) -> int:
        return self.buy_volume + self.sell_volume

    @property
    def tonnage(self) -> int:
        return self.buy_tonnage + self.sell_tonnage

    @property
    def profitability(self) -> float | None:
        """Trade profit in % of what the sold goods cost; None when nothing was sold."""
        cost = self.sell_volume - self.trade_profit
        return round(self.trade_profit * 100 / cost, 2) if cost > 0 else None

    def value(self, metric: str) -> int:
        if metric not in METRIC_KEYS:
            raise UnknownMetricError(metric)
        result: int = getattr(self, metric)
        return result


_SUMMED = tuple(f.name for f in fields(CmdrMetrics) if f.name not in ("cmdr", "squadron_rank"))

E = EventRollup
T = ActivityRollup


def _influence_landed_in(system: str) -> ColumnElement[bool]:
    """Influence effects that landed in `system` (see the module doc)."""
    addresses = select(KnownSystem.address).where(KnownSystem.name == system)
    return or_(E.address.in_(addresses), and_(E.address == NO_ADDRESS, E.system_name == system))


@dataclass(frozen=True, slots=True)
class _Source:
    """Rollup rows that feed some leaderboard columns: which, what they add, and how they are
    filtered by period, system and cmdr."""

    table: Any  # EventRollup or ActivityRollup
    values: dict[str, ColumnElement[int]]
    conditions: list[ColumnElement[bool]]
    in_system: Callable[[str], ColumnElement[bool]]


def _events(
    kind: str, values: dict[str, ColumnElement[int]], *conditions: ColumnElement[bool]
) -> _Source:
    return _Source(E, values, [E.kind == kind, *conditions], lambda system: E.system_name == system)


def _tallies(values: dict[str, ColumnElement[int]], *conditions: ColumnElement[bool]) -> _Source:
    """The tallies' rows of each cmdr (not the squadron's)."""
    return _Source(
        T, values, [T.cmdr != SQUADRON, *conditions], lambda system: T.system_name == system
    )


def _tally_sources(in_one_system: bool) -> list[_Source]:
    """The tallies' counters: the totals each stores, or for one system the counters of that
    system and its factions (`db.models.rollups.ActivityRollup` says which row holds which)."""
    if not in_one_system:
        keys = ("thargoid_kills", "tw_rescue", "search_rescue")
        totals = dict(zip(keys, TALLY_TOTALS, strict=True))
        values = {key: column_total(T.__table__.c[name]) for key, name in totals.items()}
        return [_tallies(values, T.system_name == NO_NAME, T.faction == NO_NAME)]
    kills = sum_of(T.__table__.c[name] for name in KILL_COLUMNS)
    return [
        _tallies(
            {"thargoid_kills": column_total(kills), "tw_rescue": column_total(T.tw_rescue)},
            T.faction == NO_NAME,
            T.tw_sent > 0,
        ),
        _tallies(
            {"search_rescue": column_total(T.search_rescue)},
            T.faction != NO_NAME,
            T.rescue_sent > 0,
        ),
    ]


def _sources(faction: str | None, in_one_system: bool) -> list[_Source]:
    """What feeds each leaderboard column (see the package doc)."""
    sources = [
        _events(CMDR, {name: column_total(E.__table__.c[name]) for name in CMDR_METRICS}),
        *_tally_sources(in_one_system),
    ]
    if faction:
        influence = _events(
            INFLUENCE, {"influence": column_total(E.influence)}, E.faction == faction
        )
        sources.append(replace(influence, in_system=_influence_landed_in))
    return sources


def _leaderboard_query(
    period: Period, faction: str | None, system: str | None = None, cmdr: str | None = None
) -> Select[Any]:
    """The statement behind `leaderboard`: per source one aggregate per cmdr, laid out in the
    leaderboard's columns (0 elsewhere), UNION ALL, summed per cmdr."""
    branches = []
    for source in _sources(faction, system is not None):
        table = source.table
        where = [*scope(period, table), *source.conditions]
        if cmdr is not None:
            where.append(table.cmdr == cmdr)
        if system is not None:
            where.append(source.in_system(system))
        columns = [source.values.get(name, ZERO).label(name) for name in _SUMMED]
        branches.append(
            select(table.cmdr.label("cmdr"), *columns).where(*where).group_by(table.cmdr)
        )
    per_table = union_all(*branches).subquery("per_table")
    return (
        select(
            per_table.c.cmdr,
            Cmdr.squadron_rank,
            *(column_total(per_table.c[name]).label(name) for name in _SUMMED),
        )
        .outerjoin(Cmdr, Cmdr.name == per_table.c.cmdr)
        .group_by(per_table.c.cmdr, Cmdr.squadron_rank)
        .order_by(per_table.c.cmdr)
    )


async def leaderboard(
    session: AsyncSession,
    period: Period,
    faction: str | None,
    system: str | None = None,
    cmdr: str | None = None,
) -> list[CmdrMetrics]:
    """One row per cmdr with any metric in the period, by cmdr name (one round trip).

    `faction` is the guild's faction (guilds.faction); without it influence is 0. `system`
    keeps what happened in that system; `cmdr` keeps one cmdr.
    """
    rows = await session.execute(_leaderboard_query(period, faction, system, cmdr))
    return [CmdrMetrics(**row._mapping) for row in rows]


def ranked(rows: Iterable[CmdrMetrics], metric: str) -> list[CmdrMetrics]:
    """Leaderboard rows sorted by a metric, highest first, then by cmdr."""
    if metric not in METRIC_KEYS:
        raise UnknownMetricError(metric)
    return sorted(rows, key=lambda row: (-row.value(metric), row.cmdr.casefold()))


@dataclass(frozen=True, slots=True)
class FactionInfluence:
    cmdr: str
    faction: str
    influence: int


async def influence_by_faction(
    session: AsyncSession,
    period: Period,
    system: str | None = None,
    limit: int | None = None,
) -> list[FactionInfluence]:
    """Signed influence per cmdr and faction, highest first (one round trip)."""
    total = column_total(E.influence).label("influence")
    statement = (
        select(E.cmdr, E.faction, total)
        .where(
            E.kind == INFLUENCE,
            *scope(period, E, tick_first=True),
            *([_influence_landed_in(system)] if system is not None else []),
        )
        .group_by(E.cmdr, E.faction)
        .order_by(total.desc(), E.cmdr, E.faction)
        .limit(limit)
    )
    return [FactionInfluence(**row._mapping) for row in await session.execute(statement)]
