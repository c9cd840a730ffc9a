"""EDDN feed benchmark: the real consumer (`feeds.eddn.EddnFeed`, its decoding thread and its
database writes) against a loopback ZeroMQ relay, on a fresh SQLite (or PostgreSQL) database.

    python -m bench.eddn --messages 20000 --rate 200 --duration 30

Two measurements, one after the other:

* **throughput** — `--messages` relay frames sent as fast as the relay thread can, a realistic
  mix: 85 % FSDJump/Location/CarrierJump of `--systems` systems with 5–8 factions (a third of
  them at war), each repeating its system's state (another CMDR jumping in) or, 15 % of them,
  bringing a new one; 8 % copies from another uploader, half of them two hours late; 7 %
  messages the feed drops (Docked, Scan, commodity, Legacy). Prints messages/s from the first
  frame handled to the last (and per CPU second of the process), and the counts by outcome.
* **lag** — `--rate` messages/s for `--duration` s, reports as above with their send time as
  the journal timestamp; the lag is from the send to the commit of its batch.
  Meanwhile a reader runs slash-command-like reads (a system with its factions, a faction's
  systems) every 50 ms; prints lag and read p50/p95/p99.

The relay runs in a thread of its own with the synchronous pyzmq socket, so sending costs the
consumer's event loop nothing. A tenant watching one faction makes the influence history of
its systems part of the writes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import zmq
from sqlalchemy import select

from bgs.galaxy.feed import feed_counts_text, feed_status
from bgs.galaxy.snapshot import SystemChange, SystemSnapshot
from bgs.galaxy.writer import GalaxyWriter
from bgs.leadership import Leadership
from db.database import Database
from db.migrate import upgrade
from db.models import GalaxyFaction, GalaxySystem, Tenant
from feeds.eddn import EddnFeed

JOURNAL = "https://eddn.edcd.io/schemas/journal/1"
WATCHED_FACTION = "Faction 7"
HEADER = {
    "gamebuild": "r308767/r0 ",
    "gameversion": "4.0.0.1904",
    "softwareName": "bench",
    "softwareVersion": "1",
    "uploaderID": "0" * 40,
}


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jump(system: int, at: datetime, rng: random.Random) -> dict[str, Any]:
    count = rng.randint(5, 8)
    names = [f"Faction {(system * 7 + n * 13) % 3000}" for n in range(count)]
    shares = [rng.random() + 0.05 for _ in names]
    total = sum(shares)
    factions = [
        {
            "Name": name,
            "Influence": round(share / total, 6),
            "FactionState": "None",
            "Government": "$government_Corporate;",
            "Allegiance": "Independent",
            "Happiness": "$Faction_HappinessBand2;",
            "ActiveStates": [{"State": "Boom"}],
            "PendingStates": [{"State": "Expansion", "Trend": 0}],
        }
        for name, share in zip(names, shares, strict=True)
    ]
    message: dict[str, Any] = {
        "event": rng.choice(["FSDJump", "FSDJump", "FSDJump", "Location", "CarrierJump"]),
        "timestamp": stamp(at),
        "StarSystem": f"Bench {system}",
        "SystemAddress": 10_000_000 + system,
        "StarPos": [system * 0.5, -system * 0.25, 3.0],
        "Population": 1_000_000 + system,
        "SystemAllegiance": "Independent",
        "SystemEconomy": "$economy_Industrial;",
        "SystemGovernment": "$government_Corporate;",
        "SystemSecurity": "$SYSTEM_SECURITY_medium;",
        "SystemFaction": {"Name": names[0], "FactionState": "Boom"},
        "Factions": factions,
        "ControllingPower": "Felicia Winters",
        "Powers": ["Felicia Winters"],
        "PowerplayState": "Fortified",
        "PowerplayStateControlProgress": 0.4,
        "PowerplayStateReinforcement": 1500,
        "PowerplayStateUndermining": 300,
        "odyssey": True,
        "horizons": True,
    }
    if system % 3 == 0:
        message["Conflicts"] = [
            {
                "WarType": "war",
                "Status": "active",
                "Faction1": {"Name": names[0], "Stake": "Port", "WonDays": 1},
                "Faction2": {"Name": names[1], "Stake": "", "WonDays": 2},
            }
        ]
    return {"$schemaRef": JOURNAL, "header": HEADER, "message": message}


def frame(envelope: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(envelope, sort_keys=True).encode())


def dropped(rng: random.Random, at: datetime) -> dict[str, Any]:
    kind = rng.choice(["docked", "scan", "commodity", "legacy"])
    if kind == "commodity":
        return {"$schemaRef": "https://eddn.edcd.io/schemas/commodity/3", "header": HEADER}
    envelope = jump(1, at, rng)
    if kind == "legacy":
        envelope["header"] = {**HEADER, "gameversion": "3.8.0.1400"}
    else:
        envelope["message"] = {"event": "Docked" if kind == "docked" else "Scan"}
    return envelope


class Galaxy:
    """The systems' states: a report repeats its system's state (another CMDR jumping in) or,
    with probability `CHANGE`, brings a new one (influence moves once a tick, but each system
    is reported many times a tick)."""

    CHANGE = 0.15

    def __init__(self, systems: int, rng: random.Random) -> None:
        self.systems = systems
        self.rng = rng
        self.states: dict[int, dict[str, Any]] = {}

    def report(self, at: datetime) -> dict[str, Any]:
        system = self.rng.randrange(self.systems)
        state = self.states.get(system)
        if state is None or self.rng.random() < self.CHANGE:
            state = self.states[system] = jump(system, at, self.rng)
        envelope: dict[str, Any] = json.loads(json.dumps(state))
        envelope["message"]["timestamp"] = stamp(at)
        return envelope


def mix(count: int, galaxy: Galaxy) -> list[bytes]:
    """The throughput mix (see the module docstring)."""
    rng = galaxy.rng
    start = datetime.now(UTC) - timedelta(days=1)
    sent: list[dict[str, Any]] = []
    for n in range(count):
        at = start + timedelta(milliseconds=n)
        roll = rng.random()
        if roll < 0.08 and n:
            old = galaxy.report(at)  # another uploader's copy, half of them hours late
            if rng.random() < 0.5:
                old["message"]["timestamp"] = stamp(at - timedelta(hours=2))
            sent.append(old)
        elif roll < 0.15:
            sent.append(dropped(rng, at))
        else:
            sent.append(galaxy.report(at))
    return [frame(envelope) for envelope in sent]


class Relay(threading.Thread):
    """A PUB socket in its own thread; `send` queues frames, `pace` sends `rate` a second."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.PUB)
        self.socket.setsockopt(zmq.SNDHWM, 1_000_000)
        self.port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self.frames: list[bytes] = []
        self.rate = 0.0
        self.start_at = 0.0  # wall time (s) of the first paced send

    def run(self) -> None:
        if not self.rate:
            for item in self.frames:
                self.socket.send(item)
            return
        for index, item in enumerate(self.frames):
            delay = self.start_at + index / self.rate - time.time()
            if delay > 0:
                time.sleep(delay)
            self.socket.send(item)

    def close(self) -> None:
        self.socket.close(linger=0)
        self.context.term()


