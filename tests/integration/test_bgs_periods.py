"""resolve_period against stored data: ticks are ordered by tick time, per guild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bgs.events import parse_envelope
from bgs.ingest import replace_activity
from bgs.periods import UnknownPeriodError, latest_ticks, resolve_period
from db import models
from db.database import Database
from tests.helpers.plugin_events import store_envelopes

GUILD, OTHER = 1001, 2002
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def jump(at: datetime, tickid: str, ticktime: datetime | None, cmdr: str = "Ann") -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": "FSDJump",
        "timestamp": iso(at),
        "cmdr": cmdr,
        "tickid": tickid,
        "StarSystem": "Alpha",
        "SystemAddress": 1,
    }
    if ticktime is not None:
        event["ticktime"] = iso(ticktime)
    return event


async def store(db: Database, guild: int, *events: dict[str, Any]) -> None:
    async with db.tenant_write(guild) as session:
        await store_envelopes(session, [parse_envelope(i, e) for i, e in enumerate(events)])


async def put_activity(db: Database, guild: int, tickid: str, ticktime: datetime) -> None:
    async with db.tenant_write(guild) as session:
        activity = models.Activity(
            cmdr="Ann", tickid=tickid, ticktime=ticktime, timestamp=ticktime, systems=[]
        )
        await replace_activity(session, activity)


async def resolve(db: Database, code: str) -> tuple[str | None, datetime | None, datetime | None]:
    async with db.tenant(GUILD) as session:
        period = await resolve_period(session, code, NOW)
    return (period.tick.tickid if period.tick else None), period.start, period.end


async def test_no_data_means_empty_tick_periods(db: Database) -> None:
    await store(db, OTHER, jump(T2, "zoy-2", T2))
    for code in ("ct", "lt"):
        async with db.tenant(GUILD) as session:
            period = await resolve_period(session, code, NOW)
        assert period.by_tick and period.tick is None
        assert "no tick is known" in period.description


async def test_ticks_ordered_by_tick_time_not_by_row(db: Database) -> None:
    # The newer tick's events are stored first, then an event of the older tick that
    # arrived late (it is the newest event by timestamp and by row).
    await store(db, GUILD, jump(T2 + timedelta(minutes=5), "zoy-b", T2))
    await store(db, GUILD, jump(T1 + timedelta(hours=1), "zoy-a", T1))
    await store(db, GUILD, jump(T2 + timedelta(hours=5), "zoy-a", T1, cmdr="Late"))
    assert await resolve(db, "ct") == ("zoy-b", T2, None)
    assert await resolve(db, "lt") == ("zoy-a", T1, T2)


async def test_only_one_tick_known(db: Database) -> None:
    await store(db, GUILD, jump(T2 + timedelta(minutes=5), "zoy-2", T2))
    assert await resolve(db, "ct") == ("zoy-2", T2, None)
    async with db.tenant(GUILD) as session:
        last = await resolve_period(session, "lt", NOW)
    assert last.by_tick and last.tick is None
    assert last.tick is None


async def test_activity_ticks_count_and_other_guilds_do_not(db: Database) -> None:
    await store(db, GUILD, jump(T1 + timedelta(minutes=5), "zoy-1", T1))
    await put_activity(db, GUILD, "zoy-2", T2)  # known from an activity tally only
    await store(db, OTHER, jump(NOW, "zoy-3", NOW - timedelta(hours=1)))
    await put_activity(db, OTHER, "zoy-4", NOW - timedelta(minutes=30))
    assert await resolve(db, "ct") == ("zoy-2", T2, None)
    assert await resolve(db, "lt") == ("zoy-1", T1, T2)


FORCED = "frc-0123456789abcdef0123"


def two_ticks_and_a_forced_one() -> list[dict[str, Any]]:
    return [
        jump(T1 + timedelta(minutes=5), "zoy-1", T1),
        jump(T2 + timedelta(minutes=5), "zoy-2", T2),
        jump(T2 + timedelta(hours=2), FORCED, T2 + timedelta(hours=1)),
    ]


async def test_forced_and_timeless_ticks_are_skipped(db: Database) -> None:
    timeless = jump(T2 + timedelta(hours=3), "unknown_tickid", None, cmdr="New")
    await store(db, GUILD, *two_ticks_and_a_forced_one(), timeless)
    async with db.tenant(GUILD) as session:
        ticks = await latest_ticks(session, 10)
    assert [(t.tickid, t.ticktime) for t in ticks] == [("zoy-2", T2), ("zoy-1", T1)]


async def test_calendar_codes_need_no_data(db: Database) -> None:
    day = datetime(2026, 11, 26, tzinfo=UTC)
    assert await resolve(db, "cd") == (None, day, day + timedelta(days=1))
    assert await resolve(db, "all") == (None, None, None)
    async with db.tenant(GUILD) as session:
        with pytest.raises(UnknownPeriodError):
            await resolve_period(session, "today", NOW)
        assert (await resolve_period(session, None, NOW)).code == "ct"


async def test_a_period_naming_one_of_the_guilds_ticks(db: Database) -> None:
    await store(db, GUILD, *two_ticks_and_a_forced_one())
    await store(db, OTHER, jump(NOW, "zoy-3", NOW - timedelta(hours=1)))
    assert await resolve(db, "zoy-1") == ("zoy-1", T1, T2)
    assert await resolve(db, "zoy-2") == ("zoy-2", T2, None)
    async with db.tenant(GUILD) as session:
        named = await resolve_period(session, "zoy-1", NOW)
        assert named.by_tick and named.label == "Tick of 2026-11-25 11:00 UTC"
        # another guild's tick, a forced one, one never seen: not this guild's ticks
        for unknown in ("zoy-3", FORCED, "zoy-9"):
            with pytest.raises(UnknownPeriodError):
                await resolve_period(session, unknown, NOW)
