"""What the squadron did in a period: per-cmdr metrics (leaderboard, top 5), influence by faction,
space and ground conflict zones, the plugin's activity tallies by system → faction and by cmdr,
systems worked with the age of their data, and objective systems nobody visited since the tick.

Every query is one statement on a tenant-scoped session (the session adds the guild filter to
every table, which is also what lets the (guild_id, timestamp) and (guild_id, tickid) indexes
serve the period filter). Event metrics read the typed child tables, which carry `timestamp`,
`tickid`, `cmdr` and `system_name` themselves; tick periods filter on `tickid`, calendar periods
on the half-open `timestamp` range (see `bgs.periods`). Results are frozen dataclasses.

Metric definitions (reference.md §4, with its mistakes fixed):

* market: buy volume Σ MarketBuy.TotalCost and tonnage Σ Count; sell volume Σ
  MarketSell.TotalSale and tonnage Σ Count; trade profit Σ (TotalSale − AvgPricePaid × Count),
  the real profit of the goods sold (the reference used sell − buy volume);
* missions completed / failed: number of MissionCompleted / MissionFailed events;
* bounty vouchers / combat bonds: Σ RedeemVoucher.Amount of type `bounty` / `CombatBond`;
* exploration sales: Σ TotalEarnings of SellExplorationData and MultiSellExplorationData;
* influence: Σ of the signed influence of mission effects ('+++' with a Down trend is −3),
  for the guild's faction (exact name, passed in) or per faction; with a system filter, the
  effects that landed in that system (by address, or the hand-in system when the plugin sent no
  address), not the system where the mission was handed in;
* bounty fines: Σ (Fine + Bounty) of CommitCrime events, the cost of crimes committed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bgs.errors import DomainError
from bgs.periods import Period, ticks_query
from db.models import (
    Activity,
    ActivityFaction,
    ActivitySystem,
    Cmdr,
    CommitCrime,
    Event,
    ExplorationSale,
    KnownSystem,
    MarketBuy,
    MarketSell,
    MissionCompleted,
    MissionFailed,
    MissionInfluence,
    Objective,
    ObjectiveTarget,
    RedeemVoucher,
    SyntheticCZ,
    SyntheticGroundCZ,
)

VOUCHER_BOUNTY = "bounty"
VOUCHER_COMBAT_BOND = "CombatBond"
VISIT_EVENTS = ("FSDJump", "Location", "CarrierJump", "Docked")

K = TypeVar("K", bound=Hashable)
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


# --------------------------------------------------------------------------------------------
# Filters and small SQL helpers
# --------------------------------------------------------------------------------------------


def period_filter(period: Period, timestamp: Column, tickid: Column) -> list[ColumnElement[bool]]:
    """Conditions selecting a period's rows: by tick id for tick periods, else by time."""
    if period.by_tick:
        return [tickid == period.tick.tickid] if period.tick is not None else [false()]
    if period.start is None or period.end is None:
        return []
    return [timestamp >= period.start, timestamp < period.end]


def _total(expression: Any) -> ColumnElement[int]:
    """Σ expression as a 64-bit integer, 0 when there are no rows (PostgreSQL would say
    numeric and NULL)."""
    return cast(func.coalesce(func.sum(expression), 0), BigInteger)


ZERO: ColumnElement[int] = literal_column("0", BigInteger)


def _add_fields(left: Any, right: Any) -> dict[str, Any]:
    return {f.name: getattr(left, f.name) + getattr(right, f.name) for f in fields(left)}


# --------------------------------------------------------------------------------------------
# Per-cmdr metrics: leaderboard and top 5
# --------------------------------------------------------------------------------------------


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
    return _total(case((RedeemVoucher.type == kind, RedeemVoucher.amount), else_=0))


