"""Live progress of objectives, counted from members' events (never stored).

For each objective one query reads the typed event tables inside the
objective's window (start ≤ t ≤ end, an open end meaning now): a UNION ALL of one arm per target
(two for `space_cz`), summed per target, settlement and cmdr. Each arm filters by guild, system
and time; `bench/objectives.py` lists the indexes that make that fast.

A target's system and faction default to the objective's; when neither is set the target is not
limited to a system (or faction), except a `visit`, which without a system counts nothing.

How each target type counts (the per-cmdr figures come from the same rows):

* `inf`: signed influence effects (`+++` with a Down trend is -3) on the faction in the system;
  an effect names its system by address, mapped from the name through `known_systems`.
* `bv` / `cb`: the faction's share of bounty / combat-bond vouchers redeemed in the system.
* `expl`: exploration data sold in the system at stations of the faction.
* `trade_prof` / `bm_prof`: market-sale profit (TotalSale − AvgPricePaid × Count) in the system
  at stations of the faction, outside / on the black market.
* `space_cz`: space CZs (low + medium + high) plus CZ side objectives fought for the faction.
* `ground_cz`: ground CZs fought for the faction, negative corrections included; per settlement
  for the target's settlements.
* `murder`: murders whose victim belongs to the faction; `mission_fail`: missions failed for it.
* `visit`: progress 1 once any member arrived in the system (FSDJump, Location, CarrierJump),
  or, when a station is set, docked there (Docked, or a Location naming the station; the station
  name is read from the stored event JSON). A cmdr's figure is their number of such arrivals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeAlias

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    String,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bgs.objectives.rules import VISIT
from db import models

MAX_ARMS = 400  # per progress query: SQLite allows 500 terms in a compound SELECT


ARRIVAL_EVENTS = ("FSDJump", "Location", "CarrierJump")


DOCKING_EVENTS = ("Docked", "Location")


BOUNTY_VOUCHER = "bounty"


COMBAT_BOND_VOUCHER = "CombatBond"


Arm: TypeAlias = Select[Any]


_Child: TypeAlias = (
    type[models.MissionInfluence]
    | type[models.RedeemVoucherFaction]
    | type[models.ExplorationSale]
    | type[models.MarketSell]
    | type[models.SyntheticCZ]
    | type[models.SyntheticCZObjective]
    | type[models.SyntheticGroundCZ]
    | type[models.CommitCrime]
    | type[models.MissionFailed]
    | type[models.Event]
)


@dataclass(frozen=True, slots=True)
class _Scope:
    """One target's filters: its key in the query, the window, and what it is about."""

    key: int
    starts_at: datetime
    ends_at: datetime
    system: str | None
    faction: str | None

    def arm(
        self,
        model: _Child,
        amount: SQLColumnExpression[Any],
        *conditions: ColumnElement[bool],
        faction_column: InstrumentedAttribute[Any] | None = None,
        settlement: InstrumentedAttribute[Any] | None = None,
    ) -> Arm:
        """SELECT key, settlement, cmdr, amount: this target's rows of one table.

        Arms are not grouped themselves: a GROUP BY cmdr tempts SQLite into walking the
        (guild_id, cmdr) index instead of the selective one; the sum is taken over the union.
        """
        where = [model.timestamp >= self.starts_at, model.timestamp <= self.ends_at, *conditions]
        if faction_column is not None and self.faction is not None:
            where.append(faction_column == self.faction)
        return select(
            literal_column(str(self.key), Integer).label("key"),
            (settlement if settlement is not None else cast(null(), String)).label("settlement"),
            model.cmdr.label("cmdr"),
            amount.label("amount"),
        ).where(*where)

    def in_system(self, column: InstrumentedAttribute[Any]) -> list[ColumnElement[bool]]:
        return [] if self.system is None else [column == self.system]


_ArmsOf: TypeAlias = Callable[[_Scope], list[Arm]]


Totals: TypeAlias = defaultdict[int, defaultdict[str | None, int]]


SettlementTotals: TypeAlias = defaultdict[tuple[int, str], defaultdict[str | None, int]]


_EACH = literal_column("1", BigInteger)  # the amount of a counted event


