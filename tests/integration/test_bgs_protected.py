"""Protected factions: the list, harm detection at ingest, alert content and summaries.

Events are built like the plugin's real ones (`samples/bgstally/02-events-batch-*.json`) and go
through `parse_envelope` and `store_events`, as the listener stores them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from bgs.events import parse_envelope
from bgs.ingest import IngestResult
from bgs.protected import (
    AlertRef,
    DuplicateProtectedError,
    HarmKind,
    KindTotal,
    NotProtectedError,
    ProtectedError,
    ProtectedInfo,
    UnknownFactionError,
    add_protected,
    alert_key,
    detect_harm,
    edit_protected,
    faction_choices,
    get_protected,
    harm_alert,
    harm_summary,
    list_protected,
    on_events_stored,
    remove_protected,
)
from db.database import Database
from db.models import ConflictState, KnownFaction, ProtectedFaction, ProtectedHarm
from tests.helpers.plugin_events import store_envelopes

GUILD, OTHER = 1001, 2002
TICK1 = "zoy-7aa3e8fcc79b08a08a58"
TICK2 = "zoy-0123456789abcdef0123"
ALPHA, ALPHA_ADDRESS = "Test System Alpha", 1000001
BETA, BETA_ADDRESS = "Test System Beta", 1000002
CMDR = "Test Cmdr"
SINCE = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

ADF = "Alpha Defence Force"
PIRATES = "Alpha Pirates"
TRADERS = "Alpha Traders"


# --------------------------------------------------------------------------------------------
# Event builders (shaped like the plugin's events)
# --------------------------------------------------------------------------------------------


def journal(
    name: str,
    *,
    at: str = "2026-11-26T13:10:00Z",
    cmdr: str = CMDR,
    tickid: str = TICK1,
    system: str = ALPHA,
    address: int = ALPHA_ADDRESS,
    station_faction: str = "",
    **fields: Any,
) -> dict[str, Any]:
    return {
        "event": name,
        **fields,
        "timestamp": at,
        "cmdr": cmdr,
        "tickid": tickid,
        "ticktime": "2026-11-26T11:00:00Z",
        "StationFaction": {"Name": station_faction},
        "StarSystem": system,
        "SystemAddress": str(address),
    }


def effect(
    faction: str, influence: str = "+", trend: str = "UpGood", address: int = ALPHA_ADDRESS
) -> dict[str, Any]:
    return {
        "Faction": faction,
        "Effects": [],
        "Influence": [{"SystemAddress": address, "Trend": trend, "Influence": influence}],
        "ReputationTrend": "UpGood",
        "Reputation": "+",
    }


def mission_completed(
    faction: str, *effects: dict[str, Any], title: str = "Deliver 10 units of Gold", **kw: Any
) -> dict[str, Any]:
    return journal(
        "MissionCompleted",
        Faction=faction,
        Name="Mission_Delivery_name",
        LocalisedName=title,
        MissionID=9001,
        Reward=100000,
        FactionEffects=list(effects),
        station_faction=faction,
        **kw,
    )


def mission_failed(giver: str, fine: int = 50000, **kw: Any) -> dict[str, Any]:
    # The journal names no faction; the plugin puts the mission giver in StationFaction.
    return journal(
        "MissionFailed",
        Name="Mission_Massacre_Conflict_War_name",
        LocalisedName="Kill Alpha Pirates ships",
        MissionID=9002,
        Fine=fine,
        station_faction=giver,
        **kw,
    )


def kill_bond(victim: str, awarding: str = ADF, reward: int = 80000, **kw: Any) -> dict[str, Any]:
    return journal(
        "FactionKillBond", Reward=reward, AwardingFaction=awarding, VictimFaction=victim, **kw
    )


def crime(faction: str, kind: str = "murder", bounty: int = 10000, **kw: Any) -> dict[str, Any]:
    return journal(
        "CommitCrime", CrimeType=kind, Faction=faction, Victim="Bob Pirate", Bounty=bounty, **kw
    )


def combat_bonds(faction: str, amount: int, **kw: Any) -> dict[str, Any]:
    return journal("RedeemVoucher", Type="CombatBond", Amount=amount, Faction=faction, **kw)


def space_cz(faction: str, **sizes: int) -> dict[str, Any]:
    return journal("SyntheticCZ", Faction=faction, **sizes)


def ground_cz(faction: str, settlement: str, **sizes: int) -> dict[str, Any]:
    return journal("SyntheticGroundCZ", Faction=faction, settlement=settlement, **sizes)


def cz_objective(faction: str | dict[str, Any], kind: str) -> dict[str, Any]:
    return journal("SyntheticCZObjective", Faction=faction, type=kind, count=1)


def fsd_jump(system: str, address: int) -> dict[str, Any]:
    return journal("FSDJump", system=system, address=address, StarPos=[1.0, 2.0, 3.0])


# --------------------------------------------------------------------------------------------
# Database helpers
# --------------------------------------------------------------------------------------------


async def store(db: Database, guild: int, *events: dict[str, Any]) -> IngestResult:
    async with db.tenant_write(guild) as session:
        envelopes = [parse_envelope(index, item) for index, item in enumerate(events)]
        return await store_envelopes(session, envelopes)


async def ingest(db: Database, guild: int, *events: dict[str, Any]) -> list[AlertRef]:
    """What the listener does: store the batch, then run the ingest hook."""
    return await on_events_stored(db, guild, (await store(db, guild, *events)).stored)


async def protect(
    db: Database, name: str, guild: int = GUILD, since: datetime = SINCE, **kw: Any
) -> ProtectedInfo:
    async with db.tenant_write(guild) as session:
        return await add_protected(session, name, force=True, now=since, **kw)


async def conflict(
    db: Database,
    faction1: str,
    faction2: str,
    *,
    status: str = "active",
    system: str = ALPHA,
    address: int | None = ALPHA_ADDRESS,
    guild: int = GUILD,
) -> None:
    async with db.tenant_write(guild) as session:
        session.add(
            ConflictState(
                system_name=system,
                system_address=address,
                faction1=faction1,
                faction2=faction2,
                war_type="war",
                status=status,
                first_seen=SINCE,
                last_seen=SINCE,
            )
        )


async def know(db: Database, *names: str, guild: int = GUILD) -> None:
    async with db.tenant_write(guild) as session:
        session.add_all(KnownFaction(name=name, last_seen=SINCE) for name in names)


Harm = tuple[Any, ...]  # (faction, kind, amount, system, cmdr, tickid, detail)


async def harms(db: Database, guild: int = GUILD) -> list[Harm]:
    """(faction, kind, amount, system, cmdr, tickid, detail) of every stored harm, in order."""
    async with db.tenant(guild) as session:
        rows = await session.execute(
            select(
                ProtectedFaction.name,
                ProtectedHarm.kind,
                ProtectedHarm.amount,
                ProtectedHarm.system_name,
                ProtectedHarm.cmdr,
                ProtectedHarm.tickid,
                ProtectedHarm.detail,
            )
            .join(ProtectedFaction, ProtectedFaction.id == ProtectedHarm.protected_faction_id)
            .order_by(ProtectedHarm.event_id, ProtectedFaction.name, ProtectedHarm.kind)
        )
        return [tuple(row) for row in rows]


async def count_all_harms(db: Database) -> int:
    async with db.unscoped() as session:
        return (await session.execute(select(func.count(ProtectedHarm.id)))).scalar_one()


# --------------------------------------------------------------------------------------------
# Harm kinds
# --------------------------------------------------------------------------------------------


async def test_negative_influence_on_a_protected_faction(db: Database) -> None:
    await protect(db, TRADERS)
    alerts = await ingest(
        db,
        GUILD,
        mission_completed(ADF, effect(ADF, "+++"), effect(TRADERS, "++", "DownBad")),
    )
    assert await harms(db) == [
        (
            TRADERS,
            "negative_influence",
            -2,
            ALPHA,
            CMDR,
            TICK1,
            "−2 INF from mission “Deliver 10 units of Gold”",
        )
    ]
    assert [a.key for a in alerts] == [alert_key(alerts[0].protected_faction_id, CMDR, TICK1)]


async def test_negative_influence_names_the_system_where_it_lands(db: Database) -> None:
    await protect(db, TRADERS)
    await store(db, GUILD, fsd_jump(BETA, BETA_ADDRESS))
    await ingest(
        db,
        GUILD,
        mission_completed(
            ADF, effect(ADF, "+"), effect(TRADERS, "+", "DownBad", address=BETA_ADDRESS)
        ),
    )
    assert [(kind, amount, system) for _, kind, amount, system, *_ in await harms(db)] == [
        ("negative_influence", -1, BETA)
    ]


async def test_direct_harm_kinds(db: Database) -> None:
    await protect(db, ADF)
    await protect(db, TRADERS)
    await ingest(
        db,
        GUILD,
        crime(ADF, "murder", 10000, at="2026-11-26T13:10:01Z"),
        crime(TRADERS, "onFoot_murder", 5000, at="2026-11-26T13:10:02Z"),
        crime(ADF, "assault", 400, at="2026-11-26T13:10:03Z"),
        mission_failed(ADF, at="2026-11-26T13:10:04Z"),
        mission_failed(TRADERS, fine=0, at="2026-11-26T13:10:05Z"),
        kill_bond(ADF, awarding=PIRATES, reward=30000, at="2026-11-26T13:10:06Z"),
        kill_bond(PIRATES, at="2026-11-26T13:10:07Z"),
    )
    assert await harms(db) == [
        (ADF, "murder", 10000, ALPHA, CMDR, TICK1, "murdered a ship (bounty 10,000 CR)"),
        (
            TRADERS,
            "murder",
            5000,
            ALPHA,
            CMDR,
            TICK1,
            "murdered someone on foot (bounty 5,000 CR)",
        ),
        (
            ADF,
            "mission_failed",
            50000,
            ALPHA,
            CMDR,
            TICK1,
            "failed mission “Kill Alpha Pirates ships” (fine 50,000 CR)",
        ),
        (
            TRADERS,
            "mission_failed",
            0,
            ALPHA,
            CMDR,
            TICK1,
            "failed mission “Kill Alpha Pirates ships”",
        ),
        (
            ADF,
            "kill_bond",
            30000,
            ALPHA,
            CMDR,
            TICK1,
            "killed a ship in a conflict zone (bond 30,000 CR from Alpha Pirates)",
        ),
    ]


CAPSHIP_FACTION = {"Faction": ADF, "FactionState": "War", "Influence": 0.45, "Opponent": PIRATES}


def opponent_batch() -> list[dict[str, Any]]:
    """Work for Alpha Defence Force, at war with the protected Alpha Pirates in Alpha."""
    return [
        mission_completed(ADF, effect(ADF, "+++"), effect(TRADERS, "+"), title="Kill pirates"),
        space_cz(ADF, high=1),
        ground_cz(ADF, "Barnes Enterprise", low=1),
        ground_cz(ADF, "Barnes Enterprise", medium=1, low=-1),  # re-classified: same CZ
        space_cz(ADF, low=-1),  # a manual correction
        cz_objective(ADF, "SpecOps"),
        cz_objective(CAPSHIP_FACTION, "CapShip"),
        combat_bonds(ADF, 500000),
        combat_bonds(TRADERS, 1000),
        journal("RedeemVoucher", Type="bounty", Amount=250000, Factions=[{"Faction": ADF}]),
    ]


OPPONENT_HARMS: list[Harm] = [
    (
        PIRATES,
        "opponent_mission",
        3,
        ALPHA,
        CMDR,
        TICK1,
        "completed mission “Kill pirates” for Alpha Defence Force (+3 INF)",
    ),
    (PIRATES, "opponent_space_cz", 1, ALPHA, CMDR, TICK1, f"fought a high space CZ for {ADF}"),
    (
        PIRATES,
        "opponent_ground_cz",
        1,
        ALPHA,
        CMDR,
        TICK1,
        f"fought a low ground CZ at Barnes Enterprise for {ADF}",
    ),
    (
        PIRATES,
        "opponent_cz_objective",
        1,
        ALPHA,
        CMDR,
        TICK1,
        f"completed a SpecOps space-CZ objective for {ADF}",
    ),
    (
        PIRATES,
        "opponent_cz_objective",
        1,
        ALPHA,
        CMDR,
        TICK1,
        f"completed a CapShip space-CZ objective for {ADF}",
    ),
    (
        PIRATES,
        "opponent_combat_bonds",
        500000,
        ALPHA,
        CMDR,
        TICK1,
        f"handed in 500,000 CR of combat bonds for {ADF}",
    ),
]


@pytest.mark.parametrize("sides", [(ADF, PIRATES), (PIRATES, ADF)])
async def test_work_for_the_opponent_in_an_active_conflict(
    db: Database, sides: tuple[str, str]
) -> None:
    await protect(db, PIRATES)
    await conflict(db, *sides)
    await ingest(db, GUILD, *opponent_batch())
    assert await harms(db) == OPPONENT_HARMS


@pytest.mark.parametrize(
    ("status", "system", "address"),
    [("pending", ALPHA, ALPHA_ADDRESS), ("ended", ALPHA, ALPHA_ADDRESS), ("active", BETA, None)],
)
async def test_no_opponent_harm_outside_an_active_conflict_there(
    db: Database, status: str, system: str, address: int | None
) -> None:
    await protect(db, PIRATES)
    await conflict(db, ADF, PIRATES, status=status, system=system, address=address)
    await conflict(db, ADF, TRADERS)  # an active conflict, but not of a protected faction
    assert await ingest(db, GUILD, *opponent_batch()) == []
    assert await harms(db) == []


async def test_conflict_matched_by_address_when_names_differ(db: Database) -> None:
    await protect(db, PIRATES)
    await conflict(db, ADF, PIRATES, system="Old Alpha Name")
    await ingest(db, GUILD, space_cz(ADF, medium=2, high=1))
    assert await harms(db) == [
        (
            PIRATES,
            "opponent_space_cz",
            3,
            "Old Alpha Name",
            CMDR,
            TICK1,
            f"fought 3 space CZs (2 medium, 1 high) for {ADF}",
        )
    ]


async def test_mission_counts_where_its_influence_lands(db: Database) -> None:
    await protect(db, PIRATES)
    await conflict(db, ADF, PIRATES)
    handed_in_beta = {"system": BETA, "address": BETA_ADDRESS}
    await ingest(
        db,
        GUILD,
        mission_completed(ADF, effect(ADF, "++", address=ALPHA_ADDRESS), **handed_in_beta),
        mission_completed(ADF, effect(ADF, "++", address=BETA_ADDRESS), title="Elsewhere"),
        mission_completed(ADF, title="No effects"),  # handed in at Alpha, reports no effect
    )
    assert await harms(db) == [
        (
            PIRATES,
            "opponent_mission",
            2,
            ALPHA,
            CMDR,
            TICK1,
            f"completed mission “Deliver 10 units of Gold” for {ADF} (+2 INF)",
        ),
        (
            PIRATES,
            "opponent_mission",
            0,
            ALPHA,
            CMDR,
            TICK1,
            f"completed mission “No effects” for {ADF}",
        ),
    ]


async def test_two_protected_factions_harmed_by_one_event(db: Database) -> None:
    await protect(db, PIRATES)
    await protect(db, TRADERS)
    await conflict(db, ADF, PIRATES)
    await ingest(db, GUILD, mission_completed(ADF, effect(ADF, "+"), effect(TRADERS, "+", "Down")))
    assert [(faction, kind, amount) for faction, kind, amount, *_ in await harms(db)] == [
        (PIRATES, "opponent_mission", 1),
        (TRADERS, "negative_influence", -1),
    ]


# --------------------------------------------------------------------------------------------
# What raises nothing
# --------------------------------------------------------------------------------------------


async def test_no_harm_for_unprotected_factions_or_positive_influence(db: Database) -> None:
    await protect(db, TRADERS)
    alerts = await ingest(
        db,
        GUILD,
        mission_completed(TRADERS, effect(TRADERS, "+++"), effect(ADF, "+", "DownBad")),
        crime("Beta Union"),
        kill_bond(PIRATES),
        mission_failed(ADF),
        combat_bonds(TRADERS, 5000),  # for the protected faction itself, no conflict
    )
    assert alerts == []
    assert await harms(db) == []


async def test_another_guilds_protected_list_does_not_count(db: Database) -> None:
    await protect(db, ADF, guild=OTHER)
    await conflict(db, PIRATES, ADF, guild=OTHER)
    assert await ingest(db, GUILD, crime(ADF), space_cz(PIRATES, high=1)) == []
    assert await count_all_harms(db) == 0


async def test_events_before_the_faction_was_protected(db: Database) -> None:
    since = datetime(2026, 11, 26, 13, 10, 0, tzinfo=UTC)
    await protect(db, ADF, since=since)
    await ingest(
        db,
        GUILD,
        crime(ADF, at="2026-11-26T13:09:59Z"),
        crime(ADF, bounty=20000, at="2026-11-26T13:10:00Z"),
    )
    assert [amount for _, _, amount, *_ in await harms(db)] == [20000]


async def test_the_same_event_twice_is_one_harm(db: Database) -> None:
    await protect(db, ADF)
    batch = [crime(ADF), kill_bond(ADF, awarding=PIRATES)]
    first = await store(db, GUILD, *batch)
    assert len(await on_events_stored(db, GUILD, first.stored)) == 1
    assert await ingest(db, GUILD, *batch) == []  # the plugin resent it: duplicates
    async with db.tenant_write(GUILD) as session:
        assert await detect_harm(session, first.stored) == []  # the hook ran twice
    assert [kind for _, kind, *_ in await harms(db)] == ["murder", "kill_bond"]


async def test_hook_is_cheap_when_nothing_is_protected(db: Database) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    result = await store(db, GUILD, crime(ADF), fsd_jump(ALPHA, ALPHA_ADDRESS))
    only_jump = await store(db, GUILD, fsd_jump(BETA, BETA_ADDRESS))
    engine = db.engine().sync_engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert await on_events_stored(db, GUILD, only_jump.stored) == []
        assert statements == []
        assert await on_events_stored(db, GUILD, result.stored) == []
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert "protected_factions" in statements[0]


# --------------------------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------------------------


async def test_alert_gathers_one_cmdrs_harm_in_one_tick(db: Database) -> None:
    adf = await protect(db, ADF, channel_id=555, description="our ally")
    first = await ingest(db, GUILD, crime(ADF, at="2026-11-26T13:10:05Z"))
    second = await ingest(
        db,
        GUILD,
        kill_bond(ADF, awarding=PIRATES, reward=4000, at="2026-11-26T13:10:01Z"),
        kill_bond(ADF, awarding=PIRATES, reward=6000, at="2026-11-26T13:10:09Z"),
    )
    next_tick = await ingest(db, GUILD, crime(ADF, tickid=TICK2, at="2026-11-27T11:30:00Z"))
    other_cmdr = await ingest(db, GUILD, crime(ADF, cmdr="Other Cmdr"))

    same = AlertRef(adf.id, CMDR, TICK1)
    assert first == [same]
    assert second == [same]
    assert next_tick == [AlertRef(adf.id, CMDR, TICK2)]
    assert other_cmdr == [AlertRef(adf.id, "Other Cmdr", TICK1)]
    assert len({same.key, next_tick[0].key, other_cmdr[0].key}) == 3

    async with db.tenant(GUILD) as session:
        alert = await harm_alert(session, adf.id, CMDR, TICK1)
        later = await harm_alert(session, adf.id, CMDR, TICK2)
        nothing = await harm_alert(session, adf.id, "Nobody", TICK1)
    assert alert is not None
    assert (alert.faction, alert.description, alert.channel_id, alert.cmdr, alert.tickid) == (
        ADF,
        "our ally",
        555,
        CMDR,
        TICK1,
    )
    assert alert.key == same.key == f"{adf.id}:{CMDR}:{TICK1}"
    assert [(h.timestamp.second, h.system_name, h.kind, h.amount) for h in alert.harms] == [
        (1, ALPHA, HarmKind.KILL_BOND, 4000),
        (5, ALPHA, HarmKind.MURDER, 10000),
        (9, ALPHA, HarmKind.KILL_BOND, 6000),
    ]
    assert alert.totals == {
        HarmKind.KILL_BOND: KindTotal(2, 10000),
        HarmKind.MURDER: KindTotal(1, 10000),
    }
    assert list(alert.totals) == [HarmKind.KILL_BOND, HarmKind.MURDER]
    assert later is not None
    assert [h.detail for h in later.harms] == ["murdered a ship (bounty 10,000 CR)"]
    assert nothing is None


async def test_alert_of_a_removed_faction_is_none(db: Database) -> None:
    adf = await protect(db, ADF)
    await ingest(db, GUILD, crime(ADF))
    async with db.tenant_write(GUILD) as session:
        await remove_protected(session, ADF)
    async with db.tenant(GUILD) as session:
        assert await harm_alert(session, adf.id, CMDR, TICK1) is None
    assert await count_all_harms(db) == 0


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


async def test_harm_summary_by_ticks_and_time(db: Database) -> None:
    await protect(db, ADF)
    await ingest(
        db,
        GUILD,
        crime(ADF, bounty=100, at="2026-11-26T13:00:00Z"),
        crime(ADF, bounty=200, at="2026-11-26T13:05:00Z"),
        crime(ADF, bounty=50, cmdr="Other Cmdr", system=BETA, address=BETA_ADDRESS),
        mission_failed(ADF, fine=7, tickid=TICK2, at="2026-11-27T12:00:00Z"),
    )
    async with db.tenant(GUILD) as session:
        tick1 = await harm_summary(session, tickids=[TICK1])
        day2 = await harm_summary(
            session,
            since=datetime(2026, 11, 27, tzinfo=UTC),
            until=datetime(2026, 11, 28, tzinfo=UTC),
        )
        everything = await harm_summary(session)
    rows = [(r.faction, r.system_name, r.cmdr, r.kind, r.count, r.amount) for r in tick1.rows]
    assert rows == [
        (ADF, ALPHA, CMDR, HarmKind.MURDER, 2, 300),
        (ADF, BETA, "Other Cmdr", HarmKind.MURDER, 1, 50),
    ]
    assert set(tick1.by_system()) == {(ALPHA, ADF), (BETA, ADF)}
    assert [r.amount for r in tick1.by_cmdr()["Other Cmdr"]] == [50]
    assert [(r.kind, r.amount) for r in day2.rows] == [(HarmKind.MISSION_FAILED, 7)]
    assert sum(r.count for r in everything.rows) == 4


# --------------------------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------------------------


async def test_add_list_edit_remove(db: Database) -> None:
    await know(db, ADF, PIRATES)
    async with db.tenant_write(GUILD) as session:
        added = await add_protected(
            session, "  alpha defence force ", description=" ally ", channel_id=42, created_by=9
        )
        await add_protected(session, PIRATES)
    assert (added.name, added.description, added.channel_id, added.created_by) == (
        ADF,
        "ally",
        42,
        9,
    )
    async with db.tenant_write(GUILD) as session:
        assert [p.name for p in await list_protected(session)] == [ADF, PIRATES]
        edited = await edit_protected(session, "ALPHA DEFENCE FORCE", description="")
        assert (edited.description, edited.channel_id) == (None, 42)
        edited = await edit_protected(session, ADF, channel_id=None, description="friends")
        assert (edited.description, edited.channel_id) == ("friends", None)
        edited = await edit_protected(session, ADF, channel_id=77)
        assert (edited.description, edited.channel_id) == ("friends", 77)
        removed = await remove_protected(session, "alpha pirates")
    assert removed.name == PIRATES
    async with db.tenant(GUILD) as session:
        listed = await list_protected(session)
        assert [(p.name, p.description, p.channel_id) for p in listed] == [(ADF, "friends", 77)]
        assert (await get_protected(session, "alpha defence force")).id == added.id


async def test_duplicate_is_refused(db: Database) -> None:
    await know(db, ADF)
    await protect(db, ADF)
    async with db.tenant_write(GUILD) as session:
        with pytest.raises(DuplicateProtectedError, match="“Alpha Defence Force” is already"):
            await add_protected(session, "alpha defence FORCE")


async def test_unknown_faction_needs_force(db: Database) -> None:
    await know(db, ADF)
    await know(db, "Secret Friends", guild=OTHER)
    async with db.tenant_write(GUILD) as session:
        with pytest.raises(UnknownFactionError, match=r"never raise an alert.*force: True"):
            await add_protected(session, "Secret Friends")
        forced = await add_protected(session, "Secret Friends", force=True)
    assert forced.name == "Secret Friends"


async def test_edit_and_remove_errors(db: Database) -> None:
    await protect(db, ADF)
    async with db.tenant_write(GUILD) as session:
        with pytest.raises(NotProtectedError, match="“Nobody” is not on this server's"):
            await remove_protected(session, "Nobody")
        with pytest.raises(NotProtectedError):
            await edit_protected(session, "Nobody", description="x")
        with pytest.raises(ProtectedError, match="nothing changed"):
            await edit_protected(session, ADF)
        with pytest.raises(ProtectedError, match="at most 200"):
            await edit_protected(session, ADF, description="x" * 201)
        with pytest.raises(ProtectedError, match="Give the name"):
            await add_protected(session, "   ")


async def test_faction_choices(db: Database) -> None:
    await know(db, ADF, PIRATES, TRADERS, "Beta Alpha Union", "100%_Alpha")
    await know(db, "Alpha Elsewhere", guild=OTHER)
    await protect(db, "Alpha Zealots")  # never seen, added with force
    await protect(db, PIRATES)
    async with db.tenant(GUILD) as session:
        assert await faction_choices(session, "alpha") == [
            ADF,
            PIRATES,
            TRADERS,
            "Alpha Zealots",
            "100%_Alpha",
            "Beta Alpha Union",
        ]
        assert await faction_choices(session, "alpha", limit=2) == [ADF, PIRATES]
        assert await faction_choices(session, "", protected_only=True) == [PIRATES, "Alpha Zealots"]
        assert await faction_choices(session, "%_") == ["100%_Alpha"]
