"""Revision 0005_members upgrades a database holding data: existing keys become squadron keys
and keep working, guilds get the members settings' defaults, cmdrs keep their rows; and the
new tables take personal keys and links at once (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from bgs import apikeys, members, tenants
from db.database import Database, create_engine
from db.migrate import alembic_config
from db.models import Cmdr, CmdrLink
from tests.helpers.databases import migrate

REVISION = "0005_members"
GUILD = 4242
KEY = "OldSquadronKey0123456789abcdefXYZ"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def store_before(url: str) -> None:
    """Data as the revision before this one stores it (its own columns only)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO guilds (guild_id, name, faction, source, post_tick_delay_minutes,"
                    " daily_summary, cz_summaries, conflict_digest, conflict_digest_hours,"
                    " registered_at) VALUES (:guild, 'Alpha Wing', 'Alpha Defence Force',"
                    " 'discord', 15, :yes, :yes, :yes, '0,6,12,18', :now)"
                ),
                {"guild": GUILD, "yes": True, "now": NOW.replace(tzinfo=None)},
            )
            await connection.execute(
                text(
                    "INSERT INTO api_keys (guild_id, key_hash, label, created_by, created_at)"
                    " VALUES (:guild, :hash, 'Wing One', 'officer', :now)"
                ),
                {"guild": GUILD, "hash": apikeys.hash_key(KEY), "now": NOW.replace(tzinfo=None)},
            )
            await connection.execute(
                text(
                    "INSERT INTO cmdrs (guild_id, name, first_seen, last_seen, squadron_rank)"
                    " VALUES (:guild, 'Ann', :now, :now, 'Recruit')"
                ),
                {"guild": GUILD, "now": NOW.replace(tzinfo=None)},
            )
    finally:
        await engine.dispose()


async def test_upgrade_to_0005_members(empty_database_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    before = script.get_revision(REVISION).down_revision
    assert isinstance(before, str)
    await migrate(empty_database_url, before)
    await store_before(empty_database_url)

    await migrate(empty_database_url)

    await check_upgraded(empty_database_url)


async def check_upgraded(url: str) -> None:
    db = Database(url)
    try:
        async with db.unscoped() as session:
            owner = await apikeys.find_owner(session, KEY)
        assert owner is not None and owner.guild_id == GUILD
        assert owner.owner_id is None and owner.personal_keys_only is False  # a squadron key
        async with db.tenant(GUILD) as session:
            guild = await tenants.get_tenant(session)
            assert guild is not None
            assert (
                guild.personal_keys_only,
                guild.cmdrs_per_key,
                guild.recruit_rank,
                guild.recruit_days,
                guild.inara_api_key,
                guild.channel_recruits,
            ) == (False, 3, "Recruit", 14, None, None)
            (view,) = await members.key_views(session)
            assert (view.info.label, view.personal, view.cmdrs) == ("Wing One", False, [])
            ann = (await session.execute(select(Cmdr))).scalar_one()
            assert (ann.name, ann.squadron_rank, ann.inara_status) == ("Ann", "Recruit", None)
            found = await members.recruits(session, guild, NOW)
            assert [recruit.cmdr for recruit in found] == ["Ann"]

        # the new tables work with the old data: a personal key links the existing cmdr
        async with db.tenant_write(GUILD) as session:
            made = await members.connect(session, 77, "Ann Smith", "tests", NOW)
        async with db.unscoped() as session:
            personal = await apikeys.find_owner(session, made.key)
        assert personal is not None and personal.owner_id == 77
        await members.CmdrGate(db).allow(personal, ["Ann"], NOW)
        async with db.tenant(GUILD) as session:
            link = (await session.execute(select(CmdrLink))).scalar_one()
        assert (link.cmdr, link.user_id, link.status) == ("Ann", 77, "linked")
    finally:
        await db.dispose()
