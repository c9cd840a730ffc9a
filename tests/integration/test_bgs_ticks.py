"""The tick monitor against both tick sources faked on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bgs.ticks import (
    FALLBACK,
    MANUAL,
    PRIMARY,
    TickRecord,
    tick_overdue,
    tick_status,
)
from db.database import Database
from db.models import GalaxyTick
from feeds.ticks import TickMonitor
from tests.fakes.tick_source import FakeTickSource, Mode

NOW = datetime.now(UTC).replace(microsecond=0)
OLD_TICK = NOW - timedelta(hours=26)
LAST_TICK = NOW - timedelta(hours=20)
NEW_TICK = NOW - timedelta(minutes=7) + timedelta(milliseconds=123)  # Zoy: milliseconds
EDCD_TICK = NOW - timedelta(minutes=7) + timedelta(seconds=4)  # EDCD: whole seconds


@pytest.fixture
async def fake() -> AsyncIterator[FakeTickSource]:
    async with FakeTickSource() as source:
        source.primary.tick = NEW_TICK
        source.fallback.tick = EDCD_TICK
        yield source


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def monitor(db: Database, http: aiohttp.ClientSession, fake: FakeTickSource) -> TickMonitor:
    return TickMonitor(db, http, fake.settings(timeout=0.3))


async def stored(db: Database) -> list[tuple[datetime, str]]:
    async with db.unscoped() as session:
        rows = await session.execute(
            select(GalaxyTick.tick_time, GalaxyTick.source).order_by(GalaxyTick.tick_time)
        )
        return [(row.tick_time, row.source) for row in rows]


async def seed(db: Database, http: aiohttp.ClientSession, fake: FakeTickSource) -> None:
    """A tick stored earlier (as after yesterday's poll)."""
    result = await monitor(db, http, fake).set_manual(LAST_TICK, now=NOW)
    assert result.new


async def test_new_tick_from_the_primary_is_stored_and_announced_once(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    await seed(db, http, fake)
    ticks = monitor(db, http, fake)

    first = await ticks.poll(now=NOW)
    again = await ticks.poll(now=NOW + timedelta(minutes=5))

    assert first.new and first.announce
    assert first.source == PRIMARY
    assert first.latest is not None and first.latest.tick_time == NEW_TICK
    assert first.previous is not None and first.previous.tick_time == LAST_TICK
    assert first.source_errors == {} and not first.overdue
    assert not again.new and not again.announce
    assert again.rejected == "same tick as the last stored"
    assert await stored(db) == [(LAST_TICK, MANUAL), (NEW_TICK, PRIMARY)]
    # The primary was fresh both times: the fallback (false ticks) was never asked.
    assert fake.fallback.requests == 0


async def test_first_tick_on_an_empty_database_is_a_baseline_not_news(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    result = await monitor(db, http, fake).poll(now=NOW)

    assert result.new and not result.announce
    assert await stored(db) == [(NEW_TICK, PRIMARY)]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (Mode.DOWN, "HTTP 500"),
        (Mode.REFUSED, "ClientConnectorError"),
        (Mode.GARBAGE, "not JSON"),
        (Mode.WRONG_SHAPE, "lastGalaxyTick missing"),
        (Mode.FUTURE, "in the future"),
        (Mode.SLOW, "no answer within 0.3 s"),
        (Mode.HUGE, "answer longer than 65536 bytes"),
    ],
)
async def test_failing_primary_falls_back(
    db: Database,
    http: aiohttp.ClientSession,
    fake: FakeTickSource,
    mode: Mode,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seed(db, http, fake)
    fake.primary.mode = mode
    caplog.set_level(logging.WARNING, logger="feeds.ticks")

    result = await monitor(db, http, fake).poll()

    assert result.new and result.announce
    assert result.source == FALLBACK
    assert reason in result.source_errors[PRIMARY]
    assert await stored(db) == [(LAST_TICK, MANUAL), (EDCD_TICK, FALLBACK)]
    assert any(
        "tick source zoy" in record.getMessage() and reason in record.getMessage()
        for record in caplog.records
    )


async def test_stale_primary_falls_back_to_a_newer_tick(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    await seed(db, http, fake)
    fake.primary.tick = OLD_TICK

    result = await monitor(db, http, fake).poll(now=NOW)

    assert result.new and result.source == FALLBACK
    assert fake.fallback.requests == 1
    assert await stored(db) == [(LAST_TICK, MANUAL), (EDCD_TICK, FALLBACK)]


async def test_stale_primary_and_an_older_fallback_keep_the_primary(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    fake.primary.tick = OLD_TICK
    fake.fallback.tick = OLD_TICK - timedelta(days=1)

    result = await monitor(db, http, fake).poll(now=NOW)

    assert result.source == PRIMARY and result.new
    assert result.overdue  # the newest tick known is 26 hours old


async def test_both_sources_failing_stores_nothing_and_the_watchdog_fires(
    db: Database,
    http: aiohttp.ClientSession,
    fake: FakeTickSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await monitor(db, http, fake).set_manual(OLD_TICK, now=NOW)
    fake.primary.mode = Mode.DOWN
    fake.fallback.mode = Mode.GARBAGE
    caplog.set_level(logging.WARNING, logger="feeds.ticks")

    ticks = monitor(db, http, fake)
    result = await ticks.poll(now=NOW)
    status = await tick_status(db, now=NOW)
    await ticks.poll(now=NOW + timedelta(minutes=5))  # still overdue: no second warning

    assert not result.new and result.candidate is None
    assert set(result.source_errors) == {PRIMARY, FALLBACK}
    assert result.overdue and status.overdue
    assert status.latest is not None and status.latest.tick_time == OLD_TICK
    assert status.age == timedelta(hours=26)
    assert ["tick watchdog" in r.getMessage() for r in caplog.records].count(True) == 1
    assert await stored(db) == [(OLD_TICK, MANUAL)]

    fake.primary.mode = Mode.NORMAL
    caplog.set_level(logging.INFO, logger="feeds.ticks")
    recovered = await ticks.poll(now=NOW + timedelta(minutes=10))
    assert recovered.announce and not recovered.overdue
    assert "tick watchdog: ticks are arriving again" in caplog.messages


def test_watchdog_fires_after_25_hours() -> None:
    def tick(age: timedelta) -> TickRecord:
        return TickRecord(NOW - age, PRIMARY, NOW - age)

    assert tick_overdue(None, NOW)
    assert not tick_overdue(tick(timedelta(hours=24, minutes=59)), NOW)
    assert tick_overdue(tick(timedelta(hours=25, minutes=1)), NOW)


async def test_future_ticks_from_both_sources_are_refused(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    await seed(db, http, fake)
    fake.primary.mode = Mode.FUTURE
    fake.fallback.mode = Mode.FUTURE

    result = await monitor(db, http, fake).poll()

    assert not result.new
    assert "in the future" in result.source_errors[PRIMARY]
    assert "in the future" in result.source_errors[FALLBACK]
    assert await stored(db) == [(LAST_TICK, MANUAL)]


async def test_a_tick_within_minutes_of_the_last_is_a_duplicate(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    await monitor(db, http, fake).set_manual(NEW_TICK - timedelta(minutes=10), now=NOW)

    result = await monitor(db, http, fake).poll(now=NOW)

    assert not result.new
    assert result.rejected is not None and "a duplicate" in result.rejected


async def test_an_older_tick_than_the_stored_one_is_refused(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    later = NOW + timedelta(hours=3)
    assert (await monitor(db, http, fake).set_manual(NEW_TICK + timedelta(hours=2), now=later)).new

    result = await monitor(db, http, fake).poll(now=later)

    assert not result.new
    assert result.rejected is not None and result.rejected.startswith("older than")


async def test_restart_with_a_stored_tick_announces_nothing(
    database_url: str, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    before = Database(database_url)
    try:
        await seed(before, http, fake)
        assert (await monitor(before, http, fake).poll(now=NOW)).announce
    finally:
        await before.dispose()

    after = Database(database_url)  # a new process on the same database
    try:
        result = await monitor(after, http, fake).poll(now=NOW + timedelta(minutes=5))
    finally:
        await after.dispose()

    assert not result.new and not result.announce
    assert result.latest is not None and result.latest.tick_time == NEW_TICK


async def test_two_monitors_on_one_database_store_the_tick_once(
    database_url: str, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        await seed(first, http, fake)
        results = await asyncio.gather(
            monitor(first, http, fake).poll(now=NOW), monitor(second, http, fake).poll(now=NOW)
        )
        ticks = await stored(first)
    finally:
        await first.dispose()
        await second.dispose()

    assert sorted(result.new for result in results) == [False, True]
    assert ticks == [(LAST_TICK, MANUAL), (NEW_TICK, PRIMARY)]


async def test_manual_tick_when_every_source_is_down(
    db: Database, http: aiohttp.ClientSession, fake: FakeTickSource
) -> None:
    await seed(db, http, fake)
    fake.primary.mode = Mode.REFUSED
    fake.fallback.mode = Mode.DOWN
    ticks = monitor(db, http, fake)
    assert not (await ticks.poll(now=NOW)).new

    future = await ticks.set_manual(NOW + timedelta(hours=1), now=NOW)
    manual = await ticks.set_manual(NEW_TICK, now=NOW)
    again = await ticks.set_manual(NEW_TICK + timedelta(minutes=3), now=NOW)

    assert not future.new and future.rejected is not None and "future" in future.rejected
    assert manual.new and manual.announce and manual.source == MANUAL
    assert not again.new
    assert await stored(db) == [(LAST_TICK, MANUAL), (NEW_TICK, MANUAL)]
    with pytest.raises(ValueError, match="timezone-aware"):
        await ticks.set_manual(datetime(2026, 11, 26, 11, 0), now=NOW)


async def test_a_recovering_source_is_logged_once(
    db: Database,
    http: aiohttp.ClientSession,
    fake: FakeTickSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks = monitor(db, http, fake)
    caplog.set_level(logging.DEBUG, logger="feeds.ticks")
    fake.primary.mode = Mode.DOWN
    await ticks.poll(now=NOW)
    await ticks.poll(now=NOW)
    fake.primary.mode = Mode.NORMAL
    await ticks.poll(now=NOW)

    primary_lines = [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.getMessage().startswith("tick source zoy")
    ]
    assert [level for level, _ in primary_lines] == [logging.WARNING, logging.DEBUG, logging.INFO]
    assert "answers again" in primary_lines[-1][1]
