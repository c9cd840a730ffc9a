"""Migrations: empty database to head on both dialects, schema equal to the models, cascades;
released revisions never change, and every later revision has a test that upgrades a database
holding data (`test_upgrade_to_<revision>`, see `tests.helpers.databases.migrate`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import column, delete, event, func, insert, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bgs import outbox, rollups, summaries, ticks
from bgs.ingest import replace_activity
from bgs.periods import Period, Tick, period_for
from bgs.summaries import CZCount
from db.database import Database, create_engine
from db.migrate import alembic_config, upgrade
from db.models import (
    Activity,
    ActivityFaction,
    ActivitySystem,
    Base,
    Event,
    MarketBuy,
    MissionCompleted,
    MissionInfluence,
    Objective,
    ObjectiveSettlement,
    ObjectiveTarget,
    PostLedger,
)
from tests.helpers import plugin_events, raw_summaries
from tests.helpers.databases import Postgres, migrate, postgres_admin
from tests.helpers.plugin_events import store

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TESTS = Path(__file__).resolve().parents[1]
# Released revisions, frozen: a schema change is a new revision, never an edit of one of these.
RELEASED = {
    "0001": "7e4e5efb17dc0f9f8ea16cbda7c50df92583da4133ccf2ddd0c1876022c69917",
    "0005_members": "a6944af36bb901c95c4f39b4fe8958a3c482728b0917267c2dda42ff3adf11e3",
    "0007_outbox": "79be03139a64e67972ce0274b2ff9dd4f31c8ad4daaecc6232699ccaff573860",
    "0008_first_week": "fe4f988253d268c643b2d12d37b755b2218b776537fe53c535629102f6d999ef",
}
GUILD = 42


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _migrated_schema_matches_models(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine())
        await upgrade(db.engine())  # a second run is a no-op
        async with db.engine().connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await db.dispose()


async def test_empty_sqlite_to_head(tmp_path: Path) -> None:
    await _migrated_schema_matches_models(f"sqlite+aiosqlite:///{tmp_path}/new/empty.db")


async def test_empty_postgres_to_head(postgres: Postgres) -> None:
    name = f"warden_empty_{id(postgres)}"
    await postgres.drop(name)
    await postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        await _migrated_schema_matches_models(postgres.url(name))
    finally:
        await postgres.drop(name)


async def _count(db: Database, model: type[Base]) -> int:
    async with db.unscoped() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_cascades_delete_children(db: Database) -> None:
    async with db.tenant_write(GUILD) as session:
        event = Event(event="MarketBuy", timestamp=NOW, content_hash="x", received_at=NOW, data={})
        session.add(event)
        await session.flush()
        base = {"event_id": event.id, "timestamp": NOW}
        session.add(MarketBuy(**base, count=1, buy_price=1, total_cost=1))
        session.add(MissionInfluence(**base, faction="F", influence=2))
        session.add(
            Objective(
                title="t",
                type="boost",
                starts_at=NOW,
                created_at=NOW,
                updated_at=NOW,
                targets=[
                    ObjectiveTarget(
                        type="ground_cz", settlements=[ObjectiveSettlement(name="Barnes")]
                    )
                ],
            )
        )
        session.add(
            Activity(
                cmdr="C",
                tickid="t1",
                timestamp=NOW,
                received_at=NOW,
                systems=[
                    ActivitySystem(
                        name="S", address=1, twkills={}, factions=[ActivityFaction(name="F")]
                    )
                ],
            )
        )
    for model in (MarketBuy, MissionInfluence, ObjectiveSettlement, ActivityFaction):
        assert await _count(db, model) == 1

    async with db.tenant_write(GUILD) as session:
        # Core deletes: the database's ON DELETE CASCADE does the work, not the ORM.
        await session.execute(delete(Event))
        await session.execute(delete(Objective))
        await session.execute(delete(Activity))
    for model in (
        MarketBuy,
        MissionInfluence,
        ObjectiveTarget,
        ObjectiveSettlement,
        ActivitySystem,
        ActivityFaction,
    ):
        assert await _count(db, model) == 0, model.__name__


def revisions() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def test_released_revisions_are_never_edited() -> None:
    script = revisions()
    for revision, digest in RELEASED.items():
        found = script.get_revision(revision)
        assert found is not None and found.path is not None, revision
        assert hashlib.sha256(Path(found.path).read_bytes()).hexdigest() == digest, (
            f"revision {revision} was edited: add a new revision instead"
        )


def test_every_later_revision_has_an_upgrade_test_with_data() -> None:
    tests = "\n".join(path.read_text(encoding="utf-8") for path in TESTS.rglob("test_*.py"))
    missing = [
        revision.revision
        for revision in revisions().walk_revisions()
        if revision.down_revision is not None
        and f"def test_upgrade_to_{revision.revision}(" not in tests
    ]
    assert missing == []


def previous(revision: str) -> str:
    """The revision `revision` upgrades from."""
    found = revisions().get_revision(revision)
    assert found is not None and isinstance(found.down_revision, str)
    return found.down_revision


async def test_upgrade_to_0007_outbox(empty_database_url: str) -> None:
    """Stored events and posts from before the outbox keep working after it."""
    await migrate(empty_database_url, previous("0007_outbox"))
    engine = create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:  # the columns of the revision before
            at = NOW.replace(tzinfo=None)
            await connection.execute(
                text(
                    "INSERT INTO events (guild_id, event, timestamp, content_hash, received_at,"
                    " data) VALUES (:guild, 'FSDJump', :at, 'x', :at, '{}')"
                ),
                {"guild": GUILD, "at": at},
            )
            await connection.execute(
                text(
                    "INSERT INTO post_ledger (guild_id, kind, key, claimed_at)"
                    " VALUES (:guild, 'conflict_change', 'k', :at)"
                ),
                {"guild": GUILD, "at": at},
            )
    finally:
        await engine.dispose()
    await migrate(empty_database_url)
    db = Database(empty_database_url)
    try:
        async with db.tenant_write(GUILD) as session:
            await outbox.enqueue(session, "conflict_change", "k2", {"a": 1}, NOW)
        (entry,) = await outbox.claim_due(db, [GUILD], NOW)
        assert entry.payload == {"a": 1}
        assert await _count(db, Event) == 1 and await _count(db, PostLedger) == 1
    finally:
        await db.dispose()


async def test_upgrade_to_0008_first_week(empty_database_url: str) -> None:
    """Tallies stored before the revision get their totals from their JSON counters, and the
    leaderboard ranks by them."""
    await migrate(empty_database_url, previous("0008_first_week"))
    db = Database(empty_database_url)
    try:
        async with db.engine().begin() as connection:
            await store_old_tallies(connection)
        await migrate(empty_database_url)
        async with db.tenant(GUILD) as session:
            totals = await session.execute(
                select(
                    Activity.cmdr,
                    Activity.thargoid_kills,
                    Activity.tw_rescue,
                    Activity.search_rescue,
                ).order_by(Activity.cmdr)
            )
            assert [tuple(row) for row in totals] == [
                ("Ann", 3, 1, 2),
                ("Bob", 0, 0, 0),
                ("Cara", 0, 0, 0),
            ]
            rows = await summaries.leaderboard(session, period_for("all", NOW, []), None)
        assert [(r.cmdr, r.thargoid_kills, r.tw_rescue, r.search_rescue) for r in rows] == [
            ("Ann", 3, 1, 2)
        ]
        async with db.tenant_write(GUILD) as session:  # a tally stored after it has them too
            await replace_activity(
                session,
                Activity(
                    cmdr="Bob",
                    tickid="zoy-2",
                    ticktime=NOW,
                    timestamp=NOW,
                    systems=[
                        ActivitySystem(name="Beta", address=2, twkills={"hydra": 1}, factions=[])
                    ],
                ),
            )
            stored = await session.execute(
                select(Activity.thargoid_kills).where(Activity.cmdr == "Bob")
            )
            assert sorted(stored.scalars()) == [0, 1]
    finally:
        await db.dispose()


async def test_upgrade_to_0010_guild_ticks(empty_database_url: str) -> None:
    """Galaxy ticks stored before the revision (one of them by an officer's old `/tick set`)
    stay every guild's ticks; afterwards an officer's tick is their own guild's alone."""
    await migrate(empty_database_url, previous("0010_guild_ticks"))
    db = Database(empty_database_url)
    naive = NOW.replace(tzinfo=None)
    try:
        async with db.engine().begin() as connection:
            for guild, name in ((GUILD, "Alpha Wing"), (GUILD + 1, "Beta Wing")):
                await connection.execute(
                    text(
                        "INSERT INTO guilds (guild_id, name, source, post_tick_delay_minutes,"
                        " daily_summary, cz_summaries, conflict_digest, conflict_digest_hours,"
                        " registered_at) VALUES (:guild, :name, 'discord', 15, :yes, :yes, :yes,"
                        " '0,6,12,18', :now)"
                    ),
                    {"guild": guild, "name": name, "yes": True, "now": naive},
                )
            for days, source in ((2, "zoy"), (1, "manual")):
                await connection.execute(
                    text(
                        "INSERT INTO galaxy_ticks (tick_time, source, seen_at)"
                        " VALUES (:tick, :source, :tick)"
                    ),
                    {"tick": naive - timedelta(days=days), "source": source},
                )
        await migrate(empty_database_url)

        galaxy = (await ticks.tick_status(db, NOW)).latest
        assert galaxy is not None
        assert (galaxy.tick_time, galaxy.source) == (NOW - timedelta(days=1), ticks.MANUAL)
        assert (await ticks.tick_status(db, NOW, GUILD)).latest == galaxy
        own = NOW - timedelta(hours=1)
        assert (await ticks.store_guild_tick(db, GUILD, own, 7, NOW)).new
        alpha = (await ticks.tick_status(db, NOW, GUILD)).latest
        assert alpha is not None and (alpha.tick_time, alpha.source) == (own, ticks.OFFICER)
        assert (await ticks.tick_status(db, NOW, GUILD + 1)).latest == galaxy
        assert (await ticks.tick_status(db, NOW)).latest == galaxy
    finally:
        await db.dispose()


async def store_old_tallies(connection: AsyncConnection) -> None:
    """Three tallies as revision 0001 stores them: Ann's with Thargoid kills and rescues (and
    an idle faction, its `sandr` JSON null), Bob's without any, Cara's without systems."""
    old_activities = table(
        "activities",
        *(column(name) for name in ("id", "guild_id", "cmdr", "tickid", "ticktime")),
        column("timestamp"),
        column("received_at"),
    )

    async def new_row(statement: Any) -> int:
        row_id: int = (await connection.execute(statement)).scalar_one()
        return row_id

    ann, bob, _ = [
        await new_row(
            insert(old_activities)
            .values(
                guild_id=GUILD,
                cmdr=cmdr,
                tickid="zoy-1",
                ticktime=NOW,
                timestamp=NOW,
                received_at=NOW,
            )
            .returning(old_activities.c.id)
        )
        for cmdr in ("Ann", "Bob", "Cara")
    ]
    systems = {}
    for activity_id, twkills, twsandr in (
        (ann, {"scout": 2, "cyclops": 1, "hydra": 0}, {"damagedpods": 1, "blackboxes": 0}),
        (bob, {}, None),
    ):
        systems[activity_id] = await new_row(
            insert(ActivitySystem)
            .values(
                guild_id=GUILD,
                activity_id=activity_id,
                name="Beta",
                address=2,
                twkills=twkills,
                twsandr=twsandr,
            )
            .returning(ActivitySystem.id)
        )
    for activity_id, sandr in (
        (ann, {"hostages": 2, "wreckagecomponents": 0}),
        (ann, None),
        (bob, None),
    ):
        await connection.execute(
            insert(ActivityFaction).values(
                guild_id=GUILD, system_id=systems[activity_id], name="Beta Union", sandr=sandr
            )
        )


async def store_old_events(connection: AsyncConnection) -> None:
    """Events as revision 0008 stores them, without rollups: Ann buys in Alpha in tick zoy-1,
    Bob completes a mission there for +2 ADF the next day (zoy-2), Ann jumps to Beta."""
    events = Event.__table__
    rows = [
        ("MarketBuy", "Ann", "Alpha", NOW, "zoy-1", MarketBuy, {"total_cost": 500, "count": 5}),
        ("MissionCompleted", "Bob", "Alpha", NOW + timedelta(days=1), "zoy-2", None, {}),
        ("FSDJump", "Ann", "Beta", NOW + timedelta(days=1, hours=2), "zoy-2", None, {}),
    ]
    for name, cmdr, system, when, tickid, child, values in rows:
        envelope = {"timestamp": when, "tickid": tickid, "cmdr": cmdr, "system_name": system}
        event_id = (
            await connection.execute(
                insert(events)
                .values(
                    guild_id=GUILD,
                    event=name,
                    ticktime=when - timedelta(hours=1),
                    content_hash=name,
                    received_at=when,
                    data={},
                    **envelope,
                )
                .returning(events.c.id)
            )
        ).scalar_one()
        if child is not None:
            row = {"guild_id": GUILD, "event_id": event_id, **envelope, **values}
            await connection.execute(insert(child).values(buy_price=100, **row))
        if name == "MissionCompleted":
            row = {"guild_id": GUILD, "event_id": event_id, **envelope}
            await connection.execute(insert(MissionCompleted).values(reward=1, **row))
            await connection.execute(
                insert(MissionInfluence).values(faction="ADF", influence=2, **row)
            )


async def test_upgrade_to_0011_rollups(empty_database_url: str) -> None:
    """Events and tallies stored before the revision get their rollups, and the summaries that
    read them answer as the raw rows do."""
    await migrate(empty_database_url, previous("0011_rollups"))
    db = Database(empty_database_url)
    try:
        async with db.engine().begin() as connection:
            await store_old_events(connection)
            await store_old_tallies(connection)
        await migrate(empty_database_url)
        everything = period_for("all", NOW, [])
        async with db.tenant(GUILD) as session:
            rows = await summaries.leaderboard(session, everything, "ADF")
            assert rows == await raw_summaries.leaderboard(session, everything, "ADF")
            assert [(r.cmdr, r.buy_volume, r.missions_completed, r.influence) for r in rows] == [
                ("Ann", 500, 0, 0),
                ("Bob", 0, 1, 2),
            ]
            tick = period_for("ct", NOW, [Tick("zoy-2", NOW + timedelta(hours=23))])
            systems = await summaries.systems_worked(session, tick, None)
            assert [(s.system, s.events) for s in systems] == [("Alpha", 1), ("Beta", 1)]
            assert systems == await raw_summaries.systems_worked(session, tick, None)
            found = await summaries.activity_per_cmdr(session, everything)
            assert found == await raw_summaries.activity_per_cmdr(session, everything)
            ann = await summaries.cmdr_activity(session, everything, "Ann")
            assert ann == await raw_summaries.cmdr_activity(session, everything, "Ann")
            war = await summaries.thargoid_war(session, everything)
            assert [(w.cmdr, w.counts.total_kills) for w in war] == [("Ann", 3)]
    finally:
        await db.dispose()


async def test_upgrade_to_0012_sums_index(empty_database_url: str) -> None:
    """CZs and influence stored and rolled up before the revision answer the same after it,
    and on SQLite their sums of `all` and `y` are sought and read in the new index alone."""
    await migrate(empty_database_url, previous("0012_sums_index"))
    db = Database(empty_database_url)
    day = NOW - timedelta(days=400)
    try:
        await store(
            db,
            GUILD,
            plugin_events.ground_cz(day, "ADF", "Fort Rock", "high", cmdr="Ann"),
            plugin_events.ground_cz(NOW, "ADF", "Fort Rock", cmdr="Bob"),
            plugin_events.ground_cz(NOW, "Pirates", "Barnes Enterprise", cmdr="Bob"),
            plugin_events.space_cz(NOW, "ADF", "medium", cmdr="Ann", system=plugin_events.BETA),
            plugin_events.influence(day, "ADF", "+++", cmdr="Ann"),
            plugin_events.influence(NOW, "Pirates", "++", cmdr="Bob"),
        )
        await rollups.current(db, GUILD)
        await migrate(empty_database_url)
        everything = period_for("all", NOW, [])
        async with db.tenant(GUILD) as session:
            ground = await summaries.ground_czs(session, everything)
            assert ground == await raw_summaries.ground_czs(session, everything)
            assert [(cz.system, cz.total) for cz in ground] == [
                (plugin_events.ALPHA, CZCount(2, 0, 1))
            ]
            assert [(total.name, total.count.total) for total in ground[0].settlements] == [
                ("Fort Rock", 2),
                ("Barnes Enterprise", 1),
            ]
            space = await summaries.space_czs(session, everything)
            assert space == await raw_summaries.space_czs(session, everything)
            assert [(cz.system, cz.total) for cz in space] == [
                (plugin_events.BETA, CZCount(medium=1))
            ]
            influence = await summaries.influence_by_faction(session, everything, limit=5)
            assert influence == await raw_summaries.influence_by_faction(
                session, everything, None, 5
            )
            assert [(row.cmdr, row.faction, row.influence) for row in influence] == [
                ("Ann", "ADF", 3),
                ("Bob", "Pirates", 2),
            ]
        if db.engine().dialect.name == "sqlite":
            seek = "SEARCH event_rollups USING COVERING INDEX ix_event_rollups_sums"
            for period, bounds in ((everything, ""), (period_for("y", NOW, []), " AND bucket")):
                for summary, searched in (
                    (summaries.ground_czs, 3),
                    (summaries.influence_by_faction, 1),
                ):
                    plan = await searches(db, summary, period)
                    assert len(plan) == searched, plan
                    assert all(
                        line.startswith(
                            f"{seek} (guild_id=? AND kind=? AND grain=? AND tickid=?{bounds}"
                        )
                        for line in plan
                    ), plan
    finally:
        await db.dispose()


async def searches(db: Database, summary: Any, period: Period) -> list[str]:
    """How SQLite finds the rows of the statement `summary` runs (EXPLAIN QUERY PLAN)."""
    executed: list[tuple[str, Any]] = []

    def remember(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        executed.append((statement, parameters))

    engine = db.engine().sync_engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        async with db.tenant(GUILD) as session:
            await summary(session, period)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    (statement, parameters), *_ = (item for item in executed if "FROM event_rollups" in item[0])
    async with db.engine().connect() as connection:
        plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [row.detail for row in plan if row.detail.startswith("SEARCH")]
