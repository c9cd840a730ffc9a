"""The summaries as they were computed from raw events and tallies before rollups: the reference
the rollups must agree with (tests/integration/test_rollups.py). The query code of
`bgs.summaries` before issue 20, kept here and nowhere else; the result types are the
production ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    join,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bgs.periods import Period, ticks_query
from bgs.rollups.events import VISIT_EVENTS, VOUCHER_BOUNTY, VOUCHER_COMBAT_BOND
from bgs.summaries import (
    CmdrActivity,
    CmdrMetrics,
    CZCount,
    FactionActivity,
    FactionInfluence,
    SystemCZs,
    SystemData,
    SystemThargoidWar,
    ThargoidWar,
    TickActivity,
    UnvisitedSystem,
)
from bgs.summaries.activity import ActivityCounts
from bgs.summaries.common import ZERO, column_total
from bgs.summaries.czs import by_system
from bgs.tallies import RESCUE_ITEMS, TW_KILL_TYPES, TW_RESCUE_ITEMS
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

Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def period_filter(period: Period, timestamp: Column, tickid: Column) -> list[ColumnElement[bool]]:
    """Conditions selecting a period's rows: by tick id for tick periods, else by time; an
    officer's cut (`by_time`): `ct` from it on, `lt` the tick's rows stamped before it."""
    if period.by_time:
        if period.end is None:
            return [timestamp >= period.start]
        assert period.tick is not None
        return [tickid == period.tick.tickid, timestamp < period.end]
    if period.by_tick:
        return [tickid == period.tick.tickid] if period.tick is not None else [false()]
    if period.start is None or period.end is None:
        return []
    return [timestamp >= period.start, timestamp < period.end]


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


def _cz_query(model: Any, period: Period, system: str | None, keys: Sequence[Any]) -> Select[Any]:
    sizes = [column_total(model.low), column_total(model.medium), column_total(model.high)]
    return (
        select(*keys, model.cmdr, *sizes)
        .where(
            model.cmdr.is_not(None),
            *period_filter(period, model.timestamp, model.tickid),
            *([model.system_name == system] if system is not None else []),
        )
        .group_by(*keys, model.cmdr)
        .having(or_(*(size != 0 for size in sizes)))
    )


def _totals(keys: Sequence[str], combinations: Iterable[tuple[Any, ...]]) -> list[SystemCZs]:
    """Each system's totals by `keys` of its (system, faction, settlement, cmdr) CZs, as the
    commands added them up before: the non-zero ones."""
    sums: defaultdict[tuple[str, str | None, str | None], CZCount] = defaultdict(CZCount)
    for system, faction, settlement, cmdr, low, medium, high in combinations:
        names = {"faction": faction, "settlement": settlement, "cmdr": cmdr}
        for by in keys:
            sums[by, system, names[by]] += CZCount(low, medium, high)
    return by_system(
        (by, system, name, count)
        for (by, system, name), count in sums.items()
        if count != CZCount()
    )


async def space_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[SystemCZs]:
    """Space CZs per system, faction and cmdr, corrections included, summed per system."""
    keys = [SyntheticCZ.system_name, SyntheticCZ.faction]
    rows = await session.execute(_cz_query(SyntheticCZ, period, system, keys))
    combinations = ((system, faction, None, *rest) for system, faction, *rest in rows)
    return _totals(("faction", "cmdr"), combinations)


async def ground_czs(
    session: AsyncSession, period: Period, system: str | None = None
) -> list[SystemCZs]:
    """Ground CZs per system, faction, settlement and cmdr, summed per system."""
    model = SyntheticGroundCZ
    keys = [model.system_name, model.faction, model.settlement]
    rows = await session.execute(_cz_query(model, period, system, keys))
    return _totals(("faction", "settlement", "cmdr"), rows)


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


# Every counter of `ActivityCounts`: the columns, and the sum of the JSON `sandr` object.
ACTIVITY_SUMS: dict[str, ColumnElement[int] | InstrumentedAttribute[int]] = {
    **ACTIVITY_COLUMNS,
    "search_rescue": RESCUE,
}


def _counts(row: Any) -> ActivityCounts:
    mapping = row._mapping
    return ActivityCounts(**{name: mapping[name] for name in ACTIVITY_SUMS})


def _activity_sums() -> list[ColumnElement[int]]:
    return [column_total(column).label(name) for name, column in ACTIVITY_SUMS.items()]


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
    where = [or_(*(column != 0 for column in ACTIVITY_COLUMNS.values()), RESCUE_SENT)]
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
            *_activity_sums(),
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
            *_activity_sums(),
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


async def cmdr_activity(session: AsyncSession, period: Period, cmdr: str) -> list[CmdrActivity]:
    return await activity_by_cmdr(session, period, cmdr)


async def activity_per_cmdr(session: AsyncSession, period: Period) -> dict[str, ActivityCounts]:
    """Every cmdr's activity as the commands added it up before: their rows of
    `activity_by_cmdr`, summed."""
    counts: defaultdict[str, ActivityCounts] = defaultdict(ActivityCounts)
    for row in await activity_by_cmdr(session, period):
        counts[row.cmdr] += row.counts
    return dict(counts)


async def faction_activity_by_tick(
    session: AsyncSession, faction: str, ticks: int = 10
) -> list[TickActivity]:
    """A faction's activity in each of the guild's last `ticks` ticks, oldest first, zero for
    ticks without any (one round trip; for charts)."""
    last = ticks_query(ticks).subquery("last_ticks")
    sums = (
        _activity_select(
            Activity.tickid,
            *_activity_sums(),
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
            *(func.coalesce(sums.c[name], 0).label(name) for name in ACTIVITY_SUMS),
        )
        .outerjoin(sums, sums.c.tickid == last.c.tickid)
        .order_by(last.c.ticktime)
    )
    return [
        TickActivity(row.tickid, row.ticktime, _counts(row))
        for row in await session.execute(statement)
    ]


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
    elif period.by_time and period.tick is not None:  # `lt` up to an officer's tick
        in_period = and_(Event.tickid == period.tick.tickid, Event.timestamp < period.end)
        scope.append(Event.timestamp >= period.tick.ticktime)
    elif period.by_time:  # `ct` from an officer's tick
        scope.append(Event.timestamp >= period.start)
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
