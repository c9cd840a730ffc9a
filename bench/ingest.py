"""Ingest benchmark: POST plugin-shaped event batches at a running listener.

It starts nothing itself. C clients each send one batch at a time (the next as soon as the
previous is answered) for a duration or a number of batches, after an optional warm-up; then
it prints events/s, request latency percentiles and errors by status. With --database-url it
also counts the key's guild's rows in `events` before and after and checks that every event
sent was stored.

Every event is unique (a random tick id per run, and a cmdr and timestamp that no other event
of the run has), so nothing is a duplicate, and the mix covers every typed event type with many
cmdrs, systems and factions. Shapes follow the captured plugin traffic (tests/fixtures/bgstally).
The batches are made before the run and only get their cmdrs and timestamps filled in while it
runs, so the client spends little of the CPU it shares with the server.

    .venv/bin/python -m bench.ingest --url http://127.0.0.1:8099/ --key KEY --clients 16 \
        --duration 30 --warmup 3 --database-url sqlite+aiosqlite:////tmp/bench/warden.db
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

SYSTEMS = 120
FACTIONS = 400
CMDRS = 600
FACTIONS_PER_SYSTEM = 5
TEMPLATES = 1000  # distinct batches, reused with fresh cmdrs and timestamps
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class System:
    name: str
    address: int
    pos: tuple[float, float, float]
    factions: tuple[str, ...]
    conflicts: tuple[Event, ...]  # as a tick's jumps all see them: the same every time


class EventMaker:
    """Deterministic plugin-shaped events (bgstally-api.md §5.3-5.4) of one tick.

    `cmdr` and `timestamp` are left as the given placeholders (see `Bodies`).
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tickid = f"zoy-{secrets.token_hex(10)}"
        self.ticktime = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.sequence = 0
        factions = [f"Bench Faction {n:03d}" for n in range(FACTIONS)]
        self.systems = []
        for n in range(SYSTEMS):
            members = tuple(self.rng.sample(factions, FACTIONS_PER_SYSTEM))
            self.systems.append(
                System(
                    name=f"Bench System {n:03d}",
                    address=7_000_000 + n,
                    pos=(n * 1.5, -n * 0.25, n * 2.0),
                    factions=members,
                    conflicts=self._conflicts(members) if n % 3 == 0 else (),
                )
            )
        makers: list[tuple[Callable[[Event, System], Event], int]] = [
            (self._fsd_jump, 8),
            (self._location, 3),
            (self._docked, 8),
            (self._market_buy, 9),
            (self._market_sell, 11),
            (self._mission_completed, 12),
            (self._mission_failed, 2),
            (self._bounty_voucher, 6),
            (self._combat_bond_voucher, 4),
            (self._exploration, 5),
            (self._commit_crime, 3),
            (self._faction_kill_bond, 12),
            (self._synthetic_cz, 3),
            (self._synthetic_ground_cz, 2),
            (self._synthetic_cz_objective, 3),
            (self._synthetic_scenario, 1),
        ]
        self.makers = [maker for maker, _ in makers]
        self.weights = [weight for _, weight in makers]

    def event(self, timestamp: str, cmdr: str) -> Event:
        self.sequence += 1
        system = self.rng.choice(self.systems)
        base: Event = {
            "timestamp": timestamp,
            "cmdr": cmdr,
            "tickid": self.tickid,
            "ticktime": self.ticktime.strftime(TIME_FORMAT),
        }
        maker = self.rng.choices(self.makers, self.weights)[0]
        return maker(base, system)

    # -- helpers ----------------------------------------------------------------------------

    def _faction(self, system: System) -> str:
        return self.rng.choice(system.factions)

    def _two_factions(self, system: System) -> tuple[str, str]:
        first, second = self.rng.sample(system.factions, 2)
        return first, second

    def _augmented(self, event: Event, system: System, docked: bool = True) -> Event:
        """What the plugin adds: StationFaction object, StarSystem, SystemAddress as a string."""
        station = self._faction(system) if docked else ""
        return event | {
            "StationFaction": {"Name": station},
            "StarSystem": system.name,
            "SystemAddress": str(system.address),
        }

    def _market_id(self) -> int:
        return 3_700_000 + self.sequence

    def _mission_id(self) -> int:
        return 90_000_000 + self.sequence

    # -- journal events ---------------------------------------------------------------------

    def _system_factions(self, system: System) -> list[Event]:
        shares = [self.rng.random() + 0.05 for _ in system.factions]
        total = sum(shares)
        return [
            {
                "Name": name,
                "FactionState": self.rng.choice(["None", "War", "Boom", "Election", "Expansion"]),
                "Government": self.rng.choice(["Democracy", "Corporate", "Dictatorship"]),
                "Influence": round(share / total, 6),
                "Allegiance": self.rng.choice(["Federation", "Empire", "Independent"]),
                "Happiness": "$Faction_HappinessBand2;",
                "MyReputation": round(self.rng.uniform(-50, 100), 1),
            }
            for name, share in zip(system.factions, shares, strict=True)
        ]

    def _conflicts(self, members: tuple[str, ...]) -> tuple[Event, ...]:
        first, second = self.rng.sample(members, 2)
        return (
            {
                "WarType": self.rng.choice(["war", "civilwar", "election"]),
                "Status": self.rng.choice(["active", "pending"]),
                "Faction1": {"Name": first, "Stake": "Bench Gate", "WonDays": self._days()},
                "Faction2": {"Name": second, "Stake": "", "WonDays": self._days()},
            },
        )

    def _days(self) -> int:
        return self.rng.randint(0, 3)

    def _arrival(self, event: Event, system: System) -> Event:
        return event | {
            "StarSystem": system.name,
            "SystemAddress": system.address,
            "StarPos": list(system.pos),
            "SystemAllegiance": "Federation",
            "SystemEconomy": "$economy_Industrial;",
            "SystemGovernment": "$government_Democracy;",
            "SystemSecurity": "$SYSTEM_SECURITY_medium;",
            "Population": 1_000_000 + self.sequence,
            "SystemFaction": {"Name": system.factions[0]},
            "Factions": self._system_factions(system),
            "Conflicts": list(system.conflicts),
            "StationFaction": {"Name": ""},
        }

    def _fsd_jump(self, base: Event, system: System) -> Event:
        return self._arrival(
            base
            | {
                "event": "FSDJump",
                "Taxi": False,
                "Multicrew": False,
                "JumpDist": round(self.rng.uniform(5, 60), 3),
                "FuelUsed": round(self.rng.uniform(0.5, 8), 3),
                "FuelLevel": 30.0,
            },
            system,
        )

    def _location(self, base: Event, system: System) -> Event:
        return self._arrival(
            base | {"event": "Location", "Docked": False, "DistFromStarLS": 500.0},
            system,
        )

    def _docked(self, base: Event, system: System) -> Event:
        return base | {
            "event": "Docked",
            "StationName": f"Bench Port {self.rng.randint(1, 9)}",
            "StationType": "Coriolis",
            "StarSystem": system.name,
            "SystemAddress": system.address,
            "MarketID": self._market_id(),
            "StationFaction": {"Name": self._faction(system), "FactionState": "Boom"},
            "StationServices": ["dock", "commodities", "missions"],
            "DistFromStarLS": 100.0,
            "LandingPads": {"Small": 4, "Medium": 8, "Large": 4},
        }

    def _market_buy(self, base: Event, system: System) -> Event:
        count = self.rng.randint(1, 720)
        price = self.rng.randint(100, 12_000)
        return self._augmented(
            base
            | {
                "event": "MarketBuy",
                "MarketID": self._market_id(),
                "Type": self.rng.choice(["gold", "silver", "palladium", "water", "tritium"]),
                "Count": count,
                "BuyPrice": price,
                "TotalCost": count * price,
                "StockBracket": self.rng.randint(0, 3),
                "Stock": self.rng.randint(0, 50_000),
            },
            system,
        )

    def _market_sell(self, base: Event, system: System) -> Event:
        count = self.rng.randint(1, 720)
        price = self.rng.randint(100, 60_000)
        event = base | {
            "event": "MarketSell",
            "MarketID": self._market_id(),
            "Type": self.rng.choice(["palladium", "bertrandite", "gold", "biowaste", "slaves"]),
            "Count": count,
            "SellPrice": price,
            "TotalSale": count * price,
            "AvgPricePaid": self.rng.randint(50, 50_000),
            "DemandBracket": self.rng.randint(0, 3),
            "Demand": self.rng.randint(0, 50_000),
        }
        if self.rng.random() < 0.15:
            event |= {"BlackMarket": True, "IllegalGoods": True}
        return self._augmented(event, system)

    def _mission_completed(self, base: Event, system: System) -> Event:
        giver, other = self._two_factions(system)
        up = self.rng.random() < 0.8
        trend = "UpGood" if up else "DownBad"
        effects = [
            {
                "Faction": giver,
                "Effects": [{"Effect": "$MISSIONUTIL_Interaction_Summary_EP_up;", "Trend": trend}],
                "Influence": [
                    {
                        "SystemAddress": system.address,
                        "Trend": trend,
                        "Influence": "+" * self.rng.randint(1, 5),
                    }
                ],
                "ReputationTrend": "UpGood",
                "Reputation": "++",
            },
            {
                "Faction": other,
                "Effects": [],
                "Influence": [
                    {"SystemAddress": system.address, "Trend": "DownBad", "Influence": "+"}
                ],
                "ReputationTrend": "DownBad",
                "Reputation": "+",
            },
        ]
        return self._augmented(
            base
            | {
                "event": "MissionCompleted",
                "Faction": giver,
                "Name": self.rng.choice(
                    ["Mission_Delivery_name", "Mission_Courier_name", "Mission_Massacre_name"]
                ),
                "MissionID": self._mission_id(),
                "Reward": self.rng.randint(10_000, 2_000_000),
                "FactionEffects": effects if self.rng.random() < 0.9 else [],
            },
            system,
        )

    def _mission_failed(self, base: Event, system: System) -> Event:
        return self._augmented(
            base
            | {
                "event": "MissionFailed",
                "Name": "Mission_Massacre_Conflict_War_name",
                "MissionID": self._mission_id(),
                "Fine": self.rng.choice([0, 50_000]),
            },
            system,
        )

    def _bounty_voucher(self, base: Event, system: System) -> Event:
        names = self.rng.sample(system.factions, self.rng.randint(1, 3))
        amounts = [self.rng.randint(1_000, 400_000) for _ in names]
        shares = [
            {"Faction": name, "Amount": amount} for name, amount in zip(names, amounts, strict=True)
        ]
        return self._augmented(
            base
            | {
                "event": "RedeemVoucher",
                "Type": "bounty",
                "Amount": sum(amounts),
                "Factions": shares,
            },
            system,
        )

    def _combat_bond_voucher(self, base: Event, system: System) -> Event:
        return self._augmented(
            base
            | {
                "event": "RedeemVoucher",
                "Type": "CombatBond",
                "Amount": self.rng.randint(10_000, 2_000_000),
                "Faction": self._faction(system),
            },
            system,
        )

    def _exploration(self, base: Event, system: System) -> Event:
        value = self.rng.randint(10_000, 5_000_000)
        bonus = value // 5
        if self.rng.random() < 0.5:
            event = base | {
                "event": "SellExplorationData",
                "Systems": [f"Far System {self.sequence}"],
                "Discovered": [],
            }
        else:
            event = base | {
                "event": "MultiSellExplorationData",
                "Discovered": [{"SystemName": f"Far System {self.sequence}", "NumBodies": 12}],
            }
        return self._augmented(
            event | {"BaseValue": value, "Bonus": bonus, "TotalEarnings": value + bonus}, system
        )

    def _commit_crime(self, base: Event, system: System) -> Event:
        murder = self.rng.random() < 0.7
        event = base | {
            "event": "CommitCrime",
            "CrimeType": self.rng.choice(["murder", "onFoot_murder"]) if murder else "assault",
            "Faction": self._faction(system),
            "Victim": f"Victim {self.sequence}",
        }
        event |= {"Bounty": 10_000} if murder else {"Fine": 400}
        return self._augmented(event, system, docked=False)

    def _faction_kill_bond(self, base: Event, system: System) -> Event:
        awarding, victim = self._two_factions(system)
        return self._augmented(
            base
            | {
                "event": "FactionKillBond",
                "Reward": self.rng.randint(1_000, 120_000),
                "AwardingFaction": awarding,
                "VictimFaction": victim,
            },
            system,
            docked=False,
        )

    # -- synthetic events (§5.4) --------------------------------------------------------------

    def _synthetic_cz(self, base: Event, system: System) -> Event:
        size = self.rng.choice(["low", "medium", "high"])
        return self._augmented(
            base | {"event": "SyntheticCZ", size: 1, "Faction": self._faction(system)},
            system,
            docked=False,
        )

    def _synthetic_ground_cz(self, base: Event, system: System) -> Event:
        sizes: Event = {"low": 1} if self.rng.random() < 0.7 else {"medium": 1, "low": -1}
        return self._augmented(
            base
            | {
                "event": "SyntheticGroundCZ",
                **sizes,
                "settlement": f"Bench Settlement {self.rng.randint(1, 40)}",
                "Faction": self._faction(system),
            },
            system,
            docked=False,
        )

    def _synthetic_cz_objective(self, base: Event, system: System) -> Event:
        kind = self.rng.choice(["SpecOps", "WarzoneGeneral", "WarzoneCorrespondent", "CapShip"])
        faction: Any = self._faction(system)
        if kind == "CapShip":  # the plugin sends its whole faction object here (§5.4)
            faction = {"Faction": faction, "FactionState": "War", "Influence": 0.45}
        return self._augmented(
            base | {"event": "SyntheticCZObjective", "count": 1, "type": kind, "Faction": faction},
            system,
            docked=False,
        )

    def _synthetic_scenario(self, base: Event, system: System) -> Event:
        return self._augmented(
            base
            | {
                "event": "SyntheticScenario",
                "type": "Megaship",
                "count": 1,
                "Faction": self._faction(system),
            },
            system,
            docked=False,
        )


