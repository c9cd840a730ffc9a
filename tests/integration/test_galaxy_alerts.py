"""Galaxy alerts for several guilds (SQLite and PostgreSQL): each guild gets the alerts of its
own faction and its protected factions, written in the galaxy store's transaction (gone with
it when it rolls back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bgs import tenants
from bgs.galaxy.alerts import ALERT_KIND, GalaxyAlert, enqueue_alerts
from bgs.galaxy.snapshot import SystemChange, SystemSnapshot
from bgs.protected import add_protected
from db.database import Database
from db.models import OutboxEntry
from tests.helpers.galaxy import add_tick, faction, snapshot, store_in

TICK = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
FIRST, SECOND = 7001, 7002
ALPHA_FORCE, BETA_LEAGUE, GUARDS = "Alpha Force", "Beta League", "Guards"


def system(at: datetime, alpha: float, beta: float, guards: float) -> SystemSnapshot:
    return snapshot(
        42,
        "Shared System",
        at,
        [faction(ALPHA_FORCE, alpha), faction(BETA_LEAGUE, beta), faction(GUARDS, guards)],
        controlling=ALPHA_FORCE if alpha >= beta else BETA_LEAGUE,
    )


async def guilds(db: Database) -> None:
    for guild_id, name in ((FIRST, ALPHA_FORCE), (SECOND, BETA_LEAGUE)):
        await tenants.register(db, guild_id, f"guild {guild_id}")
        async with db.tenant_write(guild_id) as session:
            tenant = await tenants.get_tenant(session)
            assert tenant is not None
            tenants.set_faction(tenant, name)
    async with db.tenant_write(SECOND) as session:
        await add_protected(session, GUARDS, force=True, now=TICK)


async def alerts_of(db: Database, guild_id: int) -> list[tuple[str, str, str | None]]:
    async with db.tenant(guild_id) as session:
        rows = (
            (await session.execute(select(OutboxEntry).where(OutboxEntry.kind == ALERT_KIND)))
            .scalars()
            .all()
        )
    found = [GalaxyAlert.from_payload(row.payload) for row in rows]
    return sorted((alert.kind.value, alert.faction, alert.state) for alert in found)


async def test_two_guilds_each_get_their_own(database_url: str) -> None:
    db = Database(database_url)
    try:
        await guilds(db)
        await add_tick(db, TICK)
        before = system(TICK + timedelta(hours=1), 0.50, 0.30, 0.20)
        after = system(TICK + timedelta(hours=2), 0.42, 0.40, 0.04)
        async with db.unscoped_write() as session:
            await store_in(session, after, TICK)
            await enqueue_alerts(session, [SystemChange(before, after)], TICK, db=db)
        assert await alerts_of(db, FIRST) == [("lead", ALPHA_FORCE, None)]
        assert await alerts_of(db, SECOND) == [("retreat", GUARDS, None)]

        # A store that rolls back takes its alerts with it.
        later = system(TICK + timedelta(hours=3), 0.42, 0.40, 0.04)
        with pytest.raises(RuntimeError):
            async with db.unscoped_write() as session:
                retreat = snapshot(43, "Other", later.observed_at, [faction(BETA_LEAGUE, 0.02)])
                await enqueue_alerts(session, [SystemChange(None, retreat)], TICK, db=db)
                raise RuntimeError("the store failed")
        assert await alerts_of(db, SECOND) == [("retreat", GUARDS, None)]
    finally:
        await db.dispose()
