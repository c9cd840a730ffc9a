"""What officers and members read about cmdrs: one cmdr's card (`/cmdr show`: the Inara profile
with its age, the linked member, the all-time totals) and the recruits report (`/recruits`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.members.links import Link, link_of, members_of
from bgs.members.profiles import RANK_COLUMNS
from bgs.periods import period_for
from bgs.summaries import CmdrMetrics, leaderboard
from db.models import Cmdr, Tenant

RANK_LABELS = {
    "combat": "Combat",
    "trade": "Trade",
    "exploration": "Exploration",
    "cqc": "CQC",
    "empire": "Empire",
    "federation": "Federation",
}


@dataclass(frozen=True, slots=True)
class CmdrCard:
    """A cmdr as `/cmdr show` shows it."""

    name: str
    first_seen: datetime
    last_seen: datetime
    ranks: list[tuple[str, str]]  # (label, rank name) of the ranks known
    power: str | None
    squadron: str | None
    squadron_rank: str | None
    inara_url: str | None
    inara_status: str | None
    inara_reason: str | None
    inara_checked_at: datetime | None
    inara_fetched_at: datetime | None
    link: Link | None
    totals: CmdrMetrics | None  # all time; None when the cmdr has no metric at all


async def cmdr_card(
    session: AsyncSession, name: str, faction: str | None, now: datetime
) -> CmdrCard:
    """The card of a cmdr of the guild's data (`name` as stored)."""
    row = (await session.execute(select(Cmdr).where(Cmdr.name == name))).scalar_one()
    totals = await leaderboard(session, period_for("all", now, []), faction, cmdr=name)
    ranks = [
        (RANK_LABELS[kind], rank)
        for kind, column in RANK_COLUMNS.items()
        if (rank := getattr(row, column)) is not None
    ]
    return CmdrCard(
        name=row.name,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        ranks=ranks,
        power=row.rank_power,
        squadron=row.squadron_name,
        squadron_rank=row.squadron_rank,
        inara_url=row.inara_url,
        inara_status=row.inara_status,
        inara_reason=row.inara_reason,
        inara_checked_at=row.inara_checked_at,
        inara_fetched_at=row.inara_fetched_at,
        link=await link_of(session, name),
        totals=totals[0] if totals else None,
    )


@dataclass(frozen=True, slots=True)
class Recruit:
    """A recruit (by Inara squadron rank) or a newly seen cmdr, with their all-time totals."""

    cmdr: str
    member: str | None
    squadron_rank: str | None
    by_rank: bool
    first_seen: datetime
    days: int  # whole days since first seen
    last_seen: datetime
    totals: CmdrMetrics | None


async def recruits(session: AsyncSession, tenant: Tenant, now: datetime) -> list[Recruit]:
    """Cmdrs whose Inara squadron rank is the guild's recruit rank (any case), or who were
    first seen in the guild's last `recruit_days` days; newest first."""
    rank = tenant.recruit_rank.strip().lower()
    rows = list(
        (
            await session.execute(
                select(Cmdr)
                .where(
                    or_(
                        func.lower(Cmdr.squadron_rank) == rank,
                        Cmdr.first_seen >= now - timedelta(days=tenant.recruit_days),
                    )
                )
                .order_by(Cmdr.first_seen.desc(), Cmdr.name)
            )
        ).scalars()
    )
    if not rows:
        return []
    names = {row.name for row in rows}
    metrics = await leaderboard(session, period_for("all", now, []), tenant.faction)
    totals = {row.cmdr: row for row in metrics if row.cmdr in names}
    members = await members_of(session, names)
    return [
        Recruit(
            cmdr=row.name,
            member=members.get(row.name),
            squadron_rank=row.squadron_rank,
            by_rank=(row.squadron_rank or "").lower() == rank,
            first_seen=row.first_seen,
            days=max(0, (now - row.first_seen).days),
            last_seen=row.last_seen,
            totals=totals.get(row.name),
        )
        for row in rows
    ]
