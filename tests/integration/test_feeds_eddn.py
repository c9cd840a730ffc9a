"""The EDDN consumer against a loopback relay speaking the real protocol (a ZeroMQ PUB socket,
zlib-compressed JSON frames), on SQLite and PostgreSQL: what it keeps, what it drops and why,
out-of-order and duplicate reports, a relay restart and a silent relay."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bgs.galaxy.feed import feed_line, feed_status
from bgs.galaxy.writer import GalaxyWriter
from bgs.leadership import Leadership
from db.database import Database
from db.models import GalaxyFeedCount, GalaxySystem
from feeds.eddn import EddnFeed
from tests.fakes.eddn_relay import FakeRelay, frame_of
from tests.helpers.eddn import ALPHA, BETA, fsdjump, sample, sample_names

PROBE = b"probe: not zlib"


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until `check()` holds (what the consumer does happens in its own task)."""
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {within} s")
        await asyncio.sleep(0.01)


@dataclass
class Running:
    feed: EddnFeed
    relay: FakeRelay
    db: Database

    async def wait_handled(self, count: int, within: float = 10.0) -> None:
        await until(lambda: self.feed.handled >= count, within)

    async def join(self) -> None:
        """Send probes until the consumer's subscription reached the relay (a PUB drops what it
        sends before), then forget what the probes counted."""
        while self.feed.handled == 0:
            await self.relay.send_frame(PROBE)
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        await self.feed.flush()
        async with self.db.unscoped_write() as session:
            await session.execute(delete(GalaxyFeedCount))

    async def one(self, frame: bytes) -> None:
        """Send one frame and wait until it is handled."""
        target = self.feed.handled + 1
        await self.relay.send_frame(frame)
        await self.wait_handled(target)

    async def counts(self) -> dict[str, int]:
        await self.feed.flush()
        status = await feed_status(self.db, True, datetime.now(UTC))
        return status.counts


@contextlib.asynccontextmanager
async def consuming(
    db: Database, relay: FakeRelay, silence: float = 30.0, backoff: float = 1.0
) -> AsyncIterator[Running]:
    leadership = Leadership(db, "eddn", retry=0.1)
    feed = EddnFeed(
        relay.url,
        silence,
        db,
        GalaxyWriter(db),
        leadership,
        backoff_first=backoff,
        flush_every=3600,
    )
    tasks = [asyncio.create_task(leadership.run()), asyncio.create_task(feed.run())]
    try:
        yield Running(feed, relay, db)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
async def running(db: Database, relay: FakeRelay) -> AsyncIterator[Running]:
    async with consuming(db, relay) as running:
        await running.join()
        yield running


async def stored_time(db: Database, address: int) -> datetime | None:
    async with db.unscoped() as session:
        return (
            await session.execute(
                select(GalaxySystem.observed_at).where(GalaxySystem.system_address == address)
            )
        ).scalar()


async def test_the_samples_keep_what_they_should_and_count_every_drop(running: Running) -> None:
    for name in sample_names():
        await running.one(frame_of(sample(name)))
    assert await running.counts() == {
        "kept": 6,  # 01, 02 (newer, the same state), 04, 07, 10, 12
        "stale": 1,  # 06, older than 01
        "other_schema": 1,  # 03, commodity
        "other_event": 1,  # 05, Docked
        "legacy": 1,  # 08
        "test_schema": 1,  # 09
        "invalid_factions": 1,  # 11
    }
    assert await stored_time(running.db, ALPHA) == datetime(2026, 11, 29, 14, 2, 10, tzinfo=UTC)
    assert await stored_time(running.db, BETA) == datetime(2026, 11, 27, 16, 44, 2, tzinfo=UTC)


