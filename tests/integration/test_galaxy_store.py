"""The galaxy tables from snapshots (EDDN samples and generated jumps), on SQLite and
PostgreSQL: the newest observation wins whatever the arrival order, duplicates and older reports
change nothing, factions and conflicts are replaced as a whole, and watched systems get one
influence row per faction and tick period."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bgs.galaxy.eddn import classify
from bgs.galaxy.snapshot import SystemChange, SystemSnapshot
from bgs.galaxy.store import (
    EDDN,
    MEMBER,
    apply_snapshots,
    conflict_snapshot,
    faction_snapshot,
    system_snapshot,
)
from bgs.galaxy.watched import Watched, WatchedCache, load_watched
from bgs.galaxy.writer import GalaxyWriter
from db.database import Database
from db.models import (
    GalaxyConflict,
    GalaxyFaction,
    GalaxyInfluence,
    GalaxySystem,
    GalaxyTick,
    ProtectedFaction,
    Tenant,
)
from tests.helpers.eddn import AFTER_SAMPLES, ALPHA, BETA, fsdjump, sample, sample_names

NOW = AFTER_SAMPLES
TICK_1 = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
TICK_2 = datetime(2026, 11, 27, 11, 5, tzinfo=UTC)
TICK_3 = datetime(2026, 11, 28, 10, 55, tzinfo=UTC)


def snapshots_of(*numbers: int) -> list[SystemSnapshot]:
    found = []
    for number in numbers:
        outcome = classify(sample(number), NOW)
        assert isinstance(outcome, SystemSnapshot), (number, outcome)
        found.append(outcome)
    return found


async def stored(db: Database, address: int) -> SystemSnapshot | None:
    async with db.unscoped() as session:
        row = (
            await session.execute(
                select(GalaxySystem.__table__).where(GalaxySystem.system_address == address)
            )
        ).first()
        if row is None:
            return None
        factions = (
            await session.execute(
                select(GalaxyFaction.__table__).where(GalaxyFaction.system_address == address)
            )
        ).all()
        conflicts = (
            await session.execute(
                select(GalaxyConflict.__table__).where(GalaxyConflict.system_address == address)
            )
        ).all()
    return system_snapshot(
        row, [faction_snapshot(f) for f in factions], [conflict_snapshot(c) for c in conflicts]
    )


async def store(
    db: Database,
    snapshots: list[SystemSnapshot],
    source: str = EDDN,
    watched: Watched | None = None,
) -> list[SystemChange]:
    async with db.unscoped_write() as session:
        return await apply_snapshots(session, snapshots, NOW, source, watched)


async def test_the_samples_replayed_in_order_leave_the_expected_end_state(db: Database) -> None:
    outcomes = [classify(sample(name), NOW) for name in sample_names()]
    reasons = [o for o in outcomes if isinstance(o, str)]
    assert reasons == ["other_schema", "other_event", "legacy", "test_schema", "invalid_factions"]
    changed = []
    for outcome in outcomes:
        if isinstance(outcome, SystemSnapshot):
            changed.append(len(await store(db, [outcome])))
    # 01 new, 02 newer (same content, another uploader), 04 new, 06 older, 07, 10, 12 newer.
    assert changed == [1, 1, 1, 0, 1, 1, 1]
    alpha, beta = await stored(db, ALPHA), await stored(db, BETA)
    assert alpha is not None and beta is not None
    (twelve,) = snapshots_of(12)
    (ten,) = snapshots_of(10)
    assert alpha.observed_at == twelve.observed_at
    assert sorted(alpha.factions, key=lambda f: f.name) == sorted(
        twelve.factions, key=lambda f: f.name
    )
    assert {(c.faction1, c.faction2, c.status) for c in alpha.conflicts} == {
        (c.faction1, c.faction2, c.status) for c in twelve.conflicts
    }
    assert beta.powerplay_reinforcement == ten.powerplay_reinforcement == 3870
    assert beta.powerplay_state == "Fortified"
    assert beta.factions[0].name == "Beta Union" and beta.factions[0].influence == 0.63


async def test_an_older_or_equal_report_changes_nothing_and_a_newer_one_says_what_it_replaced(
    db: Database,
) -> None:
    one, older, newer = snapshots_of(1, 6, 12)
    (change,) = await store(db, [one])
    assert change.before is None and change.after == one
    assert await store(db, [one]) == []  # a duplicate from another uploader
    assert await store(db, [older], MEMBER) == []  # an older report, whatever its source
    (change,) = await store(db, [newer, older, one])
    assert change.after == newer
    assert change.before is not None and change.before.observed_at == one.observed_at
    assert {f.name for f in change.before.factions} == {f.name for f in one.factions}
    assert (await stored(db, ALPHA)).observed_at == newer.observed_at  # type: ignore[union-attr]


async def test_a_retreated_faction_and_an_ended_conflict_disappear(db: Database) -> None:
    start = datetime(2026, 11, 26, 12, tzinfo=UTC)
    war = [
        {
            "WarType": "war",
            "Status": "active",
            "Faction1": {"Name": "A", "Stake": "Port", "WonDays": 1},
            "Faction2": {"Name": "B", "Stake": "", "WonDays": 0},
        }
    ]
    first = classify(fsdjump(7, start, {"A": 0.5, "B": 0.3, "C": 0.2}, conflicts=war), NOW)
    later = classify(fsdjump(7, start + timedelta(days=1), {"A": 0.6, "B": 0.4}), NOW)
    assert isinstance(first, SystemSnapshot) and isinstance(later, SystemSnapshot)
    await store(db, [first])
    await store(db, [later])
    async with db.unscoped() as session:
        factions = set((await session.execute(select(GalaxyFaction.faction))).scalars())
        conflicts = (
            await session.execute(select(func.count()).select_from(GalaxyConflict))
        ).scalar()
    assert factions == {"A", "B"} and conflicts == 0


async def test_watched_systems_get_one_influence_row_per_faction_and_tick(db: Database) -> None:
    async with db.unscoped_write() as session:
        session.add_all(
            GalaxyTick(tick_time=tick, source="zoy", seen_at=tick)
            for tick in (TICK_1, TICK_2, TICK_3)
        )
    watched = Watched(factions=frozenset({"Beta Union"}))
    day = TICK_2 + timedelta(hours=2)
    reports = [
        fsdjump(BETA, TICK_1 + timedelta(hours=1), {"Beta Union": 0.5, "Beta Corp": 0.5}),
        fsdjump(BETA, TICK_1 + timedelta(hours=3), {"Beta Union": 0.55, "Beta Corp": 0.45}),
        fsdjump(BETA, day, {"Beta Union": 0.6, "Beta Corp": 0.4}),
        fsdjump(BETA, TICK_3 + timedelta(hours=1), {"Beta Union": 0.7, "Beta Corp": 0.3}),
        fsdjump(ALPHA, day, {"Other": 1.0}),  # not watched: no history
    ]
    snapshots = [classify(r, NOW) for r in reports]
    assert all(isinstance(s, SystemSnapshot) for s in snapshots)
    # Out of order and repeated: the period's last observation wins all the same.
    await store(db, [snapshots[3], snapshots[1]], watched=watched)  # type: ignore[list-item]
    await store(db, [snapshots[0], snapshots[2], snapshots[4], snapshots[1]], watched=watched)  # type: ignore[list-item]
    async with db.unscoped() as session:
        rows = (
            await session.execute(
                select(
                    GalaxyInfluence.faction, GalaxyInfluence.tick_at, GalaxyInfluence.influence
                ).order_by(GalaxyInfluence.tick_at, GalaxyInfluence.faction)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("Beta Corp", TICK_1, 0.45),
        ("Beta Union", TICK_1, 0.55),
        ("Beta Corp", TICK_2, 0.4),
        ("Beta Union", TICK_2, 0.6),
        ("Beta Corp", TICK_3, 0.3),
        ("Beta Union", TICK_3, 0.7),
    ]


async def test_the_watched_set_reads_every_tenant(db: Database) -> None:
    guild = 77
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with db.tenant_write(guild) as session:
        session.add(Tenant(name="W", faction="Our Faction", source="discord", registered_at=now))
        session.add(ProtectedFaction(name="Friends", created_at=now))
    watched = await load_watched(db, now)
    assert {"Our Faction", "Friends"} <= watched.factions
    writer = GalaxyWriter(db, watched=WatchedCache(db))
    snapshot = classify(fsdjump(5, now - timedelta(hours=1), {"Friends": 0.6, "X": 0.4}), now)
    assert isinstance(snapshot, SystemSnapshot)
    seen = []

    async def on_changes(session, changes, at):  # type: ignore[no-untyped-def]
        seen.append((session.in_transaction(), [c.after.system_address for c in changes], at))

    writer.on_changes = on_changes
    await writer.store([snapshot], EDDN, now)
    await writer.store([snapshot], EDDN, now)  # unchanged: no call
    assert seen == [(True, [5], now)]
    async with db.unscoped() as session:
        assert (
            await session.execute(select(func.count()).select_from(GalaxyInfluence))
        ).scalar() == 2


async def test_a_newer_report_of_the_same_state_only_moves_the_times(db: Database) -> None:
    one, two = snapshots_of(1, 2)  # the same BGS content, from two uploaders 30 minutes apart
    await store(db, [one])
    (change,) = await store(db, [two])
    assert change.after == two and change.before is not None
    assert change.before.observed_at == one.observed_at
    assert dataclasses.replace(change.before, observed_at=two.observed_at) == two
    async with db.unscoped() as session:
        times = set((await session.execute(select(GalaxyFaction.observed_at))).scalars())
    assert times == {two.observed_at}
    assert (await stored(db, ALPHA)).observed_at == two.observed_at  # type: ignore[union-attr]
