"""Who harmed which protected faction where, in a set of ticks or a time range."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.periods import Period
from bgs.protected.harm import HarmKind
from db.models import (
    ProtectedFaction,
    ProtectedHarm,
)


@dataclass(frozen=True, slots=True)
class HarmTotal:
    """One cmdr's harm of one kind to one protected faction in one system, over a period."""

    faction: str
    system_name: str | None
    cmdr: str | None
    kind: HarmKind
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class HarmSummary:
    """Harm in a period, for marking `/activity` and the post-tick summary."""

    rows: list[HarmTotal]

    def by_system(self) -> dict[tuple[str | None, str], list[HarmTotal]]:
        """(system, protected faction) → what was done to it there, by whom."""
        grouped: dict[tuple[str | None, str], list[HarmTotal]] = defaultdict(list)
        for row in self.rows:
            grouped[row.system_name, row.faction].append(row)
        return dict(grouped)

    def by_cmdr(self) -> dict[str | None, list[HarmTotal]]:
        """cmdr → the harm they did (to which faction, where)."""
        grouped: dict[str | None, list[HarmTotal]] = defaultdict(list)
        for row in self.rows:
            grouped[row.cmdr].append(row)
        return dict(grouped)


async def harm_summary(
    session: AsyncSession,
    *,
    tickids: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> HarmSummary:
    """Harm to protected factions in the given ticks and/or in [since, until) (one query).

    Rows are grouped by (faction, system, cmdr, kind) and sorted that way.
    """
    statement = (
        select(
            ProtectedFaction.name,
            ProtectedHarm.system_name,
            ProtectedHarm.cmdr,
            ProtectedHarm.kind,
            func.count(ProtectedHarm.id),
            func.coalesce(func.sum(ProtectedHarm.amount), 0),
        )
        .join(ProtectedFaction, ProtectedFaction.id == ProtectedHarm.protected_faction_id)
        .group_by(
            ProtectedFaction.name, ProtectedHarm.system_name, ProtectedHarm.cmdr, ProtectedHarm.kind
        )
        .order_by(
            ProtectedFaction.name, ProtectedHarm.system_name, ProtectedHarm.cmdr, ProtectedHarm.kind
        )
    )
    if tickids is not None:
        statement = statement.where(ProtectedHarm.tickid.in_(list(tickids)))
    if since is not None:
        statement = statement.where(ProtectedHarm.timestamp >= since)
    if until is not None:
        statement = statement.where(ProtectedHarm.timestamp < until)
    rows = await session.execute(statement)
    return HarmSummary(
        [
            HarmTotal(faction, system, cmdr, HarmKind(kind), count, int(amount))
            for faction, system, cmdr, kind, count, amount in rows
        ]
    )


async def harm_in(session: AsyncSession, period: Period) -> HarmSummary:
    """Harm to protected factions in a period (by tick id for tick periods)."""
    if period.by_tick:
        if period.tick is None:
            return HarmSummary([])
        return await harm_summary(session, tickids=[period.tick.tickid])
    return await harm_summary(session, since=period.start, until=period.end)