def _influence(s: _Scope) -> list[Arm]:
    m = models.MissionInfluence
    where: list[ColumnElement[bool]] = []
    if s.system is not None:
        # An effect names its system by address, not where the mission was handed in.
        addresses = select(models.KnownSystem.address).where(models.KnownSystem.name == s.system)
        where.append(m.system_address.in_(addresses))
    return [s.arm(m, m.influence, *where, faction_column=m.faction)]


def _voucher(kind: str) -> _ArmsOf:
    def arms(s: _Scope) -> list[Arm]:
        m = models.RedeemVoucherFaction
        return [
            s.arm(
                m, m.amount, m.type == kind, *s.in_system(m.system_name), faction_column=m.faction
            )
        ]

    return arms


def _exploration(s: _Scope) -> list[Arm]:
    m = models.ExplorationSale
    return [s.arm(m, m.earnings, *s.in_system(m.system_name), faction_column=m.station_faction)]


def _trade(black_market: bool) -> _ArmsOf:
    def arms(s: _Scope) -> list[Arm]:
        m = models.MarketSell
        return [
            s.arm(
                m,
                m.profit,
                m.black_market.is_(black_market),
                *s.in_system(m.system_name),
                faction_column=m.station_faction,
            )
        ]

    return arms


def _space_cz(s: _Scope) -> list[Arm]:
    cz, side = models.SyntheticCZ, models.SyntheticCZObjective
    return [
        s.arm(
            cz,
            cz.low + cz.medium + cz.high,
            *s.in_system(cz.system_name),
            faction_column=cz.faction,
        ),
        s.arm(side, side.count, *s.in_system(side.system_name), faction_column=side.faction),
    ]


def _ground_cz(s: _Scope) -> list[Arm]:
    m = models.SyntheticGroundCZ
    return [
        s.arm(
            m,
            m.low + m.medium + m.high,
            *s.in_system(m.system_name),
            faction_column=m.faction,
            settlement=m.settlement,
        )
    ]


def _murder(s: _Scope) -> list[Arm]:
    m = models.CommitCrime
    return [
        s.arm(
            m,
            _EACH,
            m.is_murder.is_(True),
            *s.in_system(m.system_name),
            faction_column=m.faction,
        )
    ]


def _mission_fail(s: _Scope) -> list[Arm]:
    m = models.MissionFailed
    return [s.arm(m, _EACH, *s.in_system(m.system_name), faction_column=m.faction)]


def _visit(s: _Scope, station: str | None) -> list[Arm]:
    if s.system is None:
        return []
    m = models.Event
    if station is None:
        return [s.arm(m, _EACH, m.event.in_(ARRIVAL_EVENTS), m.system_name == s.system)]
    return [
        s.arm(
            m,
            _EACH,
            m.event.in_(DOCKING_EVENTS),
            m.system_name == s.system,
            m.data["StationName"].as_string() == station,
        )
    ]


_ARMS: Final[Mapping[str, _ArmsOf]] = {
    "inf": _influence,
    "bv": _voucher(BOUNTY_VOUCHER),
    "cb": _voucher(COMBAT_BOND_VOUCHER),
    "expl": _exploration,
    "trade_prof": _trade(black_market=False),
    "bm_prof": _trade(black_market=True),
    "space_cz": _space_cz,
    "ground_cz": _ground_cz,
    "murder": _murder,
    "mission_fail": _mission_fail,
}


def target_arms(
    objective: models.Objective, target: models.ObjectiveTarget, now: datetime
) -> list[Arm]:
    scope = _Scope(
        key=target.id,
        starts_at=objective.starts_at,
        ends_at=objective.ends_at or now,
        system=target.system or objective.system,
        faction=target.faction or objective.faction,
    )
    if target.type == VISIT:
        return _visit(scope, target.station)
    return _ARMS[target.type](scope)


async def sum_arms(
    session: AsyncSession,
    arms: Sequence[Arm],
    totals: Totals,
    by_settlement: SettlementTotals,
) -> None:
    """Run the arms as one query: amounts per target, settlement and cmdr."""
    rows = union_all(*arms).subquery()
    grouped = select(
        rows.c.key, rows.c.settlement, rows.c.cmdr, cast(func.sum(rows.c.amount), BigInteger)
    ).group_by(rows.c.key, rows.c.settlement, rows.c.cmdr)
    for key, settlement, cmdr, amount in await session.execute(grouped):
        totals[key][cmdr] += amount
        if settlement is not None:
            by_settlement[key, settlement][cmdr] += amount
