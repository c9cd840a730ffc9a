"""Benchmark: the live progress behind GET /objectives, 20 objectives over 1M events (SQLite).

    .venv/bin/python -m bench.objectives [--events N] [--noise N] [--repeats N] [--db PATH]

Builds a migrated SQLite database: one guild with `--events` plugin events spread over a year
(half of them in 12 home systems, where the objectives are), another guild with `--noise`
events in the same systems, and 20 running objectives with 5-7 targets each (every target type,
settlements, station visits, undermine targets, three open-ended objectives started 90 days ago).
Rows are what the listener stores (`parse_envelope` + `typed_rows`), bulk-inserted.

Then it times `bgs.objectives.plugin_objectives` (the whole GET /objectives body: objectives,
targets, settlements, the progress query, coordinates) and prints the median and p95.
`--db PATH` keeps the database, and reuses it when it exists.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bgs import objectives as obj
from bgs.events import parse_envelope, typed_rows
from bgs.ingest import upsert_factions, upsert_systems
from db import models
from db.database import Database
from db.migrate import upgrade

GUILD, NOISE_GUILD = 1, 2
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
SPAN = timedelta(days=365)
SYSTEMS, HOME_SYSTEMS, FACTIONS_PER_SYSTEM, CMDRS = 400, 12, 5, 120
HOME_SHARE = 0.5
CHUNK = 20_000

WEIGHTS = {
    "FSDJump": 20,
    "Location": 2,
    "CarrierJump": 0.5,
    "Docked": 12,
    "MarketBuy": 6,
    "MarketSell": 10,
    "MissionAccepted": 10,
    "MissionCompleted": 10,
    "MissionFailed": 1,
    "RedeemVoucher": 6,
    "FactionKillBond": 8,
    "CommitCrime": 2,
    "SellExplorationData": 2,
    "MultiSellExplorationData": 1,
    "SyntheticCZ": 3,
    "SyntheticGroundCZ": 1.5,
    "SyntheticCZObjective": 1,
    "SyntheticScenario": 0.5,
    "Scan": 3.5,
}


@dataclass(frozen=True, slots=True)
class System:
    name: str
    address: int
    position: tuple[float, float, float]
    factions: tuple[str, ...]


def world(rng: random.Random) -> list[System]:
    systems = []
    for index in range(SYSTEMS):
        name = f"Bench System {index:03d}"
        factions = tuple(f"{name} Faction {k}" for k in range(FACTIONS_PER_SYSTEM))
        position = (rng.uniform(-500, 500), rng.uniform(-100, 100), rng.uniform(-500, 500))
        systems.append(System(name, 10_000_000 + index, position, factions))
    return systems


class Generator:
    """Plugin-shaped events (as in the captured batches) for one guild."""

    def __init__(self, rng: random.Random, systems: list[System]) -> None:
        self.rng = rng
        self.systems = systems
        self.cmdrs = [f"Bench Cmdr {i:03d}" for i in range(CMDRS)]
        self.cmdr_weights = [1 / (rank + 1) for rank in range(CMDRS)]
        self.kinds = list(WEIGHTS)
        self.kind_weights = list(WEIGHTS.values())

    def system(self) -> System:
        if self.rng.random() < HOME_SHARE:
            return self.systems[self.rng.randrange(HOME_SYSTEMS)]
        return self.systems[self.rng.randrange(HOME_SYSTEMS, SYSTEMS)]

    def event(self, at: datetime) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choices(self.kinds, self.kind_weights)[0]
        system = self.system()
        faction = rng.choice(system.factions)
        other = rng.choice(system.factions)
        station = f"{system.name} Port {rng.randrange(3)}"
        base: dict[str, Any] = {
            "event": kind,
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cmdr": rng.choices(self.cmdrs, self.cmdr_weights)[0],
            "tickid": f"zoy-{at.date().toordinal():020x}",
            "ticktime": at.replace(hour=11, minute=0, second=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "StarSystem": system.name,
            "SystemAddress": str(system.address),
            "StationFaction": {"Name": faction},
        }
        return base | self.fields(kind, system, faction, other, station)

    def fields(
        self, kind: str, system: System, faction: str, other: str, station: str
    ) -> dict[str, Any]:
        rng = self.rng
        if kind in ("FSDJump", "Location", "CarrierJump"):
            body: dict[str, Any] = {
                "SystemAddress": system.address,
                "StarPos": list(system.position),
                "SystemAllegiance": "Federation",
                "SystemEconomy": "$economy_Agri;",
                "SystemGovernment": "$government_Democracy;",
                "SystemSecurity": "$SYSTEM_SECURITY_low;",
                "Population": 50000,
                "SystemFaction": {"Name": system.factions[0]},
                "Factions": [
                    {
                        "Name": name,
                        "FactionState": "None",
                        "Government": "Democracy",
                        "Influence": round(rng.random(), 3),
                        "Allegiance": "Federation",
                        "Happiness": "$Faction_HappinessBand2;",
                        "MyReputation": 10.0,
                    }
                    for name in system.factions
                ],
                "StationFaction": {"Name": ""},
            }
            if kind == "Location" and rng.random() < 0.5:
                body |= {
                    "Docked": True,
                    "StationName": station,
                    "StationFaction": {"Name": faction},
                }
            if kind == "FSDJump":
                body |= {"JumpDist": round(rng.uniform(5, 40), 2), "FuelUsed": 2.1}
            return body
        if kind == "Docked":
            return {"StationName": station, "StationType": "Coriolis", "MarketID": 3700001}
        if kind in ("MarketBuy", "MarketSell"):
            count = rng.randrange(1, 700)
            price = rng.randrange(1000, 60000)
            if kind == "MarketBuy":
                return {
                    "Type": "gold",
                    "Count": count,
                    "BuyPrice": price,
                    "TotalCost": count * price,
                }
            sale: dict[str, Any] = {
                "Type": "palladium",
                "Count": count,
                "SellPrice": price,
                "TotalSale": count * price,
                "AvgPricePaid": price - rng.randrange(-500, 3000),
            }
            if rng.random() < 0.05:
                sale["BlackMarket"] = True
            return sale
        if kind == "MissionAccepted":
            return {"Faction": faction, "Name": "Mission_Delivery_name", "Reward": 100000}
        if kind == "MissionCompleted":
            effects = []
            for name in dict.fromkeys([faction, other]):
                target = system if rng.random() < 0.8 else self.system()
                effects.append(
                    {
                        "Faction": name,
                        "Effects": [],
                        "Influence": [
                            {
                                "SystemAddress": target.address,
                                "Trend": rng.choice(["UpGood", "UpGood", "DownBad"]),
                                "Influence": "+" * rng.randrange(1, 6),
                            }
                        ],
                        "ReputationTrend": "UpGood",
                        "Reputation": "++",
                    }
                )
            return {
                "Faction": faction,
                "Name": "Mission_Delivery_name",
                "MissionID": rng.randrange(10**9),
                "Reward": rng.randrange(10_000, 2_000_000),
                "FactionEffects": effects,
            }
        if kind == "MissionFailed":
            return {"Name": "Mission_Courier_name", "MissionID": rng.randrange(10**9), "Fine": 0}
        if kind == "RedeemVoucher":
            amount = rng.randrange(1000, 3_000_000)
            if rng.random() < 0.35:
                return {"Type": "CombatBond", "Amount": amount, "Faction": faction}
            return {
                "Type": "bounty",
                "Amount": amount,
                "Factions": [{"Faction": faction, "Amount": amount}],
            }
        if kind == "FactionKillBond":
            return {"Reward": 80000, "AwardingFaction": faction, "VictimFaction": other}
        if kind == "CommitCrime":
            crime = "murder" if rng.random() < 0.3 else "assault"
            return {"CrimeType": crime, "Faction": other, "Victim": "Bob", "Bounty": 10000}
        if kind in ("SellExplorationData", "MultiSellExplorationData"):
            value = rng.randrange(10_000, 5_000_000)
            return {"BaseValue": value, "Bonus": 0, "TotalEarnings": value}
        if kind in ("SyntheticCZ", "SyntheticGroundCZ"):
            cz: dict[str, Any] = {"Faction": faction, rng.choice(["low", "medium", "high"]): 1}
            if kind == "SyntheticGroundCZ":
                cz["settlement"] = f"{system.name} Base {rng.randrange(4)}"
            return cz
        if kind in ("SyntheticCZObjective", "SyntheticScenario"):
            return {"Faction": faction, "type": "SpecOps", "count": 1}
        return {"BodyName": f"{system.name} {rng.randrange(20)}", "ScanType": "Detailed"}

    def events(self, count: int) -> Iterator[dict[str, Any]]:
        """`count` distinct events with timestamps spread over the year before NOW, in order."""
        offsets = sorted(self.rng.uniform(0, SPAN.total_seconds()) for _ in range(count))
        for offset in offsets:
            yield self.event((NOW - SPAN + timedelta(seconds=offset)).replace(microsecond=0))


async def load(db: Database, guild: int, generator: Generator, count: int, first_id: int) -> int:
    """Bulk-insert `count` events and their typed rows for a guild; returns the next free id."""
    seen: set[str] = set()
    next_id = first_id
    received = NOW
    events: list[dict[str, Any]] = []
    children: dict[type[models.Base], list[dict[str, Any]]] = defaultdict(list)

    async def flush() -> None:
        async with db.engine().begin() as connection:
            await connection.execute(insert(models.Event), events)
            for model, rows in children.items():
                await connection.execute(insert(model), rows)
        events.clear()
        children.clear()

    for item in generator.events(count):
        envelope = parse_envelope(0, item)
        if envelope.content_hash in seen:
            continue
        seen.add(envelope.content_hash)
        events.append(envelope.row() | {"id": next_id, "guild_id": guild, "received_at": received})
        for model, row in typed_rows(envelope, next_id):
            children[model].append(row | {"guild_id": guild})
        next_id += 1
        if len(events) >= CHUNK:
            await flush()
    if events:
        await flush()
    return next_id


async def remember(db: Database, guild: int, systems: list[System]) -> None:
    async with db.tenant_write(guild) as session:
        await upsert_systems(
            session,
            (
                {
                    "address": s.address,
                    "name": s.name,
                    "x": s.position[0],
                    "y": s.position[1],
                    "z": s.position[2],
                    "last_seen": NOW,
                }
                for s in systems
            ),
        )
        await upsert_factions(session, {f for s in systems for f in s.factions}, NOW)


async def create_objectives(db: Database, systems: list[System]) -> None:
    """20 running objectives on the home systems, 5-7 targets each, every target type."""
    kinds = list(obj.TARGET_TYPES)
    async with db.tenant_write(GUILD) as session:
        for index in range(20):
            home = systems[index % HOME_SYSTEMS]
            neighbour = systems[(index + 1) % HOME_SYSTEMS]
            open_ended = index >= 17
            objective_id = await obj.create_objective(
                session,
                title=f"Objective {index}",
                objective_type=list(obj.OBJECTIVE_TYPES)[index % len(obj.OBJECTIVE_TYPES)],
                system=home.name,
                faction=home.factions[index % FACTIONS_PER_SYSTEM],
                priority=index % 6,
                starts_at=NOW - timedelta(days=90 if open_ended else 7 + index),
                ends_at=None if open_ended else NOW + timedelta(days=1 + index % 10),
            )
            for slot in range(5 + index % 3):
                kind = kinds[(index * 3 + slot) % len(kinds)]
                elsewhere = slot % 3 == 2
                target_id = await obj.add_target(
                    session,
                    objective_id,
                    target_type=kind,
                    system=neighbour.name if elsewhere else None,
                    faction=neighbour.factions[1] if elsewhere and kind != "visit" else None,
                    station=f"{home.name} Port 0" if kind == "visit" and slot % 2 else None,
                    target_overall=-50 if kind == "inf" and index % 2 else 1000,
                )
                if kind == "ground_cz":
                    for base in range(2):
                        await obj.add_settlement(
                            session,
                            objective_id,
                            target_id,
                            name=f"{(neighbour if elsewhere else home).name} Base {base}",
                            target_overall=5,
                        )


async def build(db: Database, events: int, noise: int) -> None:
    rng = random.Random(20261126)
    systems = world(rng)
    await upgrade(db.engine())
    started = time.perf_counter()
    next_id = await load(db, GUILD, Generator(rng, systems), events, 1)
    await load(db, NOISE_GUILD, Generator(rng, systems), noise, next_id)
    for guild in (GUILD, NOISE_GUILD):
        await remember(db, guild, systems)
    await create_objectives(db, systems)
    print(f"loaded {events} + {noise} noise events in {time.perf_counter() - started:.0f} s")


async def measure(db: Database, repeats: int) -> tuple[list[float], list[dict[str, Any]]]:
    """Milliseconds per `plugin_objectives` call, and the last body."""
    timings = []
    body: list[dict[str, Any]] = []
    for _ in range(repeats):
        async with db.tenant(GUILD) as session:
            started = time.perf_counter()
            body = await obj.plugin_objectives(session, "1.8.0", NOW)
            timings.append((time.perf_counter() - started) * 1000)
    return timings, body


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--noise", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--db", type=Path, help="keep (or reuse) the database at this path")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "bench.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            if not path.exists():
                await build(db, args.events, args.noise)
            await measure(db, 2)  # warm the page cache and the statement cache
            timings, body = await measure(db, args.repeats)
        finally:
            await db.dispose()
    timings.sort()
    targets = sum(len(objective["targets"]) for objective in body)
    print(f"{len(body)} objectives, {targets} targets")
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"plugin_objectives over {args.repeats} runs: "
        f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
        f"min {timings[0]:.1f} ms, max {timings[-1]:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
