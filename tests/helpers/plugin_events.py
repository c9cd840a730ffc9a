"""Builders of plugin events (shaped like the captured BGS-Tally 1.8.0 batches) for tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bgs.events import Envelope, parse_envelope
from bgs.ingest import IngestResult, prepare, store_batches
from db.database import Database

ALPHA, ALPHA_ADDRESS, ALPHA_POS = "Test System Alpha", 1000001, [1.5, -2.25, 10.0]
BETA, BETA_ADDRESS, BETA_POS = "Test System Beta", 1000002, [0.0, 0.0, 0.0]
ADF = "Alpha Defence Force"
PIRATES = "Alpha Pirates"
TRADERS = "Alpha Traders"
BETA_UNION = "Beta Union"
CMDR = "Test Cmdr"

_sequence = itertools.count(1)

Event = dict[str, Any]


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(
    name: str,
    at: datetime,
    *,
    cmdr: str = CMDR,
    system: str = ALPHA,
    address: int = ALPHA_ADDRESS,
    station_faction: str = "",
    **fields: Any,
) -> Event:
    """One event with the plugin's envelope. `seq` keeps otherwise identical test events apart
    (the listener drops an event whose whole content was stored before)."""
    return {
        "event": name,
        **fields,
        "timestamp": stamp(at),
        "cmdr": cmdr,
        "tickid": "zoy-7aa3e8fcc79b08a08a58",
        "ticktime": "2026-11-26T11:00:00Z",
        "StationFaction": {"Name": station_faction},
        "StarSystem": system,
        "SystemAddress": str(address),
        "seq": next(_sequence),
    }


def influence(
    at: datetime,
    faction: str,
    plus: str,
    trend: str = "UpGood",
    *,
    effect_address: int | None = ALPHA_ADDRESS,
    **envelope: Any,
) -> Event:
    """A completed mission whose only effect is `plus` influence for `faction`."""
    effect: dict[str, Any] = {"Trend": trend, "Influence": plus}
    if effect_address is not None:
        effect["SystemAddress"] = effect_address
    return event(
        "MissionCompleted",
        at,
        Faction=faction,
        Name="Mission_Delivery_name",
        Reward=100000,
        FactionEffects=[
            {
                "Faction": faction,
                "Effects": [],
                "Influence": [effect],
                "ReputationTrend": "UpGood",
                "Reputation": "+",
            }
        ],
        **envelope,
    )


def bounty(at: datetime, faction: str, amount: int, **envelope: Any) -> Event:
    return event(
        "RedeemVoucher",
        at,
        Type="bounty",
        Amount=amount,
        Factions=[{"Faction": faction, "Amount": amount}],
        **envelope,
    )


def combat_bond(at: datetime, faction: str, amount: int, **envelope: Any) -> Event:
    return event("RedeemVoucher", at, Type="CombatBond", Amount=amount, Faction=faction, **envelope)


def exploration(
    at: datetime, station_faction: str, earnings: int, *, multi: bool = False, **envelope: Any
) -> Event:
    return event(
        "MultiSellExplorationData" if multi else "SellExplorationData",
        at,
        BaseValue=earnings,
        Bonus=0,
        TotalEarnings=earnings,
        station_faction=station_faction,
        **envelope,
    )


def market_sell(
    at: datetime,
    station_faction: str,
    *,
    count: int,
    sale: int,
    paid: int,
    black_market: bool = False,
    **envelope: Any,
) -> Event:
    """A sale of `count` units at `sale` each, bought at `paid` each."""
    fields: dict[str, Any] = {"BlackMarket": True} if black_market else {}
    return event(
        "MarketSell",
        at,
        MarketID=3700001,
        Type="palladium",
        Count=count,
        SellPrice=sale,
        TotalSale=sale * count,
        AvgPricePaid=paid,
        station_faction=station_faction,
        **fields,
        **envelope,
    )


def space_cz(
    at: datetime, faction: str, size: str = "high", count: int = 1, **envelope: Any
) -> Event:
    return event("SyntheticCZ", at, Faction=faction, **{size: count}, **envelope)


def cz_objective(at: datetime, faction: str, count: int = 1, **envelope: Any) -> Event:
    return event(
        "SyntheticCZObjective", at, Faction=faction, type="SpecOps", count=count, **envelope
    )


def ground_cz(
    at: datetime, faction: str, settlement: str, size: str = "low", count: int = 1, **envelope: Any
) -> Event:
    return event(
        "SyntheticGroundCZ", at, Faction=faction, settlement=settlement, **{size: count}, **envelope
    )


def crime(at: datetime, faction: str, crime_type: str = "murder", **envelope: Any) -> Event:
    return event(
        "CommitCrime",
        at,
        CrimeType=crime_type,
        Faction=faction,
        Victim="Bob",
        Bounty=10000,
        **envelope,
    )


def mission_failed(at: datetime, giver: str, **envelope: Any) -> Event:
    """The plugin names the mission giver in StationFaction (the journal names none)."""
    return event(
        "MissionFailed",
        at,
        Name="Mission_Courier_name",
        Fine=50000,
        station_faction=giver,
        **envelope,
    )


def jump(
    at: datetime,
    system: str = ALPHA,
    address: int = ALPHA_ADDRESS,
    pos: Sequence[float] = ALPHA_POS,
    *,
    name: str = "FSDJump",
    **envelope: Any,
) -> Event:
    return event(name, at, system=system, address=address, StarPos=list(pos), **envelope)


def docked(
    at: datetime, station: str, system: str = ALPHA, address: int = ALPHA_ADDRESS, **envelope: Any
) -> Event:
    return event(
        "Docked",
        at,
        StationName=station,
        StationType="Coriolis",
        system=system,
        address=address,
        **envelope,
    )


async def store_envelopes(session: AsyncSession, envelopes: Sequence[Envelope]) -> IngestResult:
    """Store one batch of parsed envelopes in the session's transaction."""
    (result,) = await store_batches(session, [prepare(envelopes)])
    return result


async def store(db: Database, guild_id: int, *events: Event) -> IngestResult:
    """Store events as the listener does: parsed envelopes, one transaction."""
    envelopes = [parse_envelope(index, item) for index, item in enumerate(events)]
    async with db.tenant_write(guild_id) as session:
        return await store_envelopes(session, envelopes)
