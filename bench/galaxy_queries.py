"""Benchmark of `/faction show` and `/system show` on a galaxy-sized data set (issue 17).

    .venv/bin/python bench/galaxy_queries.py                       # temporary SQLite file
    .venv/bin/python bench/galaxy_queries.py --database-url postgresql+asyncpg://…/empty_db

Creates (or fills an EMPTY) database, migrates it and loads, with bulk Core inserts:
`--systems` systems (default 50,000) with `--factions` factions each (default 6: 300,000 faction
rows), a conflict in one system of 20, and for `--watched` systems (default 500) a year of
influence history (`--ticks` 365 tick periods, one row per system, faction and tick: 1.1
million rows by default). The guild's faction is present in `--ours` of the watched systems
(default 100) and controls about half of them. Then times, after one warm-up run each,
`bgs.galaxy.views.faction_view` for the guild's faction and `system_view` for watched systems
(a different one each run), each in a fresh session, and prints median and p95 in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bgs.galaxy.views import faction_view, system_view
from db import models
from db.database import Database, create_engine
from db.migrate import upgrade

log = logging.getLogger("bench.galaxy_queries")

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
OURS = "Warden Union"
BATCH = 20_000
STATES = ("None", "Boom", "Investment", "Election", "War", "Expansion", "CivilLiberty")


def system_name(index: int) -> str:
    return f"Bench System {index:06d}"


def influences(rng: random.Random, count: int) -> list[float]:
    weights = [rng.random() ** 2 + 0.02 for _ in range(count)]
    total = sum(weights)
    return [weight / total for weight in weights]


def factions_of(index: int, count: int, ours: bool) -> list[str]:
    names = [f"Faction {(index * 7 + offset * 131) % 20_000:05d}" for offset in range(count)]
    if ours:
        names[index % count] = OURS
    return list(dict.fromkeys(names))


def batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class World:
    """The generated galaxy: which systems are watched and which hold the guild's faction."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.watched = sorted(self.rng.sample(range(args.systems), args.watched))
        self.ours = set(self.watched[: args.ours])
        self.ticks = [NOW - timedelta(days=day) for day in range(args.ticks, 0, -1)]

    def members(self, index: int) -> list[tuple[str, float]]:
        names = factions_of(index, self.args.factions, index in self.ours)
        rng = random.Random(index)
        return list(zip(names, influences(rng, len(names)), strict=True))

    def systems(self) -> Iterator[dict[str, Any]]:
        for index in range(self.args.systems):
            members = self.members(index)
            strongest = max(members, key=lambda item: item[1])[0]
            yield {
                "system_address": index + 1,
                "name": system_name(index),
                "x": float(index % 1000),
                "y": 0.0,
                "z": float(index // 1000),
                "population": (index % 97) * 1_000_000,
                "security": "$SYSTEM_SECURITY_medium;",
                "economy": "$economy_Industrial;",
                "second_economy": None,
                "government": "$government_Democracy;",
                "allegiance": "Independent",
                "controlling_faction": strongest,
                "controlling_faction_state": "None",
                "controlling_power": "Aisling Duval" if index % 5 == 0 else None,
                "powers": ["Aisling Duval"] if index % 5 == 0 else [],
                "powerplay_state": "Exploited" if index % 5 == 0 else None,
                "powerplay_control_progress": 0.4 if index % 5 == 0 else None,
                "powerplay_reinforcement": 10 if index % 5 == 0 else None,
                "powerplay_undermining": 5 if index % 5 == 0 else None,
                "powerplay_conflict_progress": [],
                "observed_at": NOW - timedelta(hours=index % 48),
                "received_at": NOW,
                "source": "eddn",
            }

    def factions(self) -> Iterator[dict[str, Any]]:
        for index in range(self.args.systems):
            for position, (name, influence) in enumerate(self.members(index)):
                yield {
                    "system_address": index + 1,
                    "faction": name,
                    "influence": influence,
                    "state": STATES[(index + position) % len(STATES)],
                    "active_states": [STATES[(index + position) % len(STATES)]],
                    "pending_states": [],
                    "recovering_states": [],
                    "government": "$government_Corporate;",
                    "allegiance": "Independent",
                    "happiness": "$Faction_HappinessBand2;",
                    "observed_at": NOW - timedelta(hours=index % 48),
                }

    def conflicts(self) -> Iterator[dict[str, Any]]:
        for index in range(0, self.args.systems, 20):
            members = self.members(index)
            if len(members) < 2:
                continue
            first, second = sorted(name for name, _ in members[:2])
            yield {
                "system_address": index + 1,
                "faction1": first,
                "faction2": second,
                "war_type": "war",
                "status": "active",
                "stake1": None,
                "stake2": None,
                "won_days1": 1,
                "won_days2": 0,
                "observed_at": NOW - timedelta(hours=index % 48),
            }

    def history(self) -> Iterator[dict[str, Any]]:
        for index in self.watched:
            for name, influence in self.members(index):
                drift = random.Random(f"{index}:{name}")
                for tick in self.ticks:
                    yield {
                        "system_address": index + 1,
                        "faction": name,
                        "tick_at": tick,
                        "influence": max(0.0, influence + drift.uniform(-0.05, 0.05)),
                        "state": "None",
                        "observed_at": tick + timedelta(hours=3),
                    }


async def write(
    connection: AsyncConnection, model: type[Any], rows: Iterator[dict[str, Any]]
) -> int:
    count = 0
    for chunk in batches(rows):
        await connection.execute(insert(model.__table__), chunk)
        count += len(chunk)
    log.info("%s: %d rows", model.__tablename__, count)
    return count


async def load(url: str, world: World) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                await connection.execute(text("PRAGMA synchronous=OFF"))
            await connection.execute(
                insert(models.GalaxyTick.__table__),
                [{"tick_time": tick, "source": "zoy", "seen_at": tick} for tick in world.ticks],
            )
            await write(connection, models.GalaxySystem, world.systems())
            await write(connection, models.GalaxyFaction, world.factions())
            await write(connection, models.GalaxyConflict, world.conflicts())
            await write(connection, models.GalaxyInfluence, world.history())
            await connection.commit()
            if engine.dialect.name == "postgresql":
                await connection.execute(text("ANALYZE"))
                await connection.commit()
    finally:
        await engine.dispose()


async def timed(
    db: Database, calls: list[Callable[[AsyncSession], Awaitable[Any]]]
) -> tuple[float, float]:
    """(median ms, p95 ms) of the calls, after the first as a warm-up."""
    samples = []
    for run, call in enumerate(calls):
        async with db.unscoped() as session:
            started = time.perf_counter()
            result = await call(session)
            elapsed = (time.perf_counter() - started) * 1000
        assert result is not None
        if run:
            samples.append(elapsed)
    samples.sort()
    return statistics.median(samples), samples[max(0, math.ceil(0.95 * len(samples)) - 1)]


async def measure(db: Database, world: World, repeat: int) -> None:
    shown = [system_name(index) for index in world.watched]
    views: dict[str, list[Callable[[AsyncSession], Awaitable[Any]]]] = {
        "/faction show (guild's faction)": [
            partial(faction_view, name=OURS) for _ in range(repeat + 1)
        ],
        "/system show (watched systems)": [
            partial(system_view, name=shown[run % len(shown)]) for run in range(repeat + 1)
        ],
    }
    print(f"\n{'query':34} {'median ms':>10} {'p95 ms':>8}")
    for name, calls in views.items():
        median, p95 = await timed(db, calls)
        print(f"{name:34} {median:10.1f} {p95:8.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: temp SQLite file)")
    parser.add_argument("--systems", type=int, default=50_000)
    parser.add_argument("--factions", type=int, default=6, help="factions per system")
    parser.add_argument("--watched", type=int, default=500, help="systems with history")
    parser.add_argument("--ours", type=int, default=100, help="watched systems of our faction")
    parser.add_argument("--ticks", type=int, default=365, help="tick periods of history")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--loaded", help="a database an earlier run loaded with the same options: time only"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    world = World(args)
    if args.loaded:
        db = Database(args.loaded)
        try:
            await measure(db, world, args.repeat)
        finally:
            await db.dispose()
        return
    directory = None if args.database_url else Path(tempfile.mkdtemp(prefix="warden-galaxy-"))
    url = args.database_url or f"sqlite+aiosqlite:///{directory}/bench.db"
    log.info("database: %s", url)
    db = Database(url)
    try:
        await upgrade(db.engine())
        started = time.perf_counter()
        await load(url, world)
        log.info("loaded in %.0f s", time.perf_counter() - started)
        await measure(db, world, args.repeat)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