def _with(envelope: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(envelope)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return changed


_DELETE = object()
TEN = sample(10)
NOW = datetime.now(UTC)
FUTURE = (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
BAD_FRAMES: list[tuple[str, bytes]] = [
    ("not_zlib", b"not zlib"),
    ("not_zlib", gzip.compress(json.dumps(TEN).encode())),
    ("not_zlib", zlib.compress(json.dumps(TEN).encode())[2:]),  # raw deflate
    ("not_json", zlib.compress(b"{")),
    ("not_json", zlib.compress(b'{"a": "\xff\xfe"}')),  # not UTF-8
    ("invalid_factions", zlib.compress(json.dumps(TEN).replace("0.63", "NaN").encode())),
    ("invalid_factions", zlib.compress(json.dumps(TEN).replace("0.63", "Infinity").encode())),
    (
        "other_schema",
        frame_of(_with(TEN, "$schemaRef", "https://eddn.edcd.io/schemas/fssbodysignals/1")),
    ),
    (
        "test_schema",
        frame_of(_with(TEN, "$schemaRef", "https://eddn.edcd.io/schemas/journal/1/test")),
    ),
    ("legacy", frame_of(_with(TEN, "header.gameversion", "3.8.0.1400"))),
    ("legacy", frame_of(_with(TEN, "header.gameversion", "CAPI-Legacy-market"))),
    ("no_gameversion", frame_of(_with(TEN, "header.gameversion", ""))),
    ("no_gameversion", frame_of(_with(TEN, "header.gameversion", _DELETE))),
    ("invalid_system", frame_of(_with(TEN, "message.SystemAddress", _DELETE))),
    ("invalid_system", frame_of(_with(TEN, "message.SystemAddress", 2**63))),
    ("invalid_number", frame_of(_with(TEN, "message.Population", 10**30))),
    ("invalid_powerplay", frame_of(_with(TEN, "message.PowerplayStateReinforcement", 1e300))),
    ("invalid_text", frame_of(_with(TEN, "message.StarSystem", "Beta \ud800"))),
    ("invalid_text", frame_of(_with(TEN, "message.Factions.0.Name", "Beta\x00Union"))),
    ("invalid_factions", frame_of(_with(TEN, "message.Factions", None))),
    ("invalid_factions", frame_of(_with(TEN, "message.Factions.0.Influence", "0.63"))),
    ("invalid_conflicts", frame_of(_with(TEN, "message.Conflicts", None))),
    ("invalid_timestamp", frame_of(_with(TEN, "message.timestamp", "yesterday"))),
    ("future", frame_of(_with(TEN, "message.timestamp", FUTURE))),
    ("invalid_envelope", frame_of(["not", "an", "envelope"])),
]


async def test_each_bad_frame_is_dropped_for_its_reason_and_stores_nothing(
    running: Running,
) -> None:
    expected: dict[str, int] = {}
    for reason, frame in BAD_FRAMES:
        await running.one(frame)
        expected[reason] = expected.get(reason, 0) + 1
    assert await running.counts() == expected
    assert await stored_time(running.db, BETA) is None


async def test_out_of_order_and_duplicate_reports_leave_the_newest(running: Running) -> None:
    for number in (12, 1, 6, 2, 12):
        await running.one(frame_of(sample(number)))
    assert await running.counts() == {"kept": 1, "stale": 4}
    assert await stored_time(running.db, ALPHA) == datetime(2026, 11, 29, 14, 2, 10, tzinfo=UTC)


async def test_a_burst_is_stored_whole(running: Running) -> None:
    start = datetime(2026, 11, 26, 12, tzinfo=UTC)
    frames = [
        frame_of(fsdjump(10_000 + n % 500, start + timedelta(seconds=n), {"A": 0.6, "B": 0.4}))
        for n in range(3000)
    ]
    target = running.feed.handled + len(frames)
    for frame in frames:
        await running.relay.send_frame(frame)
    await running.wait_handled(target, within=60)
    counts = await running.counts()
    assert counts["kept"] + counts["stale"] == 3000 and counts["kept"] >= 500
    assert await stored_time(running.db, 10_499) == start + timedelta(seconds=2999)


async def test_a_relay_restart_is_followed(running: Running) -> None:
    await running.one(frame_of(sample(1)))
    await running.relay.restart()
    while await stored_time(running.db, BETA) is None:  # the PUB drops frames until rejoined
        await running.relay.send(sample(4))
        await asyncio.sleep(0.05)
    assert running.feed.connections == 1  # ZeroMQ reconnected by itself


async def test_a_silent_relay_is_reconnected_and_status_says_so(
    db: Database, relay: FakeRelay
) -> None:
    async with consuming(db, relay, silence=0.3, backoff=0.05) as running:
        await running.join()
        await until(lambda: running.feed.connections >= 3)
        await running.feed.flush()
        ok, text, _ = feed_line(await feed_status(db, True, datetime.now(UTC)))
        assert ok is False and text.startswith("silent since {at}: reconnecting")
        while await stored_time(db, BETA) is None:
            await relay.send(sample(4))
            await asyncio.sleep(0.05)
        await running.feed.flush()
        ok, text, _ = feed_line(await feed_status(db, True, datetime.now(UTC)))
        assert ok is True and text.startswith(f"connected to `{relay.url}`")


async def test_an_unreachable_relay_neither_crashes_nor_stores(db: Database) -> None:
    relay = FakeRelay()  # never bound: nothing listens on its port
    relay.port = 1
    async with consuming(db, relay, silence=0.1, backoff=0.05) as running:
        await until(lambda: running.feed.connections >= 3)
        assert running.feed.handled == 0


@pytest.mark.postgres
async def test_of_two_processes_exactly_one_consumes(postgres_url: str, relay: FakeRelay) -> None:
    first, second = Database(postgres_url), Database(postgres_url)  # two processes' pools
    try:
        async with (
            consuming(first, relay) as one,
            consuming(second, relay) as two,
        ):
            await until(lambda: one.feed.leadership.leading or two.feed.leadership.leading)
            leader, follower = (one, two) if one.feed.leadership.leading else (two, one)
            await leader.join()
            target = leader.feed.handled + 20
            for n in range(20):
                await relay.send_frame(PROBE + str(n).encode())
            await leader.wait_handled(target)
            assert follower.feed.handled == 0 and follower.feed.connections == 0
            assert not follower.feed.leadership.leading
    finally:
        await first.dispose()
        await second.dispose()
