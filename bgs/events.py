"""What an event from the plugin means: the envelope, and the typed rows of the event types
that feed summaries.

Liberal exactly where the real plugin is odd (`bgstally-api.md` §5.3–5.4, §10): integer or
string `SystemAddress`, `StationFaction` as an object, the CapShip `Faction` object, `type` as a
one-element list, negative CZ counts, unknown fields. The reference's field-name mistakes are
fixed: the mission faction is `Faction`, bounty vouchers carry a `Factions` list, CommitCrime
has both `Fine` and `Bounty`, influence is signed by its trend.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from db import models
from db.types import json_bytes

MURDER_CRIMES = frozenset({"murder", "onFoot_murder"})
CZ_SIZES = ("low", "medium", "high")


class EnvelopeError(ValueError):
    """The request's envelope is invalid; the message names the index and the field."""


def parse_instant(value: object) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (naive means UTC); None when unparseable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_int(value: object, default: int = 0) -> int:
    """An integer from an int, a float or a numeric string; `default` otherwise."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value) if math.isfinite(value) else default
    if isinstance(value, str):
        try:
            return round(float(value.strip()))
        except (ValueError, OverflowError):  # not a number, NaN, or infinite
            return default
    return default


def as_optional_int(value: object) -> int | None:
    return None if value is None or value == "" else as_int(value, default=0)


def as_name(value: object) -> str | None:
    """A faction or similar name: a string, or the name inside the plugin's odd objects (JSON
    objects, so dicts: far cheaper to check for than any Mapping, on every event)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        for key in ("Name", "Faction", "name"):
            inner = value.get(key)
            if isinstance(inner, str):
                return inner or None
    return None


def as_type(value: object) -> str | None:
    """A `type` field, also when a manual edit sent it as a one-element list."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def content_hash(event: Mapping[str, Any]) -> str:
    """Identity of an event's content: the same event sent twice hashes the same."""
    return hashlib.sha256(json_bytes(event, sort_keys=True)).hexdigest()


@dataclass(frozen=True, slots=True)
class Envelope:
    """The fields every event row carries."""

    event: str
    timestamp: datetime
    tickid: str | None
    ticktime: datetime | None
    cmdr: str | None
    system_name: str | None
    system_address: int | None
    station_faction: str | None
    data: dict[str, Any]
    content_hash: str

    def row(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "timestamp": self.timestamp,
            "tickid": self.tickid,
            "ticktime": self.ticktime,
            "cmdr": self.cmdr,
            "system_name": self.system_name,
            "system_address": self.system_address,
            "station_faction": self.station_faction,
            "content_hash": self.content_hash,
            "data": self.data,
        }

    def child_base(self) -> dict[str, Any]:
        """The envelope columns every typed row repeats (all but `event_id`)."""
        return {
            "timestamp": self.timestamp,
            "tickid": self.tickid,
            "cmdr": self.cmdr,
            "system_name": self.system_name,
        }


def _short(value: object, limit: int = 128) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def parse_envelope(index: int, item: object) -> Envelope:
    """Validate one item of a POST /events body; raise EnvelopeError naming index and field."""
    if not isinstance(item, dict):
        raise EnvelopeError(f"events[{index}]: must be a JSON object, got {type(item).__name__}")
    name = item.get("event")
    if not isinstance(name, str) or not name.strip():
        raise EnvelopeError(f"events[{index}].event: required, a non-empty string")
    if len(name) > 64:
        raise EnvelopeError(f"events[{index}].event: longer than 64 characters")
    timestamp = parse_instant(item.get("timestamp"))
    if timestamp is None:
        raise EnvelopeError(
            f"events[{index}].timestamp: required, an ISO 8601 time like 2026-11-26T13:09:58Z"
        )
    tickid = item.get("tickid")
    return Envelope(
        event=name,
        timestamp=timestamp,
        tickid=tickid[:64] if isinstance(tickid, str) and tickid else None,
        ticktime=parse_instant(item.get("ticktime")),
        cmdr=_short(item.get("cmdr")),
        system_name=_short(item.get("StarSystem")),
        system_address=as_optional_int(item.get("SystemAddress")),
        station_faction=_short(as_name(item.get("StationFaction"))),
        data=item,
        content_hash=content_hash(item),
    )


# --------------------------------------------------------------------------------------------
# Typed rows: one parser per event type, each yielding (model, row) pairs without the base.
# --------------------------------------------------------------------------------------------

Rows = Iterator[tuple[type[models.Base], dict[str, Any]]]


