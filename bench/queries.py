"""Benchmark of the summary queries (issue 6) on a large synthetic data set.

    .venv/bin/python bench/queries.py --events 1000000 --noise 1000000

Creates a fresh database (a temporary SQLite file unless --database-url names an empty one),
migrates it, loads `--events` synthetic plugin events for one guild and `--noise` events spread
over other guilds, with their typed rows and per-tick activity tallies, builds their rollups
(as `bot.py rollups rebuild` does), on PostgreSQL runs `ANALYZE` (as autovacuum would in
time), prints the database's size per stored event, then times every summary query of
`bgs.summaries` as the commands and posts ask for it (influence by faction: the five best, in
top-5; activity per cmdr and one cmdr's) for every period code (`--periods`) and prints
median and p95 in milliseconds (nearest rank: with 15 runs, the slowest), with the heap frozen
as the bot freezes it once it is up. `--prune-days N` then prunes the raw events older than N
days, compacts the file and prints size and timings again.

The events are plugin-shaped dicts turned into rows by the real parsers (`bgs.events`); they
are written with bulk Core inserts in large batches (explicit ids, so typed rows can point at
their events without a round trip per event). `--index` creates an extra index before timing,
to measure an index proposal without touching the schema.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bgs import summaries
from bgs.events import parse_envelope, typed_rows
from bgs.periods import PERIOD_CODES, Period, latest_ticks, period_choices, resolve_period
from bgs.retention import cutoff, prune_guild
from bgs.rollups.activities import FACTION_COLUMNS
from bgs.rollups.rebuild import rebuild
from bgs.tallies import RESCUE_ITEMS, TW_KILL_TYPES, TW_RESCUE_ITEMS, counted
from db import models
from db.database import Database, create_engine
from db.migrate import upgrade
from warden.run import freeze_startup_heap

log = logging.getLogger("bench.queries")

GUILD = 1001
NOISE_GUILDS = tuple(range(2001, 2010))
GUILD_FACTION = "Warden Union"
BUSIEST_CMDR = f"CMDR {GUILD}-000"  # cmdrs' weights fall with their number (`build_guild`)
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
DAYS = 400
BATCH_EVENTS = 25_000

# Event mix (weights): what a BGS squadron's plugins send, journal events without typed rows
# included.
EVENT_WEIGHTS = {
    "FSDJump": 120,
    "Location": 15,
    "Docked": 90,
    "CarrierJump": 3,
    "ApproachSettlement": 10,
    "MissionAccepted": 60,
    "MissionAbandoned": 5,
    "ShipTargeted": 120,
    "Died": 3,
    "MarketBuy": 80,
    "MarketSell": 80,
    "MissionCompleted": 60,
    "MissionFailed": 5,
    "RedeemVoucher": 40,
    "FactionKillBond": 50,
    "CommitCrime": 10,
    "SellExplorationData": 10,
    "MultiSellExplorationData": 10,
    "SyntheticCZ": 12,
    "SyntheticGroundCZ": 6,
    "SyntheticScenario": 4,
    "SyntheticCZObjective": 3,
}
COMMODITIES = ("gold", "silver", "palladium", "tritium", "agronomictreatment", "bertrandite")
STATES = ("None", "Boom", "War", "Election", "Expansion", "Investment", "CivilUnrest")


def stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Guild:
    """One guild's slice of the synthetic galaxy."""

    guild_id: int
    cmdrs: list[str]
    cmdr_weights: list[float]
    home: dict[str, list[int]]  # cmdr -> indexes of the systems they work in
    events_per_tick: float


@dataclass
class World:
    systems: list[tuple[str, int]]  # (name, address)
    factions: list[list[str]]  # per system, its factions (the first controls it)
    ticks: list[tuple[str, datetime]]
    event_names: list[str] = field(default_factory=lambda: list(EVENT_WEIGHTS))
    event_cum: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = 0.0
        for weight in EVENT_WEIGHTS.values():
            total += weight
            self.event_cum.append(total)


