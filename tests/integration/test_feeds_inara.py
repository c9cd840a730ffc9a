"""The Inara client (feeds/inara.py) against the loopback fake Inara, storing on SQLite and
PostgreSQL: found, partial match, not found, bad key, rate limited, empty, not JSON, HTTP
error and slow answers; batching and pacing on an injected clock; guilds kept apart."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bgs.members import InaraStatus
from db.database import Database
from db.models import Cmdr
from feeds.inara import InaraClient, Pacer, sync_profiles
from tests.fakes.inara import FakeInara, Mode

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
GUILD, OTHER = 501, 502
KEY, OTHER_KEY, WRONG_KEY = (
    "GOOD0KEY0FOR0INARA0123",
    "SECOND0GOOD0KEY0456789",
    "WRONG0KEY0000000000000",
)
INTERVAL = 60.0


class FakeClock:
    """A monotonic clock that moves only when the pacer sleeps; the sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def inara() -> AsyncIterator[FakeInara]:
    async with FakeInara() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(inara: FakeInara, clock: FakeClock) -> AsyncIterator[InaraClient]:
    async with aiohttp.ClientSession() as http:
        pacer = Pacer(INTERVAL, clock=clock, sleep=clock.sleep)
        yield InaraClient(http, inara.url, "BGS Warden", "0.1.0", pacer, timeout=0.5)


async def seen(db: Database, guild_id: int, *names: str, days_ago: int = 1) -> None:
    """Cmdrs in the guild's data, last seen `days_ago` days before NOW."""
    async with db.tenant_write(guild_id) as session:
        for name in names:
            when = NOW - timedelta(days=days_ago)
            session.add(Cmdr(name=name, first_seen=when, last_seen=when))


async def cmdrs(db: Database, guild_id: int) -> dict[str, Cmdr]:
    async with db.tenant(guild_id) as session:
        rows = (await session.execute(select(Cmdr))).scalars()
        return {row.name: row for row in rows}


async def test_found_partial_and_not_found(
    db: Database, inara: FakeInara, client: InaraClient
) -> None:
    inara.add_cmdr(
        "Ann",
        combat="8",
        trade=7,
        power="Aisling Duval",
        squadron="Test Wing",
        squadron_rank="Recruit",
    )
    inara.partial["Bob"] = ("Bobby", ["Bob II", "Bob Jr"])
    await seen(db, GUILD, "Ann", "Bob", "Cy")
    await seen(db, GUILD, "Old Timer", days_ago=31)

    report = await sync_profiles(db, client, GUILD, KEY, NOW)

    assert inara.searched() == [["Ann", "Bob", "Cy"]]  # active cmdrs only, most recent first
    header = inara.requests[0]["header"]
    assert header == {
        "appName": "BGS Warden",
        "appVersion": "0.1.0",
        "isBeingDeveloped": False,
        "APIkey": KEY,
    }
    event = inara.requests[0]["events"][0]
    assert event == {
        "eventName": "getCommanderProfile",
        "eventTimestamp": "2026-11-26T01:00:00Z",
        "eventCustomID": 1,
        "eventData": {"searchName": "Ann"},
    }
    assert report.counts == Counter(
        {InaraStatus.FOUND: 1, InaraStatus.PARTIAL: 1, InaraStatus.NOT_FOUND: 1}
    )
    rows = await cmdrs(db, GUILD)
    ann = rows["Ann"]
    assert (ann.rank_combat, ann.rank_trade, ann.rank_explore) == ("Elite", "Tycoon", None)
    assert (ann.rank_power, ann.squadron_name, ann.squadron_rank) == (
        "Aisling Duval",
        "Test Wing",
        "Recruit",
    )
    assert ann.inara_url == "https://inara.cz/elite/cmdr/1234/"
    assert (ann.inara_status, ann.inara_reason) == ("found", None)
    assert ann.inara_fetched_at == ann.inara_checked_at == NOW
    bob = rows["Bob"]
    assert bob.inara_status == "partial" and bob.squadron_rank is None
    assert bob.inara_reason == (
        "Inara found no exact match, only similar names: Bobby, Bob II, Bob Jr"
    )
    assert bob.inara_fetched_at is None and bob.inara_checked_at == NOW
    cy = rows["Cy"]
    assert (cy.inara_status, cy.inara_reason) == ("not_found", "Inara has no cmdr of this name")
    assert rows["Old Timer"].inara_checked_at is None


async def test_a_partial_match_keeps_the_profile_stored_before(
    db: Database, inara: FakeInara, client: InaraClient
) -> None:
    inara.add_cmdr("Ann", squadron="Test Wing", squadron_rank="Wingman")
    await seen(db, GUILD, "Ann")
    await sync_profiles(db, client, GUILD, KEY, NOW)
    inara.profiles.clear()
    inara.partial["Ann"] = ("Annie", [])

    later = NOW + timedelta(days=1)
    await sync_profiles(db, client, GUILD, KEY, later)

    ann = (await cmdrs(db, GUILD))["Ann"]
    assert (ann.inara_status, ann.squadron_rank) == ("partial", "Wingman")
    assert (ann.inara_fetched_at, ann.inara_checked_at) == (NOW, later)