def _market_buy(e: Envelope) -> Rows:
    d = e.data
    yield (
        models.MarketBuy,
        {
            "station_faction": e.station_faction,
            "commodity": _short(d.get("Type")),
            "count": as_int(d.get("Count")),
            "buy_price": as_int(d.get("BuyPrice")),
            "total_cost": as_int(d.get("TotalCost")),
            "stock": as_optional_int(d.get("Stock")),
            "stock_bracket": as_optional_int(d.get("StockBracket")),
        },
    )


def _market_sell(e: Envelope) -> Rows:
    d = e.data
    count = as_int(d.get("Count"))
    total_sale = as_int(d.get("TotalSale"))
    avg_paid = as_int(d.get("AvgPricePaid"))
    yield (
        models.MarketSell,
        {
            "station_faction": e.station_faction,
            "commodity": _short(d.get("Type")),
            "count": count,
            "sell_price": as_int(d.get("SellPrice")),
            "total_sale": total_sale,
            "avg_price_paid": avg_paid,
            "profit": total_sale - avg_paid * count,
            "black_market": bool(d.get("BlackMarket")),
            "demand": as_optional_int(d.get("Demand")),
            "demand_bracket": as_optional_int(d.get("DemandBracket")),
        },
    )


def signed_influence(plus: object, trend: object) -> int:
    """'+++' with an Up trend is 3, with a Down trend -3."""
    size = plus.count("+") if isinstance(plus, str) else 0
    return -size if isinstance(trend, str) and trend.startswith("Down") else size


def _mission_completed(e: Envelope) -> Rows:
    d = e.data
    yield (
        models.MissionCompleted,
        {
            "mission_id": as_optional_int(d.get("MissionID")),
            "name": _short(d.get("Name")),
            "faction": _short(as_name(d.get("Faction"))),
            "reward": as_int(d.get("Reward")),
        },
    )
    effects = d.get("FactionEffects")
    for effect in effects if isinstance(effects, list) else []:
        if not isinstance(effect, dict):
            continue
        faction = _short(as_name(effect.get("Faction")))
        influences = effect.get("Influence")
        if faction is None or not isinstance(influences, list):
            continue
        first = next((x for x in effect.get("Effects") or [] if isinstance(x, dict)), {})
        for influence in influences:
            if not isinstance(influence, dict):
                continue
            yield (
                models.MissionInfluence,
                {
                    "faction": faction,
                    "system_address": as_optional_int(influence.get("SystemAddress")),
                    "influence": signed_influence(
                        influence.get("Influence"), influence.get("Trend")
                    ),
                    "trend": _short(influence.get("Trend"), 32),
                    "reputation": _short(effect.get("Reputation"), 8),
                    "reputation_trend": _short(effect.get("ReputationTrend"), 32),
                    "effect": _short(first.get("Effect")),
                    "effect_trend": _short(first.get("Trend"), 32),
                },
            )


def _faction_kill_bond(e: Envelope) -> Rows:
    d = e.data
    yield (
        models.FactionKillBond,
        {
            "reward": as_int(d.get("Reward")),
            "awarding_faction": _short(as_name(d.get("AwardingFaction"))),
            "victim_faction": _short(as_name(d.get("VictimFaction"))),
            "killer_ship": _short(d.get("KillerShip"), 64),
        },
    )


def _mission_failed(e: Envelope) -> Rows:
    d = e.data
    # The journal's MissionFailed names no faction; the plugin puts the mission giver in
    # StationFaction (bgstally-api.md §5.3). A `Faction` field, where present, wins.
    yield (
        models.MissionFailed,
        {
            "mission_id": as_optional_int(d.get("MissionID")),
            "name": _short(d.get("Name")),
            "faction": _short(as_name(d.get("Faction"))) or e.station_faction,
            "fine": as_int(d.get("Fine")),
        },
    )


def _exploration(e: Envelope) -> Rows:
    d = e.data
    yield (
        models.ExplorationSale,
        {
            "event": e.event,
            "station_faction": e.station_faction,
            "base_value": as_int(d.get("BaseValue")),
            "bonus": as_int(d.get("Bonus")),
            "earnings": as_int(d.get("TotalEarnings")),
        },
    )


