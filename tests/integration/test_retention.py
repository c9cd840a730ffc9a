"""Retention: raw events past a guild's limit are pruned, summaries of every period stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bgs import retention, summaries, tenants
from bgs.periods import period_for
from db import models
from db.database import Database
from tests.helpers.plugin_events import ADF, BETA, bounty, jump, store

A, B = 5101, 5102
NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
DAYS_AGO = [40, 10, 3, 0]


async def seed(db: Database, guild: int) -> None:
    await tenants.register(db, guild, f"guild {guild}")
    for days in DAYS_AGO:
        when = NOW - timedelta(days=days, hours=1)
        await store(db, guild, bounty(when, ADF, 10**days % 997 + 1), jump(when, BETA))


async def answers(db: Database, guild: int) -> list[object]:
    found: list[object] = []
    async with summaries.reading(db, guild) as session:
        for code in ("all", "lm", "cm", "cw", "cd"):
            period = period_for(code, NOW, [])
            found.append(await summaries.leaderboard(session, period, ADF))
            found.append(await summaries.systems_worked(session, period, None))
    return found


async def events(db: Database, guild: int) -> int:
    async with db.tenant(guild) as session:
        return (await session.execute(select(func.count(models.Event.id)))).scalar_one()


async def set_days(db: Database, guild: int, days: int | None) -> None:
    async with db.tenant_write(guild) as session:
        tenant = await tenants.get_tenant(session)
        assert tenant is not None
        retention.set_retention(tenant, days)


async def test_pruning_keeps_every_summary(db: Database) -> None:
    for guild in (A, B):
        await seed(db, guild)
    before = await answers(db, A)

    assert await retention.prune(db, 0, NOW) == {}  # off by default
    await set_days(db, A, 5)
    assert await retention.prune(db, 0, NOW) == {A: 4}  # 40 and 10 days ago, 2 events each
    assert (await events(db, A), await events(db, B)) == (4, 8)
    assert await answers(db, A) == before
    async with db.tenant(A) as session:
        stored = await retention.storage(session)
    assert stored.oldest_event == NOW - timedelta(days=3, hours=1)
    assert stored.size_bytes is not None and stored.size_bytes > 0


async def test_the_guilds_setting_wins_over_the_default(db: Database) -> None:
    for guild in (A, B):
        await seed(db, guild)
    await set_days(db, B, 0)  # keep everything, whatever the default
    assert await retention.prune(db, 1, NOW) == {A: 6}  # all but today's
    assert (await events(db, A), await events(db, B)) == (2, 8)
    assert await retention.prune(db, 1, NOW) == {A: 0}
