"""Revision 0009_galaxy upgrades a database holding data: the galaxy ticks and a guild's
conflicts stay, and the new galaxy tables take a system with its factions and conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from db.database import Database
from db.migrate import alembic_config
from db.models import ConflictState, GalaxyConflict, GalaxyFaction, GalaxySystem, GalaxyTick
from tests.helpers.databases import migrate

REVISION = "0009_galaxy"
GUILD = 4242
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_upgrade_to_0009_galaxy(empty_database_url: str) -> None:
    before = ScriptDirectory.from_config(alembic_config()).get_revision(REVISION).down_revision
    assert isinstance(before, str)
    await migrate(empty_database_url, before)
    db = Database(empty_database_url)
    try:
        async with db.engine().begin() as connection:
            at = NOW.replace(tzinfo=None)
            await connection.execute(
                text(
                    "INSERT INTO galaxy_ticks (tick_time, source, seen_at) VALUES (:at, 'zoy', :at)"
                ),
                {"at": at},
            )
            await connection.execute(
                text(
                    "INSERT INTO conflict_states (guild_id, system_name, faction1, faction2,"
                    " war_type, status, won_days1, won_days2, first_seen, last_seen)"
                    " VALUES (:guild, 'Alpha', 'A', 'B', 'war', 'active', 1, 0, :at, :at)"
                ),
                {"guild": GUILD, "at": at},
            )
        await migrate(empty_database_url)
        async with db.tenant(GUILD) as session:
            assert await session.scalar(select(func.count()).select_from(ConflictState)) == 1
        async with db.unscoped_write() as session:
            session.add(
                GalaxySystem(
                    system_address=2**63 - 1,
                    name="Alpha",
                    controlling_faction="A",
                    observed_at=NOW,
                    received_at=NOW,
                    source="eddn",
                )
            )
            session.add_all(
                GalaxyFaction(
                    system_address=2**63 - 1,
                    faction=name,
                    influence=influence,
                    active_states=["War"],
                    pending_states=[],
                    recovering_states=[],
                    observed_at=NOW,
                )
                for name, influence in (("A", 0.6), ("B", 0.4))
            )
            session.add(
                GalaxyConflict(
                    system_address=2**63 - 1,
                    faction1="A",
                    faction2="B",
                    war_type="war",
                    status="active",
                    won_days1=1,
                    won_days2=0,
                    observed_at=NOW,
                )
            )
        async with db.unscoped() as session:
            assert await session.scalar(select(func.count()).select_from(GalaxyTick)) == 1
            factions = await session.execute(
                select(GalaxyFaction.faction, GalaxyFaction.influence).order_by(
                    GalaxyFaction.influence.desc()
                )
            )
            assert [tuple(row) for row in factions] == [("A", 0.6), ("B", 0.4)]
            system = await session.get(GalaxySystem, 2**63 - 1)
            assert system is not None and system.controlling_faction == "A"
    finally:
        await db.dispose()
