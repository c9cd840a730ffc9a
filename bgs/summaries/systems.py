"""Systems: where the squadron worked with the age of its data, and the objective systems nobody
visited since the tick."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.periods import Period
from db.models import (
    Event,
    Objective,
    ObjectiveTarget,
)

VISIT_EVENTS = ("FSDJump", "Location", "CarrierJump", "Docked")


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
    else:
        if period.end is not None:
            in_period = Event.timestamp < period.end
        if period.start is not None:
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