def build_world(seed: int) -> World:
    rng = random.Random(seed)
    systems = [(f"Bench System {i:04d}", 10_000_000 + i) for i in range(600)]
    pool = [f"Faction {i:04d}" for i in range(1200)]
    factions = []
    for index in range(len(systems)):
        names = rng.sample(pool, rng.randint(4, 7))
        if index % 8 == 0:  # the guild's faction is present in every eighth system
            names[rng.randrange(len(names))] = GUILD_FACTION
        factions.append(names)
    ticks = []
    for day in range(DAYS, -1, -1):
        when = (NOW - timedelta(days=day)).replace(hour=11, minute=0, second=0)
        when += timedelta(minutes=rng.randint(-90, 120))
        if when > NOW:
            continue
        tickid = "zoy-" + hashlib.shake_128(stamp(when).encode()).hexdigest(10)
        ticks.append((tickid, when))
    return World(systems, factions, ticks)


def build_guild(
    world: World, rng: random.Random, guild_id: int, cmdr_count: int, events: int
) -> Guild:
    region = rng.sample(range(len(world.systems)), 150)
    if guild_id == GUILD:  # the guild works where its faction is
        region[:40] = range(0, 320, 8)
    cmdrs = [f"CMDR {guild_id}-{i:03d}" for i in range(cmdr_count)]
    weights = [1 / (i + 1) ** 0.8 for i in range(cmdr_count)]
    home = {cmdr: rng.sample(region, 8) for cmdr in cmdrs}
    return Guild(guild_id, cmdrs, weights, home, events / len(world.ticks))


# --------------------------------------------------------------------------------------------
# Synthetic plugin events
# --------------------------------------------------------------------------------------------


def influence_entry(rng: random.Random, address: int) -> dict[str, Any]:
    down = rng.random() < 0.15
    return {
        "SystemAddress": address,
        "Trend": "DownBad" if down else "UpGood",
        "Influence": "+" * rng.randint(1, 5),
    }