class LagWriter(GalaxyWriter):
    """Records, for each stored change, the time from its journal timestamp (the send time)
    to the commit of its batch."""

    lags: list[float]

    async def store(
        self, snapshots: Sequence[SystemSnapshot], source: str, now: datetime | None = None
    ) -> list[SystemChange]:
        changes = await super().store(snapshots, source, now)
        committed = datetime.now(UTC)
        self.lags += [(committed - change.after.observed_at).total_seconds() for change in changes]
        return changes


def percentiles(values: Sequence[float]) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100)
    return (
        f"p50 {cuts[49] * 1000:.0f} ms, p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms"
    )


async def reads(db: Database, systems: int, stop: asyncio.Event, timings: list[float]) -> None:
    """Slash-command-like reads: a system with its factions, then a faction's systems."""
    rng = random.Random(7)
    while not stop.is_set():
        started = time.perf_counter()
        async with db.unscoped() as session:
            name = f"Bench {rng.randrange(systems)}"
            system = (
                await session.execute(select(GalaxySystem).where(GalaxySystem.name == name))
            ).scalar()
            if system is not None:
                await session.execute(
                    select(GalaxyFaction)
                    .where(GalaxyFaction.system_address == system.system_address)
                    .order_by(GalaxyFaction.influence.desc())
                )
            await session.execute(
                select(GalaxyFaction.system_address, GalaxyFaction.influence).where(
                    GalaxyFaction.faction == f"Faction {rng.randrange(3000)}"
                )
            )
        timings.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)


async def until(check: Callable[[], bool], within: float = 600.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the consumer did not finish within {within} s")
        await asyncio.sleep(0.002)


async def consume(db: Database, relay: Relay, writer: GalaxyWriter, count: int) -> float:
    """Run the consumer until `count` frames are handled; seconds from the first to the last."""
    feed = EddnFeed(f"tcp://127.0.0.1:{relay.port}", 60, db, writer, Leadership(db, "eddn"))
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.sleep(0.5)  # the subscription reaches the relay
        relay.start()
        await until(lambda: feed.handled > 0)
        first, cpu = time.perf_counter(), time.process_time()
        await until(lambda: feed.handled >= count)
        elapsed = time.perf_counter() - first
        print(f"  {count / (time.process_time() - cpu):,.0f} messages per CPU second (all threads)")
        await feed.flush()
        return elapsed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--systems", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=30.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = options.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'eddn.db'}"
        db = Database(url)
        await upgrade(db.engine())
        async with db.tenant_write(1) as session:
            now = datetime.now(UTC)
            session.add(
                Tenant(name="bench", faction=WATCHED_FACTION, source="discord", registered_at=now)
            )
        rng = random.Random(1)
        try:
            relay = Relay()
            galaxy = Galaxy(options.systems, rng)
            relay.frames = mix(options.messages, galaxy)
            print(f"throughput: {options.messages:,} frames, {options.systems:,} systems")
            elapsed = await consume(db, relay, GalaxyWriter(db), options.messages)
            print(f"  {options.messages / elapsed:,.0f} messages/s ({elapsed:.1f} s)")
            status = await feed_status(db, True, datetime.now(UTC))
            print(f"  {feed_counts_text(status)}")
            relay.join()
            relay.close()

            count = int(options.rate * options.duration)
            relay = Relay()
            relay.rate = options.rate
            start = datetime.now(UTC) + timedelta(seconds=1)
            relay.start_at = start.timestamp()
            relay.frames = [
                frame(galaxy.report(start + timedelta(seconds=n / options.rate)))
                for n in range(count)
            ]
            writer = LagWriter(db)
            writer.lags = []
            timings: list[float] = []
            stop = asyncio.Event()
            reader = asyncio.create_task(reads(db, options.systems, stop, timings))
            print(f"lag: {options.rate:g} messages/s for {options.duration:g} s, reads every 50 ms")
            await consume(db, relay, writer, count)
            stop.set()
            await reader
            print(f"  relay to stored: {percentiles(writer.lags)} ({len(writer.lags):,} stored)")
            print(f"  reads: {percentiles(timings)} ({len(timings):,} reads)")
            relay.join()
            relay.close()
        finally:
            await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