class Bodies:
    """Unique request bodies: batches made in advance whose events get, when sent, a cmdr and a
    timestamp that no other event of the run has (cmdr n % CMDRS, second n // CMDRS)."""

    def __init__(self, maker: EventMaker, batch_size: int, templates: int = TEMPLATES) -> None:
        self.batch_size = batch_size
        self.cmdrs = [f"Bench Cmdr {n:03d}" for n in range(CMDRS)]
        self.start = datetime.now(UTC).replace(microsecond=0)
        self.templates = [self._template(maker, batch_size) for _ in range(templates)]
        self.sequence = 0
        self._second = -1
        self._timestamp = ""

    @staticmethod
    def _template(maker: EventMaker, size: int) -> str:
        events = [maker.event(f"@T{i}@", f"@C{i}@") for i in range(size)]
        text = json.dumps(events).replace("%", "%%")
        for i in range(size):
            text = text.replace(f'"@T{i}@"', f'"%(t{i})s"').replace(f'"@C{i}@"', f'"%(c{i})s"')
        return text

    def next(self) -> bytes:
        values: dict[str, str] = {}
        for i in range(self.batch_size):
            n = self.sequence
            self.sequence += 1
            if n // CMDRS != self._second:
                self._second = n // CMDRS
                self._timestamp = (self.start + timedelta(seconds=self._second)).strftime(
                    TIME_FORMAT
                )
            values[f"t{i}"] = self._timestamp
            values[f"c{i}"] = self.cmdrs[n % CMDRS]
        template = self.templates[(self.sequence // self.batch_size) % len(self.templates)]
        return (template % values).encode()


# --------------------------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the measured window saw, plus what was sent overall (for the count check)."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    duplicates: int = 0
    events: int = 0
    sent_events: int = 0
    stored_answers: int = 0


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.urls = itertools.cycle([url.rstrip("/") + "/events" for url in args.url])
        self.headers = {
            "apikey": args.key,
            "apiversion": "1.8.0",
            "User-Agent": "BGS-Tally/5.5.0-dev (bench)",
            "Content-Type": "application/json",
        }
        self.bodies = Bodies(EventMaker(args.seed), args.batch_size)
        self.batch_size: int = args.batch_size
        self.remaining: int | None = args.batches
        self.tally = Tally()
        self.measuring = False
        self.deadline = 0.0

    def _next_body(self) -> bytes | None:
        if self.remaining is not None:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
        elif time.perf_counter() >= self.deadline:
            return None
        return self.bodies.next()

    async def client(self, http: aiohttp.ClientSession) -> None:
        while (body := self._next_body()) is not None:
            measuring = self.measuring
            started = time.perf_counter()
            status, answer = await self._post(http, body)
            elapsed = time.perf_counter() - started
            tally = self.tally
            tally.sent_events += self.batch_size
            if status == "200" and isinstance(answer, dict):
                tally.stored_answers += answer.get("accepted", 0)
            if not measuring:
                continue
            tally.latencies.append(elapsed)
            if status == "200" and isinstance(answer, dict):
                tally.accepted += answer.get("accepted", 0)
                tally.duplicates += answer.get("duplicates", 0)
                tally.events += self.batch_size
            else:
                tally.errors[status] += 1

    async def _post(self, http: aiohttp.ClientSession, body: bytes) -> tuple[str, Any]:
        try:
            async with http.post(next(self.urls), data=body, headers=self.headers) as response:
                text = await response.read()
                status = str(response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return type(exc).__name__, None
        try:
            return status, json.loads(text)
        except ValueError:
            return status, None

    async def run(self, clients: int, duration: float, warmup: float) -> float:
        """Warm up, then measure; returns the measured window's length in seconds."""
        connector = aiohttp.TCPConnector(limit=clients)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            if warmup > 0:
                remaining, self.remaining = self.remaining, None
                self.deadline = time.perf_counter() + warmup
                await asyncio.gather(*(self.client(http) for _ in range(clients)))
                self.remaining = remaining
            self.measuring = True
            self.deadline = time.perf_counter() + duration
            started = time.perf_counter()
            await asyncio.gather(*(self.client(http) for _ in range(clients)))
            return time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# Stored-count check
# --------------------------------------------------------------------------------------------


class StoredCount:
    """Counts the key's guild's rows in `events` through an unscoped session."""

    def __init__(self, database_url: str, key: str) -> None:
        from db.database import Database  # the project's code, only when a check is asked for

        self.db = Database(database_url)
        self.key = key
        self.guild_id: int | None = None

    async def count(self) -> int:
        from sqlalchemy import func, select

        from bgs.apikeys import find_owner
        from db.models import Event as EventRow

        async with self.db.unscoped() as session:
            if self.guild_id is None:
                owner = await find_owner(session, self.key)
                if owner is None:
                    raise SystemExit("the key is not known to that database")
                self.guild_id = owner.guild_id
            statement = select(func.count(EventRow.id)).where(EventRow.guild_id == self.guild_id)
            return (await session.execute(statement)).scalar_one()

    async def close(self) -> None:
        await self.db.dispose()


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def report(args: argparse.Namespace, tally: Tally, seconds: float) -> list[str]:
    latencies = sorted(tally.latencies)
    ms = [value * 1000 for value in latencies]
    lines = [
        f"clients {args.clients}, batch {args.batch_size} events, measured {seconds:.1f} s "
        f"after {args.warmup:g} s warm-up",
        f"requests {len(latencies)} ({len(latencies) / seconds:.0f}/s), events stored "
        f"{tally.accepted} ({tally.accepted / seconds:.0f} events/s), duplicates "
        f"{tally.duplicates}",
    ]
    if ms:
        lines.append(
            f"latency ms: p50 {percentile(ms, 0.50):.1f}  p95 {percentile(ms, 0.95):.1f}  "
            f"p99 {percentile(ms, 0.99):.1f}  max {ms[-1]:.1f}  mean {statistics.fmean(ms):.1f}"
        )
    errors = ", ".join(f"{status}: {n}" for status, n in sorted(tally.errors.items()))
    lines.append(f"errors: {errors or 'none'}")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench.ingest", description="POST plugin-shaped event batches at a listener."
    )
    parser.add_argument(
        "--url",
        required=True,
        action="append",
        help="the listener's root URL, e.g. http://127.0.0.1:8099/; give it once per listener "
        "to spread the batches over several, round robin",
    )
    parser.add_argument("--key", required=True, help="an API key of the guild to write to")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument(
        "--duration", type=float, default=20.0, help="seconds to measure (default 20)"
    )
    amount.add_argument("--batches", type=int, help="measure this many batches instead")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of unmeasured load first"
    )
    parser.add_argument(
        "--batch-size", type=int, default=10, help="events per request (default 10)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the event mix")
    parser.add_argument(
        "--database-url",
        help="the listener's database; when given, check that every event sent was stored",
    )
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> int:
    stored = StoredCount(args.database_url, args.key) if args.database_url else None
    try:
        before = await stored.count() if stored else 0
        load = Load(args)
        seconds = await load.run(args.clients, args.duration, args.warmup)
        lines = report(args, load.tally, seconds)
        ok = not load.tally.errors and load.tally.duplicates == 0
        if stored is not None:
            grew = await stored.count() - before
            sent = load.tally.sent_events
            lost = load.tally.stored_answers - grew
            ok = ok and grew == sent
            verdict = "OK" if grew == sent else f"MISMATCH: {sent - grew} not stored"
            lines.append(
                f"stored check: sent {sent} events (warm-up included), answered accepted "
                f"{load.tally.stored_answers}, rows added to events {grew}, lost {lost}: {verdict}"
            )
    finally:
        if stored is not None:
            await stored.close()
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