def event_payload(
    world: World, rng: random.Random, name: str, system: int, seq: int
) -> dict[str, Any]:
    """The type-specific fields of one plugin event."""
    factions = world.factions[system]
    address = world.systems[system][1]
    faction = rng.choice(factions)
    data: dict[str, Any] = {"BenchSeq": seq}
    if name == "MarketBuy":
        count, price = rng.randint(1, 790), rng.randint(100, 12_000)
        data |= {
            "Type": rng.choice(COMMODITIES),
            "Count": count,
            "BuyPrice": price,
            "TotalCost": count * price,
            "Stock": 4000,
            "StockBracket": 3,
        }
    elif name == "MarketSell":
        count, price = rng.randint(1, 790), rng.randint(100, 14_000)
        data |= {
            "Type": rng.choice(COMMODITIES),
            "Count": count,
            "SellPrice": price,
            "TotalSale": count * price,
            "AvgPricePaid": int(price * rng.uniform(0.6, 1.1)),
            "Demand": 900,
            "DemandBracket": 2,
            "BlackMarket": rng.random() < 0.03,
        }
    elif name == "MissionCompleted":
        effects = [
            {
                "Faction": f,
                "Effects": [],
                "Influence": [influence_entry(rng, address)],
                "Reputation": "++",
                "ReputationTrend": "UpGood",
            }
            for f in rng.sample(factions, rng.randint(1, 2))
        ]
        data |= {
            "Faction": faction,
            "Name": "Mission_Delivery_name",
            "MissionID": seq,
            "Reward": rng.randint(10_000, 2_000_000),
            "FactionEffects": effects,
        }
    elif name == "MissionFailed":
        data |= {"Name": "Mission_Massacre_name", "MissionID": seq, "Fine": rng.randint(0, 5)}
    elif name == "RedeemVoucher":
        kind = rng.choices(("bounty", "CombatBond", "trade", "settlement"), (6, 3, 1, 1))[0]
        amount = rng.randint(10_000, 5_000_000)
        data |= {"Type": kind, "Amount": amount}
        if kind == "bounty":
            data["Factions"] = [{"Faction": faction, "Amount": amount}]
        else:
            data["Faction"] = faction
    elif name == "FactionKillBond":
        data |= {
            "Reward": rng.randint(5_000, 400_000),
            "AwardingFaction": faction,
            "VictimFaction": rng.choice(factions),
        }
    elif name == "CommitCrime":
        crime = rng.choice(("murder", "assault", "fireInNoFireZone", "onFoot_murder"))
        data |= {
            "CrimeType": crime,
            "Faction": faction,
            "Victim": "Someone",
            "Bounty" if "murder" in crime else "Fine": rng.randint(100, 50_000),
        }
    elif name in ("SellExplorationData", "MultiSellExplorationData"):
        base = rng.randint(10_000, 3_000_000)
        data |= {"BaseValue": base, "Bonus": base // 5, "TotalEarnings": base + base // 5}
    elif name in ("SyntheticCZ", "SyntheticGroundCZ"):
        data |= {
            rng.choice(("low", "medium", "high")): -1 if rng.random() < 0.03 else 1,
            "Faction": faction,
        }
        if name == "SyntheticGroundCZ":
            data["settlement"] = f"Settlement {system}-{rng.randint(0, 4)}"
    elif name in ("SyntheticScenario", "SyntheticCZObjective"):
        data |= {
            "type": rng.choice(("Megaship", "SpecOps", "CapShip")),
            "count": 1,
            "Faction": faction,
        }
    elif name in ("FSDJump", "Location", "CarrierJump"):
        data |= {
            "StarPos": [float(system), 0.0, 1.0],
            "Population": 100_000,
            "SystemFaction": {"Name": factions[0]},
            "Factions": [{"Name": f, "Influence": 0.1} for f in factions],
        }
    return data


@dataclass
class Setup:
    """Everything the generator needs, rebuilt identically from the seed in every process."""

    seed: int
    world: World
    guilds: list[Guild]  # the measured guild first


def build_setup(seed: int, events: int, noise: int) -> Setup:
    world = build_world(seed)
    rng = random.Random(seed + 1)
    guilds = [build_guild(world, rng, GUILD, 160, events)]
    if noise:
        per_guild = noise // len(NOISE_GUILDS)
        guilds += [build_guild(world, rng, g, 25, per_guild) for g in NOISE_GUILDS]
    return Setup(seed, world, guilds)


# Rows of tick i get ids i * ID_SPAN + n: no round trip to learn ids, and every process agrees.
ID_SPAN = 1_000_000
Rows = dict[str, list[dict[str, Any]]]  # table name -> rows


class TickGenerator:
    """The events of every guild in one tick, with their typed rows and activity tallies."""

    def __init__(self, setup: Setup, index: int) -> None:
        self.world = setup.world
        self.index = index
        self.rng = random.Random(f"{setup.seed}/{index}")
        self.rows: Rows = defaultdict(list)
        self.next_id: dict[str, int] = defaultdict(int)
        self.events = 0

    def new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.index * ID_SPAN + self.next_id[table]

    def run(self, guilds: list[Guild]) -> tuple[int, Rows]:
        for guild in guilds:
            rate = guild.events_per_tick
            count = int((self.index + 1) * rate) - int(self.index * rate)
            if count:
                self.guild_tick(guild, count)
        return self.events, dict(self.rows)

    def guild_tick(self, guild: Guild, count: int) -> None:
        world, rng, index = self.world, self.rng, self.index
        tickid, ticktime = world.ticks[index]
        end = world.ticks[index + 1][1] if index + 1 < len(world.ticks) else NOW
        span = (end - ticktime).total_seconds()
        cmdrs = rng.choices(guild.cmdrs, guild.cmdr_weights, k=count)
        names = rng.choices(world.event_names, cum_weights=world.event_cum, k=count)
        focus = {cmdr: rng.sample(guild.home[cmdr], rng.randint(1, 4)) for cmdr in set(cmdrs)}
        visited: dict[str, set[int]] = defaultdict(set)
        rows = self.rows
        for cmdr, name in zip(cmdrs, names, strict=True):
            system = rng.choice(focus[cmdr])
            visited[cmdr].add(system)
            late = index > 0 and rng.random() < 0.005  # plugin still on the previous tick
            tick = world.ticks[index - 1] if late else (tickid, ticktime)
            when = ticktime + timedelta(seconds=rng.random() * span)
            system_name, address = world.systems[system]
            event_id = self.new_id("events")
            item = {
                "event": name,
                "timestamp": stamp(when),
                "cmdr": cmdr,
                "tickid": tick[0],
                "ticktime": stamp(tick[1]),
                "StarSystem": system_name,
                "SystemAddress": address,
                "StationFaction": {"Name": world.factions[system][0]},
                **event_payload(world, rng, name, system, event_id),
            }
            envelope = parse_envelope(0, item)
            rows["events"].append(
                envelope.row() | {"id": event_id, "guild_id": guild.guild_id, "received_at": when}
            )
            for model, row in typed_rows(envelope, event_id):
                rows[model.__tablename__].append(row | {"guild_id": guild.guild_id})
        self.activities(guild, tickid, ticktime, end, visited)
        self.events += count

    def activities(
        self,
        guild: Guild,
        tickid: str,
        ticktime: datetime,
        end: datetime,
        visited: dict[str, set[int]],
    ) -> None:
        """One snapshot per active cmdr: every visited system with all its factions."""
        rng, rows = self.rng, self.rows
        for cmdr, systems in visited.items():
            activity_id = self.new_id("activities")
            activity = {
                "id": activity_id,
                "guild_id": guild.guild_id,
                "cmdr": cmdr,
                "tickid": tickid,
                "ticktime": ticktime,
                "timestamp": end - timedelta(minutes=5),
                "received_at": end,
                "thargoid_kills": 0,
                "tw_rescue": 0,
                "search_rescue": 0,
            }
            rows["activities"].append(activity)
            for system in systems:
                system_id = self.new_id("activity_systems")
                name, address = self.world.systems[system]
                war = thargoid_war(rng)
                activity["thargoid_kills"] += counted(war["twkills"], TW_KILL_TYPES)
                activity["tw_rescue"] += counted(war["twsandr"], TW_RESCUE_ITEMS)
                rows["activity_systems"].append(
                    {
                        "id": system_id,
                        "guild_id": guild.guild_id,
                        "activity_id": activity_id,
                        "name": name,
                        "address": address,
                        **war,
                    }
                )
                for faction in self.world.factions[system]:
                    counters = faction_counters(rng)
                    activity["search_rescue"] += counted(counters["sandr"], RESCUE_ITEMS)
                    rows["activity_factions"].append(
                        {
                            "guild_id": guild.guild_id,
                            "system_id": system_id,
                            "name": faction,
                            "state": rng.choice(STATES),
                            "influence": round(rng.random(), 3),
                            **counters,
                        }
                    )


_SETUP: Setup | None = None


def _start_worker(seed: int, events: int, noise: int) -> None:
    global _SETUP  # noqa: PLW0603 - one setup per worker process
    _SETUP = build_setup(seed, events, noise)


def generate(index: int) -> tuple[int, Rows]:
    """Runs in the worker process: all rows of tick `index`."""
    assert _SETUP is not None
    return TickGenerator(_SETUP, index).run(_SETUP.guilds)


IDLE: dict[str, Any] = dict.fromkeys(FACTION_COLUMNS.values(), 0) | {"sandr": None}


def thargoid_war(rng: random.Random) -> dict[str, Any]:
    """A system's Thargoid-war counters: none mostly (`{}` and no rescue, as the plugin sends
    them), kills and rescues in one system row in twenty."""
    if rng.random() >= 0.05:
        return {"twkills": {}, "twsandr": None, "twreactivate": 0}
    return {
        "twkills": {kind: rng.choice((0, 0, 1, 3)) for kind in TW_KILL_TYPES},
        "twsandr": {"damagedpods": rng.randint(0, 4), "blackboxes": rng.randint(0, 2)},
        "twreactivate": rng.choice((0, 0, 1)),
    }


def faction_counters(rng: random.Random) -> dict[str, Any]:
    """The counters of one faction row: zero mostly (every faction of a visited system is
    reported), some work for three in ten."""
    if rng.random() >= 0.3:
        return IDLE
    return IDLE | {
        "infprimary": rng.randint(-2, 8),
        "infsecondary": rng.randint(0, 4),
        "bvs": rng.choice((0, 0, rng.randint(10_000, 4_000_000))),
        "cbs": rng.choice((0, 0, rng.randint(10_000, 4_000_000))),
        "trade_sell_value": rng.choice((0, rng.randint(100_000, 9_000_000))),
        "trade_sell_profit": rng.randint(0, 900_000),
        "cz_space_high": rng.choice((0, 0, 0, 1)),
        "sandr": rng.choice((None, None, None, {"wreckagecomponents": rng.randint(1, 9)})),
    }


class Writer:
    """Collects generated ticks and writes them in large batches, a transaction each."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.batch: Rows = defaultdict(list)
        self.pending_events = 0
        self.loaded = 0

    async def add(self, generated: tuple[int, Rows]) -> None:
        count, rows = generated
        for name, table_rows in rows.items():
            self.batch[name] += table_rows
        self.pending_events += count
        self.loaded += count
        if self.pending_events >= BATCH_EVENTS:
            await self.flush()

    async def flush(self) -> None:
        parents = ["events", "activities", "activity_systems"]  # first, for the foreign keys
        for name in parents + sorted(set(self.batch) - set(parents)):
            if self.batch.get(name):
                table = models.Base.metadata.tables[name]
                await self.connection.execute(insert(table), self.batch[name])
        await self.connection.commit()
        self.batch, self.pending_events = defaultdict(list), 0


async def load(url: str, events: int, noise: int, seed: int) -> None:
    """Fill the database. A worker process generates the ticks (the CPU-heavy part) while
    this one writes them, on a loading connection of its own (SQLite: larger page cache, no
    fsync; the timed queries use the normal settings)."""
    setup = build_setup(seed, events, noise)
    ticks = len(setup.world.ticks)
    engine = create_engine(url)
    loop = asyncio.get_running_loop()
    worker = ProcessPoolExecutor(1, initializer=_start_worker, initargs=(seed, events, noise))
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                await connection.execute(text("PRAGMA cache_size=-262144"))
                await connection.execute(text("PRAGMA synchronous=OFF"))
            writer = Writer(connection)
            ahead: deque[asyncio.Future[tuple[int, Rows]]] = deque()
            for index in range(ticks):
                ahead.append(loop.run_in_executor(worker, generate, index))
                if len(ahead) > 3:  # keep the worker a few ticks ahead, memory bounded
                    await writer.add(await ahead.popleft())
                if index % 50 == 0:
                    log.info("tick %d of %d: %d events written", index, ticks, writer.loaded)
            while ahead:
                await writer.add(await ahead.popleft())
            await writer.flush()
            await load_reference_rows(connection, setup)
            await connection.commit()
    finally:
        worker.shutdown(cancel_futures=True)
        await engine.dispose()
    await build_rollups(url, [guild.guild_id for guild in setup.guilds])


async def build_rollups(url: str, guilds: list[int]) -> None:
    """The rollups of the loaded rows, as `bot.py rollups rebuild` builds them (the loader
    writes the raw rows in bulk, beneath ingest)."""
    db = Database(url)
    try:
        for guild_id in guilds:
            started = time.perf_counter()
            async with db.tenant_write(guild_id) as session:
                rebuilt = await session.run_sync(rebuild)
            log.info(
                "guild %d: rollups of %d events and %d tallies built in %.1f s",
                guild_id,
                rebuilt.events,
                rebuilt.tallies,
                time.perf_counter() - started,
            )
    finally:
        await db.dispose()


async def load_reference_rows(connection: AsyncConnection, setup: Setup) -> None:
    """Cmdrs, known systems, objectives and the galaxy tick that the queries join or read."""
    world = setup.world
    for each in setup.guilds:
        await connection.execute(
            insert(models.Cmdr),
            [
                {
                    "guild_id": each.guild_id,
                    "name": cmdr,
                    "first_seen": NOW,
                    "last_seen": NOW,
                    "squadron_rank": "Member",
                }
                for cmdr in each.cmdrs
            ],
        )
        await connection.execute(
            insert(models.KnownSystem),
            [
                {"guild_id": each.guild_id, "name": name, "address": address, "last_seen": NOW}
                for name, address in world.systems
            ],
        )
    for index in range(20):
        objective = (
            await connection.execute(
                insert(models.Objective).returning(models.Objective.id),
                {
                    "guild_id": GUILD,
                    "title": f"Objective {index}",
                    "type": "boost",
                    "priority": 1,
                    "system": world.systems[index * 8][0],
                    "starts_at": NOW - timedelta(days=30),
                    "ends_at": NOW + timedelta(days=30),
                    "created_at": NOW,
                    "updated_at": NOW,
                },
            )
        ).scalar_one()
        await connection.execute(
            insert(models.ObjectiveTarget),
            {
                "guild_id": GUILD,
                "objective_id": objective,
                "type": "visit",
                "system": world.systems[index * 8 + 1][0],
                "target_overall": 1,
            },
        )
    await connection.execute(
        insert(models.GalaxyTick),
        {"tick_time": world.ticks[-1][1], "source": "bench", "seen_at": NOW},
    )


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------

Query = Callable[[AsyncSession, Period], Awaitable[Any]]


async def top5(session: AsyncSession, period: Period) -> Any:
    """What `/top5` reads: the leaderboard and the best influence by faction."""
    rows = await summaries.leaderboard(session, period, GUILD_FACTION)
    return rows, await summaries.influence_by_faction(session, period, limit=5)


def queries(tick_time: datetime) -> dict[str, Query]:
    return {
        "leaderboard": lambda s, p: summaries.leaderboard(s, p, GUILD_FACTION),
        "top5": top5,
        "space_czs": summaries.space_czs,
        "ground_czs": summaries.ground_czs,
        "activity_summary": summaries.activity_summary,
        "activity_per_cmdr": summaries.activity_per_cmdr,
        "cmdr_activity": lambda s, p: summaries.cmdr_activity(s, p, BUSIEST_CMDR),
        "systems_worked": lambda s, p: summaries.systems_worked(s, p, tick_time),
        "thargoid_war": summaries.thargoid_war,
    }


def bind(query: Query, period: Period) -> Callable[[AsyncSession], Awaitable[Any]]:
    def call(session: AsyncSession) -> Awaitable[Any]:
        return query(session, period)

    return call


async def named_tick(session: AsyncSession) -> Period:
    """A period naming the guild's oldest tick (the walk over all its ticks)."""
    oldest = (await latest_ticks(session, None))[-1]
    return await resolve_period(session, oldest.tickid, NOW)


def once(tick_time: datetime) -> dict[str, Callable[[AsyncSession], Awaitable[Any]]]:
    """Queries that take no period."""
    return {
        "resolve_period(ct)": lambda s: resolve_period(s, "ct", NOW),
        "resolve_period(lt)": lambda s: resolve_period(s, "lt", NOW),
        "resolve_period(tick id)": named_tick,
        "period_choices('')": lambda s: period_choices(s, ""),
        "faction_activity_by_tick(10)": lambda s: summaries.faction_activity_by_tick(
            s, GUILD_FACTION, 10
        ),
        "objective_systems_not_visited": lambda s: summaries.objective_systems_not_visited(
            s, tick_time, NOW
        ),
    }


async def timed(
    db: Database, call: Callable[[AsyncSession], Awaitable[Any]], repeat: int
) -> tuple[float, float, int]:
    """(median ms, p95 ms, result size) of `repeat` runs after one warm-up run."""
    samples = []
    result: Any = None
    for run in range(repeat + 1):
        async with db.tenant(GUILD) as session:
            started = time.perf_counter()
            result = await call(session)
            elapsed = (time.perf_counter() - started) * 1000
        if run:
            samples.append(elapsed)
    samples.sort()
    p95 = samples[max(0, math.ceil(0.95 * len(samples)) - 1)]
    size = len(result) if isinstance(result, list | dict) else 1
    return statistics.median(samples), p95, size


async def measure(db: Database, repeat: int, codes: tuple[str, ...]) -> None:
    freeze_startup_heap()  # as the bot does once it is up: no full collections of its heap
    async with db.tenant(GUILD) as session:
        periods = {code: await resolve_period(session, code, NOW) for code in codes}
    async with db.unscoped() as session:
        galaxy_tick = (
            await session.execute(select(func.max(models.GalaxyTick.tick_time)))
        ).scalar_one()
    tick = periods["ct"].tick if "ct" in periods else None
    print(f"\ncurrent tick: {tick.tickid if tick else None}; median / p95 ms (rows)")
    header = f"{'query':24} " + " ".join(f"{code:>16}" for code in codes)
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, query in queries(galaxy_tick).items():
        cells = []
        for code in codes:
            median, p95, size = await timed(db, bind(query, periods[code]), repeat)
            worst = max(worst, p95)
            cells.append(f"{median:6.1f} /{p95:6.1f} ({size})".rjust(16))
        print(f"{name:24} " + " ".join(cells))
    print(f"worst p95 of the summaries over every period: {worst:.1f} ms")
    for name, call in once(galaxy_tick).items():
        median, p95, size = await timed(db, call, repeat)
        print(f"{name:32} {median:10.1f} {p95:8.1f} {size:6d}")


async def storage(url: str, events: int) -> int:
    """Print the database's size and bytes per stored event (every guild's); returns it."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                size_sql = (
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
                )
            else:
                size_sql = "SELECT pg_database_size(current_database())"
            size = int((await connection.execute(text(size_sql))).scalar_one())
    finally:
        await engine.dispose()
    print(f"database: {size / 1e6:,.1f} MB, {size / max(events, 1):,.0f} bytes per stored event")
    return size


async def prune_and_vacuum(url: str, days: int) -> None:
    """Prune raw events older than `days` days before NOW in every guild, then compact the
    file (SQLite) so that its size shows what pruning freed."""
    db = Database(url)
    try:
        async with db.unscoped() as session:
            before = (await session.execute(select(func.count(models.Event.id)))).scalar_one()
        started = time.perf_counter()
        for guild_id in (GUILD, *NOISE_GUILDS):
            cut = cutoff(days, NOW)
            assert cut is not None
            await prune_guild(db, guild_id, cut)
        async with db.unscoped() as session:
            after = (await session.execute(select(func.count(models.Event.id)))).scalar_one()
        print(
            f"pruned {before - after:,} of {before:,} raw events older than {days} days "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if db.is_sqlite():
            async with db.engine().connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM"))
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events of the guild")
    parser.add_argument("--noise", type=int, default=None, help="events of other guilds")
    parser.add_argument("--database-url", help="an EMPTY database (default: temp SQLite file)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--index", action="append", default=[], help="extra CREATE INDEX")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    parser.add_argument("--loaded", help="a database an earlier run loaded (--keep): time only")
    parser.add_argument(
        "--periods",
        default=",".join(PERIOD_CODES),
        help="period codes to time, comma-separated (default: every code)",
    )
    parser.add_argument(
        "--prune-days", type=int, help="then prune raw events older than this, and time again"
    )
    args = parser.parse_args()
    noise = args.events if args.noise is None else args.noise
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    codes = tuple(code.strip() for code in args.periods.split(","))
    if args.loaded:
        db = Database(args.loaded)
        try:
            async with db.unscoped() as session:
                events = (await session.execute(select(func.count(models.Event.id)))).scalar_one()
            await storage(args.loaded, events)
            await measure(db, args.repeat, codes)
            if args.prune_days is not None:
                await prune_and_vacuum(args.loaded, args.prune_days)
                await storage(args.loaded, events)
                await measure(db, args.repeat, codes)
        finally:
            await db.dispose()
        return
    directory = None if args.database_url else Path(tempfile.mkdtemp(prefix="warden-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{directory}/bench.db"
    db = Database(url)
    try:
        await upgrade(db.engine())
        started = time.perf_counter()
        await load(url, args.events, noise, args.seed)
        loaded = time.perf_counter() - started
        async with db.engine().begin() as connection:
            counts = {
                table: (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                for table in ("events", "activity_factions", "mission_influences")
            }
            if connection.dialect.name == "postgresql":  # as autovacuum would, in time
                await connection.execute(text("ANALYZE"))
            for statement in args.index:
                index_started = time.perf_counter()
                await connection.execute(text(statement))
                print(f"{statement}: {time.perf_counter() - index_started:.1f} s")
        print(f"loaded {args.events:,} + {noise:,} noise events in {loaded:.1f} s: {counts}")
        print(f"database: {url}")
        await storage(url, counts["events"])
        await measure(db, args.repeat, codes)
        if args.prune_days is not None:
            await prune_and_vacuum(url, args.prune_days)
            await storage(url, counts["events"])
            await measure(db, args.repeat, codes)
    finally:
        await db.dispose()
        if directory is not None and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
