"""Revision 0009_galaxy on a database holding a guild: the guild keeps its settings and gets the
galaxy-alert defaults (lead 5, drop 3, retreat 5 points; pending, conflicts and the summary on);
the name indexes of the galaxy tables answer prefix look-ups."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import text

from bgs import tenants
from bgs.galaxy.find import system_names
from db.database import Database
from db.migrate import alembic_config
from tests.helpers.databases import migrate
from tests.helpers.galaxy import faction, snapshot, store

REVISION = "0009_galaxy"
GUILD = 4343
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_upgrade_to_0009_gives_guilds_the_alert_defaults(empty_database_url: str) -> None:
    before = ScriptDirectory.from_config(alembic_config()).get_revision(REVISION).down_revision
    assert isinstance(before, str)
    await migrate(empty_database_url, before)
    db = Database(empty_database_url)
    try:
        async with db.engine().begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO guilds (guild_id, name, faction, source, post_tick_delay_minutes,"
                    " daily_summary, cz_summaries, conflict_digest, conflict_digest_hours,"
                    " registered_at) VALUES (:guild, 'Alpha Wing', 'Alpha Defence Force',"
                    " 'discord', 20, :yes, :yes, :yes, '0,12', :now)"
                ),
                {"guild": GUILD, "yes": True, "now": NOW.replace(tzinfo=None)},
            )
        await migrate(empty_database_url)
        async with db.tenant(GUILD) as session:
            guild = await tenants.get_tenant(session)
        assert guild is not None
        assert (guild.faction, guild.post_tick_delay_minutes) == ("Alpha Defence Force", 20)
        assert tenants.galaxy_alert_lines(guild) == [
            "lead over the runner-up: under 5 points",
            "influence drop since the last tick: over 3 points",
            "retreat risk: under 5 %",
            "pending expansion, retreat, war, civil war, election: on",
            "conflicts seen on EDDN: on",
            "influence in the post-tick summary: on",
        ]
        systems = [
            snapshot(index, name, NOW, [faction("A", 1.0)])
            for index, name in enumerate(("Col 285 Sector AB-C", "COL 359", "Cola", "Dalo"), 1)
        ]
        await store(db, systems, None)
        async with db.unscoped() as session:
            assert await system_names(session, "col ") == ["COL 359", "Col 285 Sector AB-C"]
            assert await system_names(session, "cOl", limit=2) == ["COL 359", "Col 285 Sector AB-C"]
            assert await system_names(session, "%") == []
    finally:
        await db.dispose()
