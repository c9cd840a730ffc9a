"""Event rollups: what each stored event adds to the counters of its buckets.

`EventSums` collects the additions of some stored events (`bgs.rollups.backlog` reads them back)
and `write` adds them to the stored rows, one statement for all. The additions of one event come
from the same typed rows the summaries used to sum (`bgs.events`), so a rollup holds exactly
what its events hold; a duplicate event is never stored, so it adds nothing.

Day rows also tell, in `flags`, whether their events were stamped before their own tick
(`EARLY`, `sys` rows) and whether at or after the guild's officer tick (`CUT`, every kind): the
periods an officer's tick cuts by time (`bgs.periods`) are made of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from bgs.rollups.buckets import CUT, DAY, EARLY, VISIT, buckets
from db import bulk, models

VISIT_EVENTS: Final = ("FSDJump", "Location", "CarrierJump", "Docked")
VOUCHER_BOUNTY: Final = "bounty"
VOUCHER_COMBAT_BOND: Final = "CombatBond"
NO_NAME: Final = ""  # a name the event did not give
NO_ADDRESS: Final = -1  # an address the event did not give

CMDR, INFLUENCE, SPACE_CZ, GROUND_CZ, SYSTEM = "cmdr", "inf", "scz", "gcz", "sys"

KEY: Final = models.EVENT_ROLLUP_KEY[1:]  # without guild_id, which the session stamps
SUMMED: Final = (
    "buy_volume",
    "buy_tonnage",
    "sell_volume",
    "sell_tonnage",
    "trade_profit",
    "missions_completed",
    "missions_failed",
    "bounty_vouchers",
    "combat_bonds",
    "exploration_sales",
    "bounty_fines",
    "influence",
    "low",
    "medium",
    "high",
    "events",
)
# the leaderboard's event metrics (`kind` CMDR rows)
CMDR_METRICS: Final = SUMMED[:11]
CZ_SIZES: Final = ("low", "medium", "high")

Key = tuple[Any, ...]
Addition = tuple[str, str, str, str, str, int, int, dict[str, int]]


def _name(value: str | None) -> str:
    return NO_NAME if value is None else value


def _cmdr_metrics(model: type[models.Base], row: Mapping[str, Any]) -> dict[str, int] | None:
    """The leaderboard metrics one typed row adds (None: it adds to none)."""
    if model is models.MarketBuy:
        return {"buy_volume": row["total_cost"], "buy_tonnage": row["count"]}
    if model is models.MarketSell:
        return {
            "sell_volume": row["total_sale"],
            "sell_tonnage": row["count"],
            "trade_profit": row["profit"],
        }
    if model is models.MissionCompleted:
        return {"missions_completed": 1}
    if model is models.MissionFailed:
        return {"missions_failed": 1}
    if model is models.RedeemVoucher:
        if row["type"] == VOUCHER_BOUNTY:
            return {"bounty_vouchers": row["amount"]}
        if row["type"] == VOUCHER_COMBAT_BOND:
            return {"combat_bonds": row["amount"]}
        return None
    if model is models.ExplorationSale:
        return {"exploration_sales": row["earnings"]}
    if model is models.CommitCrime:
        return {"bounty_fines": row["fine"] + row["bounty"]}
    return None


def child_addition(model: type[models.Base], row: Mapping[str, Any]) -> Addition | None:
    """(kind, cmdr, system, faction, settlement, address, flags, sums) a typed row adds to, or
    None (rows without a cmdr count in no per-cmdr summary)."""
    cmdr = row["cmdr"]
    if cmdr is None:
        return None
    system = _name(row["system_name"])
    if model is models.MissionInfluence:
        address = row["system_address"]
        address = NO_ADDRESS if address is None else address
        sums = {"influence": row["influence"]}
        return INFLUENCE, cmdr, system, row["faction"], NO_NAME, address, 0, sums
    if model is models.SyntheticCZ or model is models.SyntheticGroundCZ:
        kind = SPACE_CZ if model is models.SyntheticCZ else GROUND_CZ
        settlement = _name(row["settlement"]) if kind == GROUND_CZ else NO_NAME
        sizes = {size: row[size] for size in CZ_SIZES}
        return kind, cmdr, system, _name(row["faction"]), settlement, NO_ADDRESS, 0, sizes
    metrics = _cmdr_metrics(model, row)
    if metrics is None:
        return None
    return CMDR, cmdr, system, NO_NAME, NO_NAME, NO_ADDRESS, 0, metrics


class EventSums:
    """The additions of some events to their rollup rows, by key: to the rows of every grain,
    or of day rows only (`days_only`). `cut` is the guild's officer tick, if any."""

    def __init__(self, cut: datetime | None, *, days_only: bool = False) -> None:
        self.sums: dict[Key, dict[str, int]] = defaultdict(dict)
        self.newest: dict[Key, datetime] = {}
        self._cut = cut
        self._days_only = days_only

    def _add(self, timestamp: datetime, tickid: str | None, addition: Addition) -> None:
        kind, cmdr, system, faction, settlement, address, flags, sums = addition
        if self._cut is not None and timestamp >= self._cut:
            flags |= CUT
        for grain, bucket, tick in buckets(timestamp, tickid):
            if grain != DAY and self._days_only:
                break
            kept = flags if grain == DAY else flags & VISIT  # `early` and `cut` split day rows
            key = (kind, grain, bucket, tick, cmdr, system, faction, settlement, address, kept)
            into = self.sums[key]
            for name, value in sums.items():
                into[name] = into.get(name, 0) + value
            if kind == SYSTEM:
                stored = self.newest.get(key)
                if stored is None or timestamp > stored:
                    self.newest[key] = timestamp

    def add_event(
        self,
        event: str,
        timestamp: datetime,
        tickid: str | None,
        ticktime: datetime | None,
        system: str | None,
    ) -> None:
        """An event, by the columns of its `events` row."""
        if system is None:
            return
        early = ticktime is not None and timestamp < ticktime
        flags = (VISIT if event in VISIT_EVENTS else 0) | (EARLY if early else 0)
        addition = (SYSTEM, NO_NAME, system, NO_NAME, NO_NAME, NO_ADDRESS, flags, {"events": 1})
        self._add(timestamp, tickid, addition)

    def add_child(self, model: type[models.Base], row: Mapping[str, Any]) -> None:
        """A typed row of an event (with its envelope columns)."""
        addition = child_addition(model, row)
        if addition is not None:
            self._add(row["timestamp"], row["tickid"], addition)

    def add_all(self, children: Iterable[tuple[type[models.Base], Mapping[str, Any]]]) -> None:
        for model, row in children:
            self.add_child(model, row)

    def rows(self, guild_id: int) -> list[dict[str, Any]]:
        """The guild's rows to add, every sum given (0 where the events added nothing)."""
        result = []
        for key, sums in self.sums.items():
            row = {"guild_id": guild_id, **dict(zip(KEY, key, strict=True))}
            row |= {name: sums.get(name, 0) for name in SUMMED}
            row["newest"] = self.newest.get(key)
            result.append(row)
        return result


def write(session: Session, sums: EventSums) -> None:
    """Add the sums to the stored rollups in the session's transaction."""
    bulk.add_to(
        session,
        bulk.table_of(models.EventRollup),
        sums.rows(session.info["guild_id"]),
        unique=models.EVENT_ROLLUP_KEY,
        summed=SUMMED,
        greatest=("newest",),
    )
