"""Conflict detection from members' jump events: the stored state and the changes worth an alert."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bgs.alerts import Pending
from bgs.conflicts import (
    ConflictChange,
    ConflictStatus,
    NewestReports,
    Scope,
    Side,
    conflict_digest,
    current_conflicts,
    on_events_stored,
)
from bgs.events import parse_envelope
from bgs.ingest import IngestResult, StoredEvent
from db.database import Database
from db.models import ConflictState, ProtectedFaction, Tenant
from tests.helpers.plugin_events import store_envelopes

GUILD = 1001
OURS = "Alpha Defence Force"
PIRATES = "Alpha Pirates"
GUARDED = "Beta Union"
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def side(name: str, days: int, stake: str) -> dict[str, Any]:
    return {"Name": name, "Stake": stake, "WonDays": days}


def war(
    first: str,
    second: str,
    days: tuple[int, int] = (0, 0),
    status: str = "active",
    war_type: str = "war",
) -> dict[str, Any]:
    return {
        "WarType": war_type,
        "Status": status,
        "Faction1": side(first, days[0], "Alpha Gate"),
        "Faction2": side(second, days[1], ""),
    }


def jump(
    system: str,
    minutes: int,
    *conflicts: dict[str, Any],
    cmdr: str = "Cmdr One",
    event: str = "FSDJump",
    factions: bool = True,
) -> dict[str, Any]:
    """A journal jump/location event as the plugin sends it; no Conflicts key when none."""
    data: dict[str, Any] = {
        "event": event,
        "timestamp": (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        "StarSystem": system,
        "SystemAddress": 1000 + sum(map(ord, system)),
        "cmdr": cmdr,
        "tickid": "zoy-tick-1",
        "ticktime": "2026-11-26T11:00:00Z",
    }
    if factions:
        data["Factions"] = [{"Name": OURS, "Influence": 0.4}, {"Name": PIRATES, "Influence": 0.3}]
    if conflicts:
        data["Conflicts"] = list(conflicts)
    return data


def newest(stored: list[StoredEvent]) -> NewestReports:
    """Each system's newest conflict report among stored events (what the after-ingest run
    applies)."""
    reports = NewestReports()
    for item in stored:
        reports.add(item)
    return reports


async def add_guild(db: Database, faction: str | None = OURS) -> None:
    async with db.tenant_write(GUILD) as session:
        session.add(Tenant(name="Alpha Wing", faction=faction, source="discord", registered_at=T0))
        session.add(ProtectedFaction(name=GUARDED, created_at=T0))


async def store(db: Database, *events: dict[str, Any]) -> IngestResult:
    envelopes = [parse_envelope(index, event) for index, event in enumerate(events)]
    async with db.tenant_write(GUILD) as session:
        return await store_envelopes(session, envelopes)


async def ingest(db: Database, *events: dict[str, Any]) -> list[ConflictChange]:
    """What the listener does: store the batch, then run the after-ingest hook."""
    stored = (await store(db, *events)).stored
    return await on_events_stored(db, GUILD, newest(stored))


def brief(changes: list[ConflictChange]) -> list[tuple[str, str, str, int, int, str]]:
    return [
        (
            c.kind.value,
            c.system_name,
            c.subject.name,
            c.subject.won_days,
            c.opponent.won_days,
            c.status.value,
        )
        for c in changes
    ]


async def states(db: Database) -> list[tuple[str, str, str, str, int, int]]:
    async with db.tenant(GUILD) as session:
        rows = (await session.execute(select(ConflictState).order_by(ConflictState.id))).scalars()
        return [
            (r.system_name, r.faction1, r.faction2, r.status, r.won_days1, r.won_days2)
            for r in rows
        ]


async def test_a_war_from_announcement_to_its_end(db: Database) -> None:
    await add_guild(db)
    others = war("Gamma Corp", "Delta Party", (2, 1))

    new = await ingest(db, jump("Alpha", 0, war(OURS, PIRATES, status="pending"), others))
    repeat = await ingest(db, jump("Alpha", 10, war(OURS, PIRATES, status="pending"), others))
    activated = await ingest(db, jump("Alpha", 20, war(OURS, PIRATES), others))
    won = await ingest(db, jump("Alpha", 30, war(OURS, PIRATES, (1, 0)), others))
    lost = await ingest(db, jump("Alpha", 40, war(OURS, PIRATES, (1, 1)), others))
    same = await ingest(db, jump("Alpha", 50, war(OURS, PIRATES, (1, 1)), others, cmdr="Two"))
    other_side = await ingest(db, jump("Alpha", 55, war(OURS, PIRATES, (1, 1)), others))
    gone = await ingest(db, jump("Alpha", 60, others))
    after = await ingest(db, jump("Alpha", 70, others))

    assert brief(new) == [("new", "Alpha", OURS, 0, 0, "pending")]
    assert new[0].guild_faction and new[0].war_type == "war"
    assert new[0].subject.stake == "Alpha Gate" and new[0].opponent.stake is None
    assert repeat == []
    assert brief(activated) == [("activated", "Alpha", OURS, 0, 0, "active")]
    assert activated[0].previous_status is ConflictStatus.PENDING
    assert brief(won) == [("day_won", "Alpha", OURS, 1, 0, "active")]
    assert won[0].previous_days == (0, 0)
    assert brief(lost) == [("day_lost", "Alpha", OURS, 1, 1, "active")]
    assert lost[0].previous_days == (1, 0)
    assert same == [] and other_side == []
    assert brief(gone) == [("gone", "Alpha", OURS, 1, 1, "ended")]
    assert after == []
    assert await states(db) == [
        ("Alpha", OURS, PIRATES, "ended", 1, 1),
        ("Alpha", "Delta Party", "Gamma Corp", "active", 1, 2),
    ]
    # Every alert has its own ledger key; a repeat would have the same one.
    assert len({c.ledger_key for c in new + activated + won + lost + gone}) == 5
    assert all(len(c.ledger_key) <= 200 for c in new + gone)


async def test_the_game_reports_the_end_with_the_final_score(db: Database) -> None:
    await add_guild(db)
    await ingest(db, jump("Beta", 0, war(OURS, PIRATES, (3, 1))))

    ended = await ingest(db, jump("Beta", 10, war(OURS, PIRATES, (4, 1), status="")))
    listed_again = await ingest(db, jump("Beta", 20, war(OURS, PIRATES, (4, 1), status="")))
    dropped = await ingest(db, jump("Beta", 30))
    restarted = await ingest(db, jump("Beta", 40, war(OURS, PIRATES, status="pending")))

    assert brief(ended) == [
        ("day_won", "Beta", OURS, 4, 1, "ended"),
        ("ended", "Beta", OURS, 4, 1, "ended"),
    ]
    assert listed_again == [] and dropped == []
    assert brief(restarted) == [("new", "Beta", OURS, 0, 0, "pending")]
    assert restarted[0].first_seen == T0 + timedelta(minutes=40)


async def test_every_conflict_of_the_event_counts_and_names_match_exactly(db: Database) -> None:
    await add_guild(db)
    lookalike = war(f"{OURS} Rebels", "Somebody Else")  # our name is a substring of theirs
    ours_second = war("Aardvark Syndicate", OURS, (0, 2))  # listed second, sorted second
    guarded = war(GUARDED, PIRATES, war_type="election")

    changes = await ingest(db, jump("Gamma", 0, lookalike, ours_second, guarded))

    assert brief(changes) == [
        ("new", "Gamma", OURS, 2, 0, "active"),
        ("new", "Gamma", GUARDED, 0, 0, "active"),
    ]
    assert [c.guild_faction for c in changes] == [True, False]
    assert changes[0].opponent.name == "Aardvark Syndicate"
    assert changes[1].war_type == "election"
    assert len(await states(db)) == 3  # the look-alike's conflict is stored all the same


async def test_an_older_event_never_overwrites_newer_state(db: Database) -> None:
    await add_guild(db)
    await ingest(db, jump("Delta", 30, war(OURS, PIRATES, (1, 0))))

    late = await ingest(db, jump("Delta", 20, war(OURS, PIRATES, status="pending")))
    stale_gone = await ingest(db, jump("Delta", 25))

    assert late == [] and stale_gone == []
    assert await states(db) == [("Delta", OURS, PIRATES, "active", 1, 0)]

    # A system known to be at peace: an older event with a conflict does not revive it.
    await ingest(db, jump("Epsilon", 30))
    assert await ingest(db, jump("Epsilon", 10, war(OURS, PIRATES))) == []
    assert len(await states(db)) == 1


async def test_a_jump_that_changes_nothing_only_moves_last_seen_on(db: Database) -> None:
    await add_guild(db)
    await ingest(db, jump("Lambda", 0, war(OURS, PIRATES, (1, 0))))

    again = await ingest(
        db,
        jump("Lambda", 40, war(OURS, PIRATES, (1, 0)), cmdr="Cmdr Two"),
        jump("Mu", 40, war(OURS, PIRATES)),
    )

    assert brief(again) == [("new", "Mu", OURS, 0, 0, "active")]
    async with db.tenant(GUILD) as session:
        lambda_row = (
            await session.execute(
                select(ConflictState).where(ConflictState.system_name == "Lambda")
            )
        ).scalar_one()
    assert lambda_row.last_seen == T0 + timedelta(minutes=40)
    assert lambda_row.first_seen == T0
    assert (lambda_row.status, lambda_row.won_days1, lambda_row.won_days2) == ("active", 1, 0)


async def test_the_newest_event_of_a_batch_wins(db: Database) -> None:
    await add_guild(db)

    changes = await ingest(
        db,
        jump("Zeta", 30, war(OURS, PIRATES, (2, 0))),
        jump("Zeta", 10, war(OURS, PIRATES)),
        jump("Eta", 5, war(OURS, PIRATES), event="Location"),
        jump("Theta", 5, war(OURS, PIRATES), event="CarrierJump"),
        jump("Iota", 5, war(OURS, PIRATES), event="Docked"),
    )

    assert sorted(brief(changes)) == [
        ("new", "Eta", OURS, 0, 0, "active"),
        ("new", "Theta", OURS, 0, 0, "active"),
        ("new", "Zeta", OURS, 2, 0, "active"),
    ]


async def test_score_changes_seen_late(db: Database) -> None:
    await add_guild(db)
    await ingest(db, jump("Kappa", 0, war(PIRATES, OURS, (1, 1))))

    both = await ingest(db, jump("Kappa", 10, war(PIRATES, OURS, (2, 2))))
    reset = await ingest(db, jump("Kappa", 20, war(PIRATES, OURS, (0, 0))))

    assert brief(both) == [("days", "Kappa", OURS, 2, 2, "active")]
    assert both[0].previous_days == (1, 1)
    assert brief(reset) == [("new", "Kappa", OURS, 0, 0, "active")]


async def test_events_without_conflict_information_change_nothing(db: Database) -> None:
    await add_guild(db)
    await ingest(db, jump("Lambda", 0, war(OURS, PIRATES)))

    stripped = await ingest(db, jump("Lambda", 10, factions=False))

    assert stripped == []
    assert await states(db) == [("Lambda", OURS, PIRATES, "active", 0, 0)]


async def test_a_guild_without_a_faction_stores_conflicts_without_alerts(db: Database) -> None:
    await add_guild(db, faction=None)

    changes = await ingest(db, jump("Mu", 0, war(OURS, PIRATES), war(GUARDED, "Nobody")))

    assert brief(changes) == [("new", "Mu", GUARDED, 0, 0, "active")]
    assert len(await states(db)) == 2


async def test_the_same_batch_applied_twice_at_once_alerts_once(db: Database) -> None:
    await add_guild(db)
    first = newest((await store(db, jump("Nu", 0, war(OURS, PIRATES)))).stored)
    created = await asyncio.gather(*(on_events_stored(db, GUILD, first) for _ in range(3)))
    second = newest((await store(db, jump("Nu", 10, war(OURS, PIRATES, (1, 0))))).stored)
    scored = await asyncio.gather(*(on_events_stored(db, GUILD, second) for _ in range(3)))

    assert sorted(len(changes) for changes in created) == [0, 0, 1]
    assert sorted(len(changes) for changes in scored) == [0, 0, 1]
    assert await states(db) == [("Nu", OURS, PIRATES, "active", 1, 0)]


def test_after_ingest_keeps_each_systems_newest_observation_and_the_harm_events_only() -> None:
    def stored(event_id: int, event: dict[str, Any]) -> list[StoredEvent]:
        return [StoredEvent(event_id, parse_envelope(0, event))]

    docked = {**jump("Nu", 0), "event": "Docked"}
    crime = {**jump("Nu", 0), "event": "CommitCrime", "CrimeType": "murder", "Faction": OURS}
    pending = Pending()
    pending.add(stored(1, docked))
    assert not pending  # nothing the after-ingest work reads
    # Batches are answered out of storing order: the newest by event time wins, then by id.
    pending.add(stored(5, jump("Nu", 10, war(OURS, PIRATES, (2, 0)))))
    pending.add(stored(4, jump("Nu", 10, war(OURS, PIRATES, (1, 0)))))
    pending.add(stored(3, jump("Nu", 5, war(OURS, PIRATES, (3, 0)))))
    pending.add(stored(6, jump("Nu", 20, factions=False)))  # says nothing of conflicts
    pending.add(stored(2, jump("Xi", 0)))
    pending.add(stored(7, crime))
    newest = pending.reports.newest()
    assert sorted(newest) == ["Nu", "Xi"]
    assert [c.side1.won_days for c in newest["Nu"].conflicts.values()] == [2]
    assert [item.id for item in pending.harm] == [7]


async def test_scopes_show_current_conflicts_with_their_age(db: Database) -> None:
    await add_guild(db)
    await ingest(db, jump("Xi", 0, war(PIRATES, OURS, (0, 1), status="pending")))
    await ingest(db, jump("Omicron", 30, war(GUARDED, PIRATES), war("Gamma Corp", "Delta Party")))
    await ingest(db, jump("Pi", 40, war(OURS, "Ended Foes")))
    await ingest(db, jump("Pi", 50))  # the Pi war is gone
    now = T0 + timedelta(hours=2)

    async with db.tenant(GUILD) as session:
        ours = await current_conflicts(session, Scope.OURS, OURS, [GUARDED], now)
        guarded = await current_conflicts(session, Scope.PROTECTED, OURS, [GUARDED], now)
        everything = await current_conflicts(session, Scope.ALL, OURS, [GUARDED], now)
        nothing = await current_conflicts(session, Scope.OURS, None, [], now)

    assert [(v.system_name, v.side1.name, v.side1.won_days, v.status) for v in ours] == [
        ("Xi", OURS, 1, ConflictStatus.PENDING)
    ]
    assert ours[0].age == timedelta(hours=2) and ours[0].subject == OURS
    assert [(v.system_name, v.side1.name) for v in guarded] == [("Omicron", GUARDED)]
    assert [(v.system_name, v.subject) for v in everything] == [
        ("Omicron", GUARDED),
        ("Omicron", None),
        ("Xi", OURS),
    ]
    assert everything[0].age == timedelta(minutes=90)
    assert nothing == []


async def test_digest_lists_our_conflicts_of_the_tick_with_their_cmdrs(db: Database) -> None:
    await add_guild(db)
    tick = T0 + timedelta(hours=1)
    await ingest(db, jump("Rho", 0, war(OURS, PIRATES), cmdr="Early Bird"))
    await ingest(db, jump("Rho", 70, war(OURS, PIRATES, (1, 0)), cmdr="Cmdr One"))
    await ingest(db, jump("Rho", 80, war(OURS, PIRATES, (1, 0)), cmdr="Cmdr Two"))
    await ingest(db, jump("Sigma", 30, war(OURS, "Old News")))  # not seen since the tick
    await ingest(db, jump("Tau", 90, war(GUARDED, PIRATES), cmdr="Cmdr Three"))  # not ours

    async with db.tenant(GUILD) as session:
        digest = await conflict_digest(session, OURS, tick, T0 + timedelta(hours=2))
        none = await conflict_digest(session, None, tick, T0)

    assert [(e.conflict.system_name, e.cmdrs) for e in digest] == [
        ("Rho", ("Cmdr One", "Cmdr Two"))
    ]
    entry = digest[0].conflict
    assert (entry.war_type, entry.side1, entry.side2.name) == (
        "war",
        Side(OURS, "Alpha Gate", 1),
        PIRATES,
    )
    assert entry.age == timedelta(minutes=40)
    assert none == []
