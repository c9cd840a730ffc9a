"""The plugin's activity tallies (PUT /activities): one snapshot per cmdr and tick, replaced on
every PUT, summed by system -> faction, per cmdr, one cmdr's by system -> faction, or per tick
for charts, from their rollups (`bgs.rollups.activities`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bgs.periods import Period, ticks_query
from bgs.rollups.activities import FACTION_COLUMNS, NO_NAME, SQUADRON
from bgs.rollups.buckets import DAY, scope
from bgs.summaries.common import add_fields, column_total
from bgs.summaries.czs import CZCount
from db.models import ActivityFaction, ActivityRollup, ActivitySystem


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
    search_rescue: int = 0  # items handed in (`sandr`, summed)

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
        return ActivityCounts(**add_fields(self, other))


# Every counter of `ActivityCounts`: the faction rows' columns of the same names.
ACTIVITY_SUMS: tuple[str, ...] = (*FACTION_COLUMNS, "search_rescue")
R = ActivityRollup


def _counts(row: Any) -> ActivityCounts:
    mapping = row._mapping
    return ActivityCounts(**{name: mapping[name] for name in ACTIVITY_SUMS})


def _activity_sums() -> list[ColumnElement[int]]:
    return [column_total(R.__table__.c[name]).label(name) for name in ACTIVITY_SUMS]


def _activity_select(
    *columns: Any,
    squadron: bool,
    period: Period | None = None,
    system: str | None = None,
    faction: str | None = None,
) -> Select[Any]:
    """Columns over the rollups' faction rows (factions with any activity), the squadron's
    or the cmdrs', of a period or of all time."""
    where = [R.faction != NO_NAME, (R.cmdr == SQUADRON) if squadron else (R.cmdr != SQUADRON)]
    if period is not None:
        where += scope(period, R)
    if system is not None:
        where.append(R.system_name == system)
    if faction is not None:
        where.append(R.faction == faction)
    return select(*columns).where(*where)


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
            R.system_name.label("system"),
            R.faction.label("faction"),
            func.max(R.state_from).label("state_from"),
            func.max(R.influence_from).label("influence_from"),
            *_activity_sums(),
            squadron=True,
            period=period,
            system=system,
            faction=faction,
        )
        .group_by(R.system_name, R.faction)
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


async def cmdr_activity(session: AsyncSession, period: Period, cmdr: str) -> list[CmdrActivity]:
    """One cmdr's activity per system → faction, idle factions left out (one round trip)."""
    keys = (R.system_name, R.faction)
    statement = (
        _activity_select(
            R.cmdr,
            R.system_name.label("system"),
            R.faction.label("faction"),
            *_activity_sums(),
            squadron=False,
            period=period,
        )
        .where(R.cmdr == cmdr)
        .group_by(R.cmdr, *keys)
        .order_by(*keys)
    )
    result = []
    for row in await session.execute(statement):
        counts = _counts(row)
        if counts.any():
            result.append(CmdrActivity(row.cmdr, row.system, row.faction, counts))
    return result


async def activity_per_cmdr(session: AsyncSession, period: Period) -> dict[str, ActivityCounts]:
    """Every cmdr's activity summed over systems and factions, by cmdr name: the cmdrs with
    activity for some faction in some system.

    The database sums each cmdr's rows in one pass (the answer is a row per cmdr, not per cmdr,
    system and faction: thousands for a squadron's year). A faction without activity adds
    nothing to the sums, so only a cmdr whose sums are all zero needs a second look: they
    are listed, with idle counts, when some of their factions cancel out (influence +1 here,
    -1 there), and a second round trip, for those cmdrs only, finds them.
    """
    statement = (
        _activity_select(R.cmdr, *_activity_sums(), squadron=False, period=period)
        .group_by(R.cmdr)
        .order_by(R.cmdr)
    )
    totals = {row.cmdr: _counts(row) for row in await session.execute(statement)}
    idle = [cmdr for cmdr, counts in totals.items() if not counts.any()]
    if idle:
        sums = [column_total(R.__table__.c[name]) for name in ACTIVITY_SUMS]
        cancelled = set(
            (
                await session.execute(
                    _activity_select(R.cmdr, squadron=False, period=period)
                    .where(R.cmdr.in_(idle))
                    .group_by(R.cmdr, R.system_name, R.faction)
                    .having(or_(*(total != 0 for total in sums)))
                )
            ).scalars()
        )
        totals = {cmdr: c for cmdr, c in totals.items() if c.any() or cmdr in cancelled}
    return totals


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
        _activity_select(R.tickid, *_activity_sums(), squadron=True, faction=faction)
        .where(R.grain == DAY, R.tickid.in_(select(last.c.tickid)))
        .group_by(R.tickid)
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