def _leaderboard_query(
    period: Period, faction: str | None, system: str | None = None, cmdr: str | None = None
) -> Select[Any]:
    """The statement behind `leaderboard`: per typed table one aggregate per cmdr, laid out in
    the leaderboard's columns (0 elsewhere), UNION ALL, summed per cmdr."""
    tables: list[tuple[Any, dict[str, ColumnElement[int]], list[ColumnElement[bool]]]] = [
        (
            MarketBuy,
            {"buy_volume": _total(MarketBuy.total_cost), "buy_tonnage": _total(MarketBuy.count)},
            [],
        ),
        (
            MarketSell,
            {
                "sell_volume": _total(MarketSell.total_sale),
                "sell_tonnage": _total(MarketSell.count),
                "trade_profit": _total(MarketSell.profit),
            },
            [],
        ),
        (MissionCompleted, {"missions_completed": func.count()}, []),
        (MissionFailed, {"missions_failed": func.count()}, []),
        (
            RedeemVoucher,
            {
                "bounty_vouchers": _voucher(VOUCHER_BOUNTY),
                "combat_bonds": _voucher(VOUCHER_COMBAT_BOND),
            },
            [RedeemVoucher.type.in_((VOUCHER_BOUNTY, VOUCHER_COMBAT_BOND))],
        ),
        (ExplorationSale, {"exploration_sales": _total(ExplorationSale.earnings)}, []),
        (CommitCrime, {"bounty_fines": _total(CommitCrime.fine + CommitCrime.bounty)}, []),
    ]
    if faction:
        tables.append(
            (
                MissionInfluence,
                {"influence": _total(MissionInfluence.influence)},
                [MissionInfluence.faction == faction],
            )
        )
    branches = []
    for model, values, conditions in tables:
        where = [
            model.cmdr.is_not(None),
            *period_filter(period, model.timestamp, model.tickid),
            *conditions,
        ]
        if cmdr is not None:
            where.append(model.cmdr == cmdr)
        if system is not None:
            landed = model is MissionInfluence
            where.append(_influence_landed_in(system) if landed else model.system_name == system)
        columns = [values.get(name, ZERO).label(name) for name in _SUMMED]
        branches.append(
            select(model.cmdr.label("cmdr"), *columns).where(*where).group_by(model.cmdr)
        )
    per_table = union_all(*branches).subquery("per_table")
    return (
        select(
            per_table.c.cmdr,
            Cmdr.squadron_rank,
            *(_total(per_table.c[name]).label(name) for name in _SUMMED),
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


def top_n(rows: Sequence[CmdrMetrics], n: int = 5) -> dict[str, list[tuple[str, int]]]:
    """For every metric, the best `n` cmdrs with a positive value (pure)."""
    return {
        key: [(row.cmdr, row.value(key)) for row in ranked(rows, key) if row.value(key) > 0][:n]
        for key in METRIC_KEYS
    }


async def top5(
    session: AsyncSession, period: Period, faction: str | None, system: str | None = None
) -> dict[str, list[tuple[str, int]]]:
    """Top five cmdrs of every metric (one round trip: the leaderboard, ranked here)."""
    return top_n(await leaderboard(session, period, faction, system))


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
    total = _total(MissionInfluence.influence).label("influence")
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


# --------------------------------------------------------------------------------------------
# Conflict zones
# --------------------------------------------------------------------------------------------


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
        return CZCount(**_add_fields(self, other))


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


def _cz_query(model: Any, period: Period, system: str | None, keys: Sequence[Any]) -> Select[Any]:
    sizes = [_total(model.low), _total(model.medium), _total(model.high)]
    return (
        select(*keys, model.cmdr, *sizes)
        .where(
            model.cmdr.is_not(None),
            *period_filter(period, model.timestamp, model.tickid),
            *([model.system_name == system] if system is not None else []),
        )
        .group_by(*keys, model.cmdr)
        .having(or_(*(size != 0 for size in sizes)))
        .order_by(*keys, model.cmdr)
    )


async def space_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[SpaceCZ]:
    """Space CZs per system, faction and cmdr, corrections included (one round trip)."""
    keys = [SyntheticCZ.system_name, SyntheticCZ.faction]
    rows = await session.execute(_cz_query(SyntheticCZ, period, system, keys))
    return [
        SpaceCZ(system, faction, cmdr, CZCount(low, medium, high))
        for system, faction, cmdr, low, medium, high in rows
    ]


async def ground_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[GroundCZ]:
    """Ground CZs per system, faction, settlement and cmdr (one round trip)."""
    model = SyntheticGroundCZ
    keys = [model.system_name, model.faction, model.settlement]
    rows = await session.execute(_cz_query(model, period, system, keys))
    return [
        GroundCZ(system, faction, settlement, cmdr, CZCount(low, medium, high))
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


# --------------------------------------------------------------------------------------------
# Activity tallies (PUT /activities): one snapshot per cmdr and tick, replaced on every PUT
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityCounts:
    """The plugin's counters for one faction (or a sum of them)."""

    inf_primary: int = 0
    inf_secondary: int = 0
    bounty_vouchers: int = 0
    combat_bonds: int = 0
    exploration: int = 0
    exobiology: int = 0
    scenarios: int = 0
    mission_fails: int = 0
    murders_ground: int = 0
    murders_space: int = 0
    black_market: int = 0
    trade_buy_items: int = 0
    trade_buy_value: int = 0
    trade_sell_items: int = 0
    trade_sell_value: int = 0
    trade_sell_profit: int = 0
    cz_space_low: int = 0
    cz_space_medium: int = 0
    cz_space_high: int = 0
    cz_ground_low: int = 0
    cz_ground_medium: int = 0
    cz_ground_high: int = 0

    @property
    def influence(self) -> int:
        return self.inf_primary + self.inf_secondary

    @property
    def cz_space(self) -> CZCount:
        return CZCount(self.cz_space_low, self.cz_space_medium, self.cz_space_high)

    @property
    def cz_ground(self) -> CZCount:
        return CZCount(self.cz_ground_low, self.cz_ground_medium, self.cz_ground_high)

    def any(self) -> bool:
        """Whether any counter is non-zero."""
        return any(getattr(self, f.name) for f in fields(self))

    def __add__(self, other: ActivityCounts) -> ActivityCounts:
        return ActivityCounts(**_add_fields(self, other))


ACTIVITY_COLUMNS: dict[str, InstrumentedAttribute[int]] = {
    "inf_primary": ActivityFaction.infprimary,
    "inf_secondary": ActivityFaction.infsecondary,
    "bounty_vouchers": ActivityFaction.bvs,
    "combat_bonds": ActivityFaction.cbs,
    "exploration": ActivityFaction.exploration,
    "exobiology": ActivityFaction.exobiology,
    "scenarios": ActivityFaction.scenarios,
    "mission_fails": ActivityFaction.missionfails,
    "murders_ground": ActivityFaction.murdersground,
    "murders_space": ActivityFaction.murdersspace,
    "black_market": ActivityFaction.tradebm,
    "trade_buy_items": ActivityFaction.trade_buy_items,
    "trade_buy_value": ActivityFaction.trade_buy_value,
    "trade_sell_items": ActivityFaction.trade_sell_items,
    "trade_sell_value": ActivityFaction.trade_sell_value,
    "trade_sell_profit": ActivityFaction.trade_sell_profit,
    "cz_space_low": ActivityFaction.cz_space_low,
    "cz_space_medium": ActivityFaction.cz_space_medium,
    "cz_space_high": ActivityFaction.cz_space_high,
    "cz_ground_low": ActivityFaction.cz_ground_low,
    "cz_ground_medium": ActivityFaction.cz_ground_medium,
    "cz_ground_high": ActivityFaction.cz_ground_high,
}


def _counts(row: Any) -> ActivityCounts:
    mapping = row._mapping
    return ActivityCounts(**{name: mapping[name] for name in ACTIVITY_COLUMNS})


def _activity_sums(columns: dict[str, Any]) -> list[ColumnElement[int]]:
    return [_total(column).label(name) for name, column in columns.items()]


def _activity_select(
    *columns: Any,
    period: Period | None = None,
    system: str | None = None,
    faction: str | None = None,
) -> Select[Any]:
    """Columns over the faction rows with any activity, from the snapshots (each the cmdr's
    latest for its tick) of a period or of all time.

    Idle rows (every faction of every visited system is reported, mostly with zeros) add
    nothing to any sum; leaving them out before grouping halves the cost of the sort.
    """
    where = [or_(*(column != 0 for column in ACTIVITY_COLUMNS.values()))]
    if period is not None:
        where += period_filter(period, Activity.ticktime, Activity.tickid)
    if system is not None:
        where.append(ActivitySystem.name == system)
    if faction is not None:
        where.append(ActivityFaction.name == faction)
    return (
        select(*columns)
        .select_from(Activity)
        .join(ActivitySystem, ActivitySystem.activity_id == Activity.id)
        .join(ActivityFaction, ActivityFaction.system_id == ActivitySystem.id)
        .where(*where)
    )


@dataclass(frozen=True, slots=True)
class FactionActivity:
    """The squadron's work for one faction in one system, summed over cmdrs and ticks, with
    the faction's state and influence (0..1) as last reported in the period."""

    system: str
    faction: str
    state: str | None
    influence: float | None
    counts: ActivityCounts


async def activity_summary(
    session: AsyncSession, period: Period, system: str | None = None, faction: str | None = None
) -> list[FactionActivity]:
    """Activity by system → faction, factions without any activity left out (one round trip).

    State and influence are those of the most recently received snapshot with activity for
    the faction there (influence: the newest that reported one, plugin API 1.7+). The grouping
    remembers that snapshot's id and one indexed lookup per faction reads the value, far
    cheaper than ranking every row with a window function.
    """
    groups = (
        _activity_select(
            ActivitySystem.name.label("system"),
            ActivityFaction.name.label("faction"),
            func.max(Activity.id).label("state_from"),
            func.max(case((ActivityFaction.influence.is_not(None), Activity.id))).label(
                "influence_from"
            ),
            *_activity_sums(ACTIVITY_COLUMNS),
            period=period,
            system=system,
            faction=faction,
        )
        .group_by(ActivitySystem.name, ActivityFaction.name)
        .subquery("faction_groups")
    )

    def reported(column: InstrumentedAttribute[Any], activity_id: Any) -> Any:
        return (
            select(column)
            .join(ActivitySystem, ActivitySystem.id == ActivityFaction.system_id)
            .where(
                ActivitySystem.activity_id == activity_id,
                ActivitySystem.name == groups.c.system,
                ActivityFaction.name == groups.c.faction,
            )
            .limit(1)
            .scalar_subquery()
        )

    statement = select(
        groups,
        reported(ActivityFaction.state, groups.c.state_from).label("state"),
        reported(ActivityFaction.influence, groups.c.influence_from).label("influence"),
    ).order_by(groups.c.system, groups.c.faction)
    result = []
    for row in await session.execute(statement):
        counts = _counts(row)
        if counts.any():
            result.append(
                FactionActivity(row.system, row.faction, row.state, row.influence, counts)
            )
    return result


@dataclass(frozen=True, slots=True)
class CmdrActivity:
    """One cmdr's work for one faction in one system, summed over the period's ticks."""

    cmdr: str
    system: str
    faction: str
    counts: ActivityCounts


async def activity_by_cmdr(
    session: AsyncSession, period: Period, cmdr: str | None = None
) -> list[CmdrActivity]:
    """Activity per cmdr → system → faction, idle factions left out (one round trip)."""
    keys = (Activity.cmdr, ActivitySystem.name, ActivityFaction.name)
    statement = (
        _activity_select(
            Activity.cmdr,
            ActivitySystem.name.label("system"),
            ActivityFaction.name.label("faction"),
            *_activity_sums(ACTIVITY_COLUMNS),
            period=period,
        )
        .where(*([Activity.cmdr == cmdr] if cmdr is not None else []))
        .group_by(*keys)
        .order_by(*keys)
    )
    result = []
    for row in await session.execute(statement):
        counts = _counts(row)
        if counts.any():
            result.append(CmdrActivity(row.cmdr, row.system, row.faction, counts))
    return result


@dataclass(frozen=True, slots=True)
class TickActivity:
    """The squadron's work for one faction in one tick (all systems)."""

    tickid: str
    ticktime: datetime
    counts: ActivityCounts


async def faction_activity_by_tick(
    session: AsyncSession, faction: str, ticks: int = 10
) -> list[TickActivity]:
    """A faction's activity in each of the guild's last `ticks` ticks, oldest first, zero for
    ticks without any (one round trip; for charts)."""
    last = ticks_query(ticks).subquery("last_ticks")
    sums = (
        _activity_select(
            Activity.tickid,
            *_activity_sums(ACTIVITY_COLUMNS),
            faction=faction,
        )
        .where(Activity.tickid.in_(select(last.c.tickid)))
        .group_by(Activity.tickid)
        .subquery("faction_sums")
    )
    statement = (
        select(
            last.c.tickid,
            last.c.ticktime,
            *(func.coalesce(sums.c[name], 0).label(name) for name in ACTIVITY_COLUMNS),
        )
        .outerjoin(sums, sums.c.tickid == last.c.tickid)
        .order_by(last.c.ticktime)
    )
    return [
        TickActivity(row.tickid, row.ticktime, _counts(row))
        for row in await session.execute(statement)
    ]


# --------------------------------------------------------------------------------------------
# Systems: data age and objective systems not visited
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SystemData:
    """A system the squadron had events in during the period, and its newest event."""

    system: str
    events: int
    newest: datetime
    tick_time: datetime | None

    @property
    def fresh(self) -> bool | None:
        """Whether there is data from after the galaxy tick (None: no tick known)."""
        return None if self.tick_time is None else self.newest >= self.tick_time

    @property
    def age_at_tick(self) -> timedelta | None:
        """How long before the galaxy tick the newest data is (negative: after the tick)."""
        return None if self.tick_time is None else self.tick_time - self.newest


async def systems_worked(
    session: AsyncSession, period: Period, tick_time: datetime | None
) -> list[SystemData]:
    """Systems with events in the period, by name, each with its newest event and that
    event's age against the latest galaxy tick `tick_time` (one round trip).

    A system worked in the period has its newest event at or after the period's start, so
    only events from the start on are read, through the (guild_id, timestamp) index (for a
    tick: from its tick time, so a tick's event stamped before the tick itself, which only
    clock skew can produce, is not counted).
    """
    scope: list[ColumnElement[bool]] = []
    in_period: ColumnElement[bool] | None = None
    if period.by_tick:
        if period.tick is None:
            scope.append(false())
        else:
            in_period = Event.tickid == period.tick.tickid
            scope.append(Event.timestamp >= period.tick.ticktime)
    elif period.start is not None and period.end is not None:
        in_period = Event.timestamp < period.end
        scope.append(Event.timestamp >= period.start)
    events = func.count() if in_period is None else func.count(case((in_period, 1)))
    statement = (
        select(
            Event.system_name.label("system"),
            events.label("events"),
            func.max(Event.timestamp).label("newest"),
        )
        .where(Event.system_name.is_not(None), *scope)
        .group_by(Event.system_name)
        .having(events > 0)
        .order_by(Event.system_name)
    )
    return [
        SystemData(row.system, row.events, row.newest, tick_time)
        for row in await session.execute(statement)
    ]


@dataclass(frozen=True, slots=True)
class UnvisitedSystem:
    system: str
    objectives: tuple[str, ...]  # titles of the active objectives naming the system


async def objective_systems_not_visited(
    session: AsyncSession, tick_time: datetime | None, now: datetime | None = None
) -> list[UnvisitedSystem]:
    """Systems named by active objectives (or their targets) where no member arrived or
    docked (FSDJump, Location, CarrierJump, Docked) since the galaxy tick `tick_time`; with no
    tick known, since ever. Names compare case-insensitively (one round trip)."""
    now = now or datetime.now(UTC)
    active = and_(
        Objective.starts_at <= now, or_(Objective.ends_at.is_(None), Objective.ends_at >= now)
    )
    named = union(
        select(Objective.system.label("system"), Objective.title.label("title")).where(
            active, Objective.system.is_not(None)
        ),
        select(ObjectiveTarget.system, Objective.title)
        .join(Objective, Objective.id == ObjectiveTarget.objective_id)
        .where(active, ObjectiveTarget.system.is_not(None)),
    ).subquery("objective_systems")
    visits = select(func.lower(Event.system_name)).where(
        Event.event.in_(VISIT_EVENTS),
        Event.system_name.is_not(None),
        *([Event.timestamp >= tick_time] if tick_time is not None else []),
    )
    statement = (
        select(named.c.system, named.c.title)
        .where(func.lower(named.c.system).not_in(visits))
        .order_by(named.c.system, named.c.title)
    )
    titles: dict[str, list[str]] = defaultdict(list)
    for system, title in await session.execute(statement):
        titles[system].append(title)
    return [UnvisitedSystem(system, tuple(names)) for system, names in titles.items()]
