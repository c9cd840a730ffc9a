"""Systems: where the squadron worked with the age of its data, and the objective systems nobody
visited since the tick."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.periods import Period
from bgs.rollups.buckets import EARLY, VISIT, YEAR, scope, since
from bgs.rollups.events import SYSTEM
from db.models import EventRollup, Objective, ObjectiveTarget
from db.types import UTCDateTime


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


def _system_rows(*conditions: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    return [EventRollup.kind == SYSTEM, *conditions]


NO_INSTANT = literal(None, UTCDateTime())
NOT_EARLY = EventRollup.flags.op("&")(EARLY) == 0
VISITS = EventRollup.flags.op("&")(VISIT) != 0


async def systems_worked(
    session: AsyncSession, period: Period, tick_time: datetime | None
) -> list[SystemData]:
    """Systems with events in the period, by name, each with its newest event and that
    event's age against the latest galaxy tick `tick_time` (one round trip).

    The newest event of a system worked in the period is the newest from the period's start
    on (for a tick: from its tick time, so a tick's event stamped before the tick itself,
    which only clock skew can produce, is not counted).
    """
    table = EventRollup
    if period.by_tick and period.tick is None:
        return []
    if period.tick is not None:  # a tick (up to an officer's tick when it cuts `lt`)
        counted = _system_rows(*scope(period, table), NOT_EARLY)
        recent = _system_rows(*since(period.tick.ticktime, table))
    elif period.start is not None:
        counted = _system_rows(*scope(period, table))
        recent = _system_rows(*since(period.start, table))
    else:
        counted = recent = _system_rows(*scope(period, table))
    branches = union_all(
        select(table.system_name, table.events, NO_INSTANT.label("newest")).where(*counted),
        select(table.system_name, literal(0).label("events"), table.newest).where(*recent),
    ).subquery("system_rows")
    events = func.sum(branches.c.events)
    statement = (
        select(
            branches.c.system_name.label("system"),
            events.label("events"),
            func.max(branches.c.newest).label("newest"),
        )
        .group_by(branches.c.system_name)
        .having(events > 0)
        .order_by(branches.c.system_name)
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
    visited = [EventRollup.grain == YEAR] if tick_time is None else since(tick_time, EventRollup)
    visits = select(func.lower(EventRollup.system_name)).where(*_system_rows(VISITS, *visited))
    statement = (
        select(named.c.system, named.c.title)
        .where(func.lower(named.c.system).not_in(visits))
        .order_by(named.c.system, named.c.title)
    )
    titles: dict[str, list[str]] = defaultdict(list)
    for system, title in await session.execute(statement):
        titles[system].append(title)
    return [UnvisitedSystem(system, tuple(names)) for system, names in titles.items()]