def _redeem_voucher(e: Envelope) -> Rows:
    d = e.data
    kind = _short(d.get("Type"), 64) or "unknown"
    faction = _short(as_name(d.get("Faction")))
    amount = as_int(d.get("Amount"))
    broker = d.get("BrokerPercentage")
    yield (
        models.RedeemVoucher,
        {
            "type": kind,
            "amount": amount,
            "faction": faction,
            "broker_percentage": float(broker) if isinstance(broker, int | float) else None,
        },
    )
    shares = d.get("Factions")
    if isinstance(shares, list):
        for share in shares:
            name = _short(as_name(share.get("Faction"))) if isinstance(share, dict) else None
            if name is not None and isinstance(share, dict):
                yield (
                    models.RedeemVoucherFaction,
                    {
                        "type": kind,
                        "faction": name,
                        "amount": as_int(share.get("Amount")),
                    },
                )
    elif faction is not None:
        yield models.RedeemVoucherFaction, {"type": kind, "faction": faction, "amount": amount}


def _commit_crime(e: Envelope) -> Rows:
    d = e.data
    crime = _short(d.get("CrimeType"), 64) or "unknown"
    yield (
        models.CommitCrime,
        {
            "crime_type": crime,
            "faction": _short(as_name(d.get("Faction"))),
            "victim": _short(d.get("Victim")),
            "fine": as_int(d.get("Fine")),
            "bounty": as_int(d.get("Bounty")),
            "is_murder": crime in MURDER_CRIMES,
        },
    )


def _sizes(d: Mapping[str, Any]) -> dict[str, int]:
    return {size: as_int(d.get(size)) for size in CZ_SIZES}


def _synthetic_cz(e: Envelope) -> Rows:
    d = e.data
    yield models.SyntheticCZ, {"faction": _short(as_name(d.get("Faction"))), **_sizes(d)}


def _synthetic_ground_cz(e: Envelope) -> Rows:
    d = e.data
    yield (
        models.SyntheticGroundCZ,
        {
            "faction": _short(as_name(d.get("Faction"))),
            "settlement": _short(d.get("settlement")),
            **_sizes(d),
        },
    )


def _synthetic_count(model: type[models.Base]) -> Callable[[Envelope], Rows]:
    def parse(e: Envelope) -> Rows:
        d = e.data
        yield (
            model,
            {
                "faction": _short(as_name(d.get("Faction"))),
                "type": _short(as_type(d.get("type")), 64),
                "count": as_int(d.get("count"), default=1),
            },
        )

    return parse


PARSERS: dict[str, Callable[[Envelope], Rows]] = {
    "MarketBuy": _market_buy,
    "MarketSell": _market_sell,
    "MissionCompleted": _mission_completed,
    "FactionKillBond": _faction_kill_bond,
    "MissionFailed": _mission_failed,
    "SellExplorationData": _exploration,
    "MultiSellExplorationData": _exploration,
    "RedeemVoucher": _redeem_voucher,
    "CommitCrime": _commit_crime,
    "SyntheticCZ": _synthetic_cz,
    "SyntheticGroundCZ": _synthetic_ground_cz,
    "SyntheticCZObjective": _synthetic_count(models.SyntheticCZObjective),
    "SyntheticScenario": _synthetic_count(models.SyntheticScenario),
}


def child_rows(envelope: Envelope) -> list[tuple[type[models.Base], dict[str, Any]]]:
    """The typed child rows of one event without `event_id`, which is known once it is stored
    (none for types no summary reads)."""
    parser = PARSERS.get(envelope.event)
    if parser is None:
        return []
    base = envelope.child_base()
    return [(model, base | row) for model, row in parser(envelope)]


def typed_rows(envelope: Envelope, event_id: int) -> Rows:
    """The typed child rows of one stored event (none for types no summary reads)."""
    for model, row in child_rows(envelope):
        yield model, {"event_id": event_id, **row}


def star_pos(data: Mapping[str, Any]) -> tuple[float, float, float] | None:
    """The system coordinates of an FSDJump/Location/CarrierJump/StartUp event, if given."""
    pos = data.get("StarPos")
    if (
        isinstance(pos, list)
        and len(pos) == 3
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
    ):
        return float(pos[0]), float(pos[1]), float(pos[2])
    return None


def faction_names(data: Mapping[str, Any]) -> Iterator[str]:
    """Every minor-faction name an event mentions (for autocomplete)."""
    for key in ("Faction", "AwardingFaction", "VictimFaction", "StationFaction", "SystemFaction"):
        name = as_name(data.get(key))
        if name and not name.startswith("$"):
            yield name
    for key in ("Factions", "FactionEffects"):
        items = data.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict):
                    name = as_name(item.get("Name")) or as_name(item.get("Faction"))
                    if name and not name.startswith("$"):
                        yield name
