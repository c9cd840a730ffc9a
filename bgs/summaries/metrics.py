"""Per-cmdr metrics from the typed event tables: the leaderboard (and so the top-five lists) and
influence by faction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    join,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bgs.errors import DomainError
from bgs.periods import Period
from bgs.summaries.common import ZERO, column_total, period_filter
from bgs.summaries.counters import RESCUE, RESCUE_SENT, TW_KILLS, TW_RESCUE, TW_SENT
from db.models import (
    Activity,
    ActivityFaction,
    ActivitySystem,
    Cmdr,
    CommitCrime,
    ExplorationSale,
    KnownSystem,
    MarketBuy,
    MarketSell,
    MissionCompleted,
    MissionFailed,
    MissionInfluence,
    RedeemVoucher,
)

VOUCHER_BOUNTY = "bounty"
VOUCHER_COMBAT_BOND = "CombatBond"


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


def _influence_landed_in(system: str) -> ColumnElement[bool]:
    """Influence effects that landed in `system` (see the module doc)."""
    addresses = select(KnownSystem.address).where(KnownSystem.name == system)
    return or_(
        MissionInfluence.system_address.in_(addresses),
        and_(MissionInfluence.system_address.is_(None), MissionInfluence.system_name == system),
    )


def _voucher(kind: str) -> ColumnElement[int]:
    return column_total(case((RedeemVoucher.type == kind, RedeemVoucher.amount), else_=0))


@dataclass(frozen=True, slots=True)
class _Source:
    """Rows that feed some leaderboard columns: where they are, which count, and how they are
    filtered by period, system and cmdr."""

    table: Any  # a typed event table, or the tallies (joined down to their systems or factions)
    cmdr: Any
    timestamp: Any
    tickid: Any
    values: dict[str, ColumnElement[int]]
    conditions: list[ColumnElement[bool]]
    in_system: Callable[[str], ColumnElement[bool]]
    per_cmdr: Any = None  # what to group by, when not `cmdr` itself


def _event_source(
    model: Any, values: dict[str, ColumnElement[int]], *conditions: ColumnElement[bool]
) -> _Source:
    return _Source(
        model,
        model.cmdr,
        model.timestamp,
        model.tickid,
        values,
        list(conditions),
        lambda system: model.system_name == system,
    )


def _tally_source(
    table: Any, values: dict[str, ColumnElement[int]], condition: ColumnElement[bool]
) -> _Source:
    """The plugin's tallies, by their tick (time) like the activity summaries."""
    return _Source(
        table,
        Activity.cmdr,
        Activity.ticktime,
        Activity.tickid,
        values,
        [condition],
        lambda system: ActivitySystem.name == system,
    )


TALLY_TOTALS: tuple[InstrumentedAttribute[int], ...] = (
    Activity.thargoid_kills,
    Activity.tw_rescue,
    Activity.search_rescue,
)


def _tally_sources(in_one_system: bool) -> list[_Source]:
    """The tallies' counters: the totals each stores (one row per tally), or for one system the
    JSON counters of that system and its factions."""
    if not in_one_system:
        totals = {column.key: column_total(column) for column in TALLY_TOTALS}
        source = _tally_source(Activity, totals, or_(*(column != 0 for column in TALLY_TOTALS)))
        # Grouped by the cmdr's name as an expression: grouped by the column itself, SQLite
        # walks the (guild, cmdr, tickid) index for its order, through every tally of the
        # guild, instead of finding the period's few by tick (0.1 ms against 7 for a tick).
        return [replace(source, per_cmdr=Activity.cmdr.concat(""))]
    systems = join(Activity, ActivitySystem, ActivitySystem.activity_id == Activity.id)
    return [
        _tally_source(
            systems,
            {"thargoid_kills": column_total(TW_KILLS), "tw_rescue": column_total(TW_RESCUE)},
            TW_SENT,
        ),
        _tally_source(
            join(systems, ActivityFaction, ActivityFaction.system_id == ActivitySystem.id),
            {"search_rescue": column_total(RESCUE)},
            RESCUE_SENT,
        ),
    ]


def _sources(faction: str | None, in_one_system: bool) -> list[_Source]:
    """What feeds each leaderboard column (see the package doc)."""
    sources = [
        _event_source(
            MarketBuy,
            {
                "buy_volume": column_total(MarketBuy.total_cost),
                "buy_tonnage": column_total(MarketBuy.count),
            },
        ),
        _event_source(
            MarketSell,
            {
                "sell_volume": column_total(MarketSell.total_sale),
                "sell_tonnage": column_total(MarketSell.count),
                "trade_profit": column_total(MarketSell.profit),
            },
        ),
        _event_source(MissionCompleted, {"missions_completed": func.count()}),
        _event_source(MissionFailed, {"missions_failed": func.count()}),
        _event_source(
            RedeemVoucher,
            {
                "bounty_vouchers": _voucher(VOUCHER_BOUNTY),
                "combat_bonds": _voucher(VOUCHER_COMBAT_BOND),
            },
            RedeemVoucher.type.in_((VOUCHER_BOUNTY, VOUCHER_COMBAT_BOND)),
        ),
        _event_source(
            ExplorationSale, {"exploration_sales": column_total(ExplorationSale.earnings)}
        ),
        _event_source(
            CommitCrime, {"bounty_fines": column_total(CommitCrime.fine + CommitCrime.bounty)}
        ),
        *_tally_sources(in_one_system),
    ]
    if faction:
        influence = _event_source(
            MissionInfluence,
            {"influence": column_total(MissionInfluence.influence)},
            MissionInfluence.faction == faction,
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
        where = [
            source.cmdr.is_not(None),
            *period_filter(period, source.timestamp, source.tickid),
            *source.conditions,
        ]
        if cmdr is not None:
            where.append(source.cmdr == cmdr)
        if system is not None:
            where.append(source.in_system(system))
        columns = [source.values.get(name, ZERO).label(name) for name in _SUMMED]
        per_cmdr = source.cmdr if source.per_cmdr is None else source.per_cmdr
        branches.append(
            select(per_cmdr.label("cmdr"), *columns)
            .select_from(source.table)
            .where(*where)
            .group_by(per_cmdr)
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
    total = column_total(MissionInfluence.influence).label("influence")
    statement = (
        select(MissionInfluence.cmdr, MissionInfluence.faction, total)
        .where(
            MissionInfluence.cmdr.is_not(None),
            *period_filter(period, MissionInfluence.timestamp, MissionInfluence.tickid),
            *([_influence_landed_in(system)] if system is not None else []),
        )
        .group_by(MissionInfluence.cmdr, MissionInfluence.faction)
        .order_by(total.desc(), MissionInfluence.cmdr, MissionInfluence.faction)
        .limit(limit)
    )
    return [FactionInfluence(**row._mapping) for row in await session.execute(statement)]