async def test_squadron_keys_in_either_case(
    db: Database, inara: FakeInara, client: InaraClient
) -> None:
    inara.upper_keys = True  # the docs sample's SquadronName / SquadronMemberRank
    inara.add_cmdr("Ann", squadron="Test Wing", squadron_rank="Wingman")
    await seen(db, GUILD, "Ann")
    await sync_profiles(db, client, GUILD, KEY, NOW)
    ann = (await cmdrs(db, GUILD))["Ann"]
    assert (ann.squadron_name, ann.squadron_rank) == ("Test Wing", "Wingman")


async def test_batches_are_paced_on_the_clock_not_the_wall(
    db: Database, inara: FakeInara, client: InaraClient, clock: FakeClock
) -> None:
    names = [f"Cmdr {n:03d}" for n in range(250)]
    await seen(db, GUILD, *names)
    client.max_events = 100

    report = await sync_profiles(db, client, GUILD, KEY, NOW)

    assert [len(batch) for batch in inara.searched()] == [100, 100, 50]
    assert sorted(name for batch in inara.searched() for name in batch) == names
    assert clock.sleeps == [INTERVAL, INTERVAL]  # the first request at once, then paced
    assert report.counts == Counter({InaraStatus.NOT_FOUND: 250})
    # the next run (another guild) waits its turn too
    await seen(db, OTHER, "Dan")
    await sync_profiles(db, client, OTHER, OTHER_KEY, NOW)
    assert clock.sleeps == [INTERVAL, INTERVAL, INTERVAL]


async def test_a_bad_key_stops_its_guild_only(
    db: Database, inara: FakeInara, client: InaraClient, caplog: pytest.LogCaptureFixture
) -> None:
    inara.bad_keys.add(WRONG_KEY)
    inara.add_cmdr("Dan", squadron="Beta Wing", squadron_rank="Recruit")
    names = [f"Cmdr {n}" for n in range(5)]
    await seen(db, GUILD, *names)
    await seen(db, OTHER, "Dan")
    client.max_events = 2

    bad = await sync_profiles(db, client, GUILD, WRONG_KEY, NOW)
    good = await sync_profiles(db, client, OTHER, OTHER_KEY, NOW)

    assert len(inara.requests) == 2  # one refused request for the bad key: the rest not sent
    assert bad.counts == Counter({InaraStatus.BAD_KEY: 5})
    for row in (await cmdrs(db, GUILD)).values():
        assert row.inara_status == "bad_key"
        assert row.inara_reason == "Inara refused the key: Invalid API key"
    assert good.counts == Counter({InaraStatus.FOUND: 1})
    assert (await cmdrs(db, OTHER))["Dan"].squadron_rank == "Recruit"
    assert "Inara refused the key" in caplog.text
    assert WRONG_KEY not in caplog.text and OTHER_KEY not in caplog.text


async def test_a_revoked_key_is_held_for_an_hour(
    db: Database, inara: FakeInara, client: InaraClient, clock: FakeClock
) -> None:
    inara.revoked_keys.add(KEY)
    inara.add_cmdr("Dan")
    await seen(db, GUILD, "Ann", "Bob")
    await seen(db, OTHER, "Dan")

    first = await sync_profiles(db, client, GUILD, KEY, NOW)
    again = await sync_profiles(db, client, GUILD, KEY, NOW + timedelta(minutes=10))
    other = await sync_profiles(db, client, OTHER, OTHER_KEY, NOW)

    assert first.counts == again.counts == Counter({InaraStatus.RATE_LIMITED: 2})
    assert inara.searched() == [["Ann", "Bob"], ["Dan"]]  # the held key asked nothing
    ann = (await cmdrs(db, GUILD))["Ann"]
    assert ann.inara_reason == (
        "Inara paused the key for asking too often; next try after 2026-11-26 02:10 UTC"
    )
    assert other.counts == Counter({InaraStatus.FOUND: 1})
    clock.now += 3600
    inara.revoked_keys.clear()
    await sync_profiles(db, client, GUILD, KEY, NOW + timedelta(hours=1))
    assert inara.searched()[-1] == ["Ann", "Bob"]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (Mode.EMPTY, "Inara's answer was empty (maintenance?)"),
        (Mode.NOT_JSON, "Inara's answer was not JSON"),
        (Mode.DOWN, "Inara answered HTTP 500"),
        (Mode.SLOW, "Inara did not answer within 0.5 s"),
    ],
)
async def test_an_unusable_answer_fails_its_batch_and_the_run_goes_on(
    db: Database, inara: FakeInara, client: InaraClient, mode: Mode, reason: str
) -> None:
    inara.add_cmdr("Cy", squadron="Test Wing", squadron_rank="Wingman")
    await seen(db, GUILD, "Ann", days_ago=1)
    await seen(db, GUILD, "Bob", days_ago=2)
    await seen(db, GUILD, "Cy", days_ago=3)
    client.max_events = 2
    inara.modes.append(mode)

    report = await sync_profiles(db, client, GUILD, KEY, NOW)

    assert inara.searched() == [["Ann", "Bob"], ["Cy"]]
    assert report.counts == Counter({InaraStatus.UNAVAILABLE: 2, InaraStatus.FOUND: 1})
    rows = await cmdrs(db, GUILD)
    assert (rows["Ann"].inara_status, rows["Ann"].inara_reason) == ("unavailable", reason)
    assert rows["Cy"].squadron_rank == "Wingman"
