"""Objectives: what officers set (validated), their live progress counted from members' events,
and the list the plugin polls (`bgstally-api.md` §7).

Progress is never stored. For each objective one query reads the typed event tables inside the
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

import enum
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeAlias

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
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from bgs.errors import DomainError
from bgs.names import CHOICES_LIMIT
from db import models

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# The enums, in one place
# --------------------------------------------------------------------------------------------

OBJECTIVE_TYPES: Final[Mapping[str, str]] = {
    "recon": "Recon Mission",
    "win_war": "Win a War",
    "draw_war": "Draw a War",
    "win_election": "Win an Election",
    "draw_election": "Draw an Election",
    "boost": "Boost a Faction",
    "expand": "Expand from a System",
    "reduce": "Reduce a Faction",
    "retreat": "Retreat a Faction from a System",
    "equalise": "Equalise two Factions",
}


@dataclass(frozen=True, slots=True)
class TargetKind:
    """How a target type is named and in which unit its progress counts."""

    label: str
    unit: str


TARGET_TYPES: Final[Mapping[str, TargetKind]] = {
    "visit": TargetKind("Visit", ""),
    "inf": TargetKind("Influence", "INF"),
    "bv": TargetKind("Bounty vouchers", "CR"),
    "cb": TargetKind("Combat bonds", "CR"),
    "expl": TargetKind("Exploration data", "CR"),
    "trade_prof": TargetKind("Trade profit", "CR"),
    "bm_prof": TargetKind("Black-market profit", "CR"),
    "ground_cz": TargetKind("Ground CZs", "wins"),
    "space_cz": TargetKind("Space CZs", "wins"),
    "murder": TargetKind("Murders", "kills"),
    "mission_fail": TargetKind("Failed missions", "fails"),
}

VISIT = "visit"
INFLUENCE = "inf"
GROUND_CZ = "ground_cz"
MAX_PRIORITY = 5
MAX_TARGETS = 25  # per objective, and settlements per target: one embed's fields in Discord
TITLE_LENGTH = 200
NAME_LENGTH = models.NAME
MAX_ARMS = 400  # per progress query: SQLite allows 500 terms in a compound SELECT
CHOICE_LABEL_LENGTH = 100  # Discord's limit for an autocomplete choice's name

API_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SYSTEM_OBJECT_VERSION = (1, 8, 0)  # plugins from API 1.8.0 on take `system` as {name, x, y, z}

ARRIVAL_EVENTS = ("FSDJump", "Location", "CarrierJump")
DOCKING_EVENTS = ("Docked", "Location")
BOUNTY_VOUCHER = "bounty"
COMBAT_BOND_VOUCHER = "CombatBond"


class ObjectiveError(DomainError):
    """A request about objectives that cannot be done; the message is shown to the user."""


class ObjectiveNotFoundError(ObjectiveError):
    """No such objective, target or settlement in this guild."""


class _Unchanged(enum.Enum):
    UNCHANGED = "unchanged"


UNCHANGED: Final = _Unchanged.UNCHANGED
"""`edit_objective`'s default for a field that stays as it is (None clears a nullable one)."""

Keep: TypeAlias = Literal[_Unchanged.UNCHANGED]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(values)


def check_objective_type(value: str) -> str:
    if value not in OBJECTIVE_TYPES:
        raise ObjectiveError(
            f"'{value}' is not an objective type. Use one of: {_allowed(OBJECTIVE_TYPES)}."
        )
    return value


def check_target_type(value: str) -> str:
    if value not in TARGET_TYPES:
        raise ObjectiveError(
            f"'{value}' is not a target type. Use one of: {_allowed(TARGET_TYPES)}."
        )
    return value


def check_priority(value: int) -> int:
    if not 0 <= value <= MAX_PRIORITY:
        raise ObjectiveError(f"The priority must be a whole number from 0 to {MAX_PRIORITY}.")
    return value


def check_title(value: str) -> str:
    title = value.strip()
    if not title:
        raise ObjectiveError("The title cannot be empty.")
    if len(title) > TITLE_LENGTH:
        raise ObjectiveError(f"The title is too long: at most {TITLE_LENGTH} characters.")
    return title


def check_name(value: str | None, what: str) -> str | None:
    """A system, faction, station or settlement name: trimmed; empty means none."""
    name = (value or "").strip()
    if len(name) > NAME_LENGTH:
        raise ObjectiveError(f"The {what} name is too long: at most {NAME_LENGTH} characters.")
    return name or None


def check_window(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise ObjectiveError(
            f"The end ({api_date(ends_at)}) must be after the start ({api_date(starts_at)})."
        )


def check_target_values(target_type: str, target_overall: int, target_individual: int) -> None:
    """Negative goals mean "undermine", which only influence can be."""
    if target_type != INFLUENCE and (target_overall < 0 or target_individual < 0):
        raise ObjectiveError(
            "Goals cannot be negative, except on inf targets, where a negative goal means "
            "undermine the faction."
        )


def check_station(target_type: str, station: str | None) -> None:
    if station is not None and target_type != VISIT:
        raise ObjectiveError(
            f"A station can only be set on a visit target, not on a {target_type} target."
        )


def check_settlement_target(target_type: str) -> None:
    if target_type != GROUND_CZ:
        raise ObjectiveError(
            f"Settlements can only be added to ground_cz targets; this is a {target_type} target."
        )


def check_settlement_values(target_overall: int, target_individual: int) -> None:
    if target_overall < 0 or target_individual < 0:
        raise ObjectiveError("Settlement goals cannot be negative.")


# --------------------------------------------------------------------------------------------
# Progress: what the commands and the plugin show
# --------------------------------------------------------------------------------------------


def is_complete(target_type: str, progress: int, target_overall: int) -> bool:
    """Done: a visit once made; else the goal reached (≤ it when negative); 0 = open-ended."""
    if target_type == VISIT:
        return progress > 0
    if target_overall > 0:
        return progress >= target_overall
    if target_overall < 0:
        return progress <= target_overall
    return False


def completion(target_type: str, progress: int, target_overall: int) -> float | None:
    """How far along, 0.0-1.0 (for progress bars); None when open-ended."""
    if target_type == VISIT:
        return 1.0 if progress > 0 else 0.0
    if target_overall == 0:
        return None
    return max(0.0, min(1.0, progress / target_overall))


@dataclass(frozen=True, slots=True)
class Contribution:
    cmdr: str
    amount: int


def _ranked(totals: Mapping[str | None, int], *, undermine: bool) -> tuple[Contribution, ...]:
    """Named cmdrs with a non-zero share, biggest first (most negative first to undermine)."""
    sign = -1 if undermine else 1
    ranked = sorted(
        (Contribution(cmdr, amount) for cmdr, amount in totals.items() if cmdr and amount),
        key=lambda c: (-sign * c.amount, c.cmdr),
    )
    return tuple(ranked)


@dataclass(frozen=True, slots=True)
class SettlementProgress:
    id: int
    name: str
    target_individual: int
    target_overall: int
    progress: int
    contributors: tuple[Contribution, ...]

    @property
    def complete(self) -> bool:
        return is_complete(GROUND_CZ, self.progress, self.target_overall)

    @property
    def completion(self) -> float | None:
        return completion(GROUND_CZ, self.progress, self.target_overall)


@dataclass(frozen=True, slots=True)
class TargetProgress:
    """A target with its live progress; `system`/`faction` as set (None: the objective's)."""

    id: int
    type: str
    system: str | None
    faction: str | None
    station: str | None
    effective_system: str | None
    effective_faction: str | None
    target_individual: int
    target_overall: int
    progress: int
    contributors: tuple[Contribution, ...]
    settlements: tuple[SettlementProgress, ...]

    @property
    def complete(self) -> bool:
        return is_complete(self.type, self.progress, self.target_overall)

    @property
    def completion(self) -> float | None:
        return completion(self.type, self.progress, self.target_overall)

    @property
    def kind(self) -> TargetKind:
        return TARGET_TYPES[self.type]

    @property
    def label(self) -> str:
        return target_label(self.type, self.effective_system, self.effective_faction, self.station)


@dataclass(frozen=True, slots=True)
class ObjectiveProgress:
    id: int
    title: str
    type: str
    priority: int
    system: str | None
    faction: str | None
    description: str | None
    starts_at: datetime
    ends_at: datetime | None
    created_by: int | None
    targets: tuple[TargetProgress, ...]

    @property
    def type_label(self) -> str:
        return OBJECTIVE_TYPES[self.type]

    @property
    def complete(self) -> bool:
        """Every target done (an objective without targets, or with open-ended ones, is not)."""
        return bool(self.targets) and all(target.complete for target in self.targets)

    @property
    def completion(self) -> float | None:
        """The mean completion of the measurable targets; None when none is measurable."""
        parts = [c for c in (t.completion for t in self.targets) if c is not None]
        return sum(parts) / len(parts) if parts else None

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now <= self.ends_at)


def target_label(
    target_type: str, system: str | None, faction: str | None, station: str | None
) -> str:
    """A short description: 'Combat bonds · Alpha Defence Force · Test System Alpha'."""
    if target_type == VISIT:
        where = f"{station} in {system or 'no system'}" if station else system or "no system"
        return f"Visit {where}"
    parts = [TARGET_TYPES[target_type].label, faction or "any faction", system or "any system"]
    return " · ".join(parts)


# --------------------------------------------------------------------------------------------
# The progress query
# --------------------------------------------------------------------------------------------

_Arm: TypeAlias = Select[Any]
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
    ) -> _Arm:
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


_ArmsOf: TypeAlias = Callable[[_Scope], list[_Arm]]
_Totals: TypeAlias = defaultdict[int, defaultdict[str | None, int]]
_SettlementTotals: TypeAlias = defaultdict[tuple[int, str], defaultdict[str | None, int]]
_EACH = literal_column("1", BigInteger)  # the amount of a counted event


def _influence(s: _Scope) -> list[_Arm]:
    m = models.MissionInfluence
    where: list[ColumnElement[bool]] = []
    if s.system is not None:
        # An effect names its system by address, not where the mission was handed in.
        addresses = select(models.KnownSystem.address).where(models.KnownSystem.name == s.system)
        where.append(m.system_address.in_(addresses))
    return [s.arm(m, m.influence, *where, faction_column=m.faction)]


def _voucher(kind: str) -> _ArmsOf:
    def arms(s: _Scope) -> list[_Arm]:
        m = models.RedeemVoucherFaction
        return [
            s.arm(
                m, m.amount, m.type == kind, *s.in_system(m.system_name), faction_column=m.faction
            )
        ]

    return arms


def _exploration(s: _Scope) -> list[_Arm]:
    m = models.ExplorationSale
    return [s.arm(m, m.earnings, *s.in_system(m.system_name), faction_column=m.station_faction)]


def _trade(black_market: bool) -> _ArmsOf:
    def arms(s: _Scope) -> list[_Arm]:
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


def _space_cz(s: _Scope) -> list[_Arm]:
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


def _ground_cz(s: _Scope) -> list[_Arm]:
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


def _murder(s: _Scope) -> list[_Arm]:
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


def _mission_fail(s: _Scope) -> list[_Arm]:
    m = models.MissionFailed
    return [s.arm(m, _EACH, *s.in_system(m.system_name), faction_column=m.faction)]


def _visit(s: _Scope, station: str | None) -> list[_Arm]:
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


def _target_arms(
    objective: models.Objective, target: models.ObjectiveTarget, now: datetime
) -> list[_Arm]:
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


async def _progress(
    session: AsyncSession, objectives: Sequence[models.Objective], now: datetime
) -> list[ObjectiveProgress]:
    """The objectives with the live progress of their targets.

    One query for all of them (more only past MAX_ARMS arms; at most one per objective).
    """
    totals: _Totals = defaultdict(lambda: defaultdict(int))
    by_settlement: _SettlementTotals = defaultdict(lambda: defaultdict(int))
    batch: list[_Arm] = []
    for objective in objectives:
        arms = [arm for t in objective.targets for arm in _target_arms(objective, t, now)]
        if batch and len(batch) + len(arms) > MAX_ARMS:
            await _sum_arms(session, batch, totals, by_settlement)
            batch = []
        batch.extend(arms)
    if batch:
        await _sum_arms(session, batch, totals, by_settlement)
    return [_assemble(objective, totals, by_settlement) for objective in objectives]


async def _sum_arms(
    session: AsyncSession,
    arms: Sequence[_Arm],
    totals: _Totals,
    by_settlement: _SettlementTotals,
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


def _assemble(
    objective: models.Objective, totals: _Totals, by_settlement: _SettlementTotals
) -> ObjectiveProgress:
    """The objective as the commands and the plugin see it, with the summed amounts."""
    targets = []
    for target in objective.targets:
        undermine = target.target_overall < 0
        cmdrs: Mapping[str | None, int] = totals.get(target.id, {})
        progress = sum(cmdrs.values())
        settlements = []
        for s in target.settlements:
            at_settlement: Mapping[str | None, int] = by_settlement.get((target.id, s.name), {})
            settlements.append(
                SettlementProgress(
                    id=s.id,
                    name=s.name,
                    target_individual=s.target_individual,
                    target_overall=s.target_overall,
                    progress=sum(at_settlement.values()),
                    contributors=_ranked(at_settlement, undermine=False),
                )
            )
        targets.append(
            TargetProgress(
                id=target.id,
                type=target.type,
                system=target.system,
                faction=target.faction,
                station=target.station,
                effective_system=target.system or objective.system,
                effective_faction=target.faction or objective.faction,
                target_individual=target.target_individual,
                target_overall=target.target_overall,
                progress=min(progress, 1) if target.type == VISIT else progress,
                contributors=_ranked(cmdrs, undermine=undermine),
                settlements=tuple(settlements),
            )
        )
    return ObjectiveProgress(
        id=objective.id,
        title=objective.title,
        type=objective.type,
        priority=objective.priority,
        system=objective.system,
        faction=objective.faction,
        description=objective.description,
        starts_at=objective.starts_at,
        ends_at=objective.ends_at,
        created_by=objective.created_by,
        targets=tuple(targets),
    )


def _with_tree() -> Select[models.Objective]:
    return select(models.Objective).options(
        selectinload(models.Objective.targets).selectinload(models.ObjectiveTarget.settlements)
    )


def _ordered(statement: Select[models.Objective]) -> Select[models.Objective]:
    """Highest priority first, then the soonest end (open-ended last)."""
    o = models.Objective
    return statement.order_by(o.priority.desc(), o.ends_at.asc().nulls_last(), o.id)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


async def list_objectives(
    session: AsyncSession,
    *,
    now: datetime,
    active_only: bool = False,
    system: str | None = None,
    faction: str | None = None,
) -> list[ObjectiveProgress]:
    """The guild's objectives with progress, highest priority first, then soonest end.

    `active_only` keeps those running at `now`; `system` / `faction` (case-insensitive) keep
    those where the objective or one of its targets names it.
    """
    o, t = models.Objective, models.ObjectiveTarget
    statement = _with_tree()
    if active_only:
        statement = statement.where(o.starts_at <= now, or_(o.ends_at.is_(None), o.ends_at >= now))
    filters = (("system", system, o.system, t.system), ("faction", faction, o.faction, t.faction))
    for what, value, own, of_target in filters:
        name = check_name(value, what)
        if name is not None:
            named = select(t.id).where(
                t.objective_id == o.id, func.lower(of_target) == name.lower()
            )
            statement = statement.where(or_(func.lower(own) == name.lower(), named.exists()))
    objectives = (await session.execute(_ordered(statement))).scalars().all()
    return await _progress(session, objectives, now)


async def _objective(session: AsyncSession, objective_id: int) -> models.Objective:
    found = (
        await session.execute(_with_tree().where(models.Objective.id == objective_id))
    ).scalar_one_or_none()
    if found is None:
        raise ObjectiveNotFoundError(
            f"There is no objective #{objective_id}; pick one from the list."
        )
    return found


async def get_objective(
    session: AsyncSession, objective_id: int, *, now: datetime
) -> ObjectiveProgress:
    """One objective with its targets, settlements, progress and contributors."""
    (progress,) = await _progress(session, [await _objective(session, objective_id)], now)
    return progress


# --------------------------------------------------------------------------------------------
# Changing (officers)
# --------------------------------------------------------------------------------------------


async def create_objective(
    session: AsyncSession,
    *,
    title: str,
    objective_type: str,
    system: str | None = None,
    faction: str | None = None,
    priority: int = 0,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    description: str | None = None,
    created_by: int | None = None,
) -> int:
    """A new objective (starting now unless told); returns its id."""
    now = datetime.now(UTC)
    starts_at = starts_at or now
    check_window(starts_at, ends_at)
    objective = models.Objective(
        title=check_title(title),
        type=check_objective_type(objective_type),
        priority=check_priority(priority),
        system=check_name(system, "system"),
        faction=check_name(faction, "faction"),
        description=(description or "").strip() or None,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(objective)
    await session.flush()
    log.info("objective %d (%s) created by %s", objective.id, objective.title, created_by)
    return objective.id


async def edit_objective(
    session: AsyncSession,
    objective_id: int,
    *,
    title: str | Keep = UNCHANGED,
    objective_type: str | Keep = UNCHANGED,
    system: str | Keep | None = UNCHANGED,
    faction: str | Keep | None = UNCHANGED,
    priority: int | Keep = UNCHANGED,
    starts_at: datetime | Keep = UNCHANGED,
    ends_at: datetime | Keep | None = UNCHANGED,
    description: str | Keep | None = UNCHANGED,
) -> None:
    """Change the given fields (UNCHANGED leaves one as it is; None clears a nullable one).

    Everything is validated before anything changes.
    """
    objective = await _objective(session, objective_id)
    changes: dict[str, Any] = {}
    if title is not UNCHANGED:
        changes["title"] = check_title(title)
    if objective_type is not UNCHANGED:
        changes["type"] = check_objective_type(objective_type)
    if system is not UNCHANGED:
        changes["system"] = check_name(system, "system")
    if faction is not UNCHANGED:
        changes["faction"] = check_name(faction, "faction")
    if priority is not UNCHANGED:
        changes["priority"] = check_priority(priority)
    if description is not UNCHANGED:
        changes["description"] = (description or "").strip() or None
    if starts_at is not UNCHANGED:
        changes["starts_at"] = starts_at
    if ends_at is not UNCHANGED:
        changes["ends_at"] = ends_at
    check_window(
        changes.get("starts_at", objective.starts_at), changes.get("ends_at", objective.ends_at)
    )
    for field, value in changes.items():
        setattr(objective, field, value)
    objective.updated_at = datetime.now(UTC)
    await session.flush()


async def delete_objective(session: AsyncSession, objective_id: int) -> str:
    """Delete an objective with its targets and settlements; returns its title."""
    objective = await _objective(session, objective_id)
    title = objective.title
    await session.delete(objective)
    await session.flush()
    log.info("objective %d (%s) deleted", objective_id, title)
    return title


async def add_target(
    session: AsyncSession,
    objective_id: int,
    *,
    target_type: str,
    system: str | None = None,
    faction: str | None = None,
    station: str | None = None,
    target_overall: int = 0,
    target_individual: int = 0,
) -> int:
    """A new target on an objective; returns its id. Empty system/faction: the objective's."""
    check_target_type(target_type)
    station = check_name(station, "station")
    check_station(target_type, station)
    check_target_values(target_type, target_overall, target_individual)
    objective = await _objective(session, objective_id)
    if len(objective.targets) >= MAX_TARGETS:
        raise ObjectiveError(
            f"An objective can have at most {MAX_TARGETS} targets; remove one first."
        )
    target = models.ObjectiveTarget(
        type=target_type,
        system=check_name(system, "system"),
        faction=check_name(faction, "faction"),
        station=station,
        target_overall=target_overall,
        target_individual=target_individual,
    )
    objective.targets.append(target)
    objective.updated_at = datetime.now(UTC)
    await session.flush()
    return target.id


async def _target(
    session: AsyncSession, objective_id: int, target_id: int
) -> models.ObjectiveTarget:
    target = (
        await session.execute(
            select(models.ObjectiveTarget).where(
                models.ObjectiveTarget.id == target_id,
                models.ObjectiveTarget.objective_id == objective_id,
            )
        )
    ).scalar_one_or_none()
    if target is None:
        raise ObjectiveNotFoundError(
            f"Objective #{objective_id} has no target #{target_id}; pick one from the list."
        )
    return target


async def _touch(session: AsyncSession, objective_id: int) -> None:
    objective = await session.get(models.Objective, objective_id)
    if objective is not None:
        objective.updated_at = datetime.now(UTC)


async def remove_target(session: AsyncSession, objective_id: int, target_id: int) -> None:
    """Remove a target (and its settlements) from an objective."""
    await session.delete(await _target(session, objective_id, target_id))
    await _touch(session, objective_id)
    await session.flush()


async def add_settlement(
    session: AsyncSession,
    objective_id: int,
    target_id: int,
    *,
    name: str,
    target_overall: int = 0,
    target_individual: int = 0,
) -> int:
    """A settlement on a ground_cz target; returns its id."""
    target = await _target(session, objective_id, target_id)
    check_settlement_target(target.type)
    settlement_name = check_name(name, "settlement")
    if settlement_name is None:
        raise ObjectiveError("The settlement name cannot be empty.")
    check_settlement_values(target_overall, target_individual)
    s = models.ObjectiveSettlement
    existing = (
        await session.execute(select(func.count(s.id)).where(s.target_id == target.id))
    ).scalar_one()
    if existing >= MAX_TARGETS:
        raise ObjectiveError(
            f"A target can have at most {MAX_TARGETS} settlements; remove one first."
        )
    settlement = models.ObjectiveSettlement(
        target_id=target.id,
        name=settlement_name,
        target_overall=target_overall,
        target_individual=target_individual,
    )
    session.add(settlement)
    await _touch(session, objective_id)
    await session.flush()
    return settlement.id


async def remove_settlement(session: AsyncSession, objective_id: int, settlement_id: int) -> None:
    """Remove a settlement from one of the objective's targets."""
    s, t = models.ObjectiveSettlement, models.ObjectiveTarget
    settlement = (
        await session.execute(
            select(s)
            .join(t, t.id == s.target_id)
            .where(s.id == settlement_id, t.objective_id == objective_id)
        )
    ).scalar_one_or_none()
    if settlement is None:
        raise ObjectiveNotFoundError(
            f"Objective #{objective_id} has no settlement #{settlement_id}; pick one from the list."
        )
    await session.delete(settlement)
    await _touch(session, objective_id)
    await session.flush()


# --------------------------------------------------------------------------------------------
# Autocomplete
# --------------------------------------------------------------------------------------------


def _choice(label: str) -> str:
    return label if len(label) <= CHOICE_LABEL_LENGTH else label[: CHOICE_LABEL_LENGTH - 1] + "…"


async def objective_choices(
    session: AsyncSession, fragment: str, *, limit: int = CHOICES_LIMIT
) -> list[tuple[int, str]]:
    """(id, '#id title') of objectives whose title contains the fragment (case-insensitive)."""
    o = models.Objective
    statement = select(o.id, o.title)
    if fragment.strip():
        statement = statement.where(o.title.icontains(fragment.strip(), autoescape=True))
    rows = await session.execute(
        statement.order_by(o.priority.desc(), o.starts_at.desc(), o.id).limit(limit)
    )
    return [(row.id, _choice(f"#{row.id} {row.title}")) for row in rows]


async def target_choices(
    session: AsyncSession, objective_id: int, fragment: str, *, limit: int = CHOICES_LIMIT
) -> list[tuple[int, str]]:
    """(id, label) of the objective's targets whose label contains the fragment."""
    objective = (
        await session.execute(
            select(models.Objective)
            .where(models.Objective.id == objective_id)
            .options(selectinload(models.Objective.targets))
        )
    ).scalar_one_or_none()
    if objective is None:
        return []
    needle = fragment.strip().lower()
    choices = []
    for t in objective.targets:
        label = f"#{t.id} " + target_label(
            t.type, t.system or objective.system, t.faction or objective.faction, t.station
        )
        if needle in label.lower():
            choices.append((t.id, _choice(label)))
    return choices[:limit]


async def settlement_choices(
    session: AsyncSession, objective_id: int, fragment: str, *, limit: int = CHOICES_LIMIT
) -> list[tuple[int, str]]:
    """(id, 'name (target #n)') of the objective's settlements whose name contains the fragment."""
    s, t = models.ObjectiveSettlement, models.ObjectiveTarget
    statement = (
        select(s.id, s.name, s.target_id)
        .join(t, t.id == s.target_id)
        .where(t.objective_id == objective_id)
    )
    if fragment.strip():
        statement = statement.where(s.name.icontains(fragment.strip(), autoescape=True))
    rows = await session.execute(statement.order_by(s.name, s.id).limit(limit))
    return [(row.id, _choice(f"{row.name} (target #{row.target_id})")) for row in rows]


# --------------------------------------------------------------------------------------------
# GET /objectives: the plugin's format
# --------------------------------------------------------------------------------------------


def api_date(instant: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the only form the plugin parses."""
    return instant.astimezone(UTC).strftime(API_DATE_FORMAT)


def _version(api_version: str | None) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in (api_version or "").split("."))
    except ValueError:
        return None


async def _coordinates(
    session: AsyncSession, names: set[str]
) -> dict[str, tuple[float, float, float]]:
    """Known coordinates (from members' StarPos) of the named systems."""
    if not names:
        return {}
    k = models.KnownSystem
    rows = await session.execute(
        select(k.name, k.x, k.y, k.z).where(k.name.in_(sorted(names))).order_by(k.last_seen)
    )
    return {
        name: (x, y, z)
        for name, x, y, z in rows
        if x is not None and y is not None and z is not None
    }


def _plugin_target(
    target: TargetProgress, system: Callable[[str], str | dict[str, Any]]
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": target.type}
    if target.system:
        body["system"] = system(target.system)
    if target.faction:
        body["faction"] = target.faction
    if target.station:
        body["station"] = target.station
    body["targetindividual"] = target.target_individual
    body["targetoverall"] = target.target_overall
    body["progress"] = target.progress
    if target.type == GROUND_CZ:
        body["settlements"] = [
            {
                "name": s.name,
                "targetindividual": s.target_individual,
                "targetoverall": s.target_overall,
                "progress": s.progress,
            }
            for s in target.settlements
        ]
    return body


def plugin_objective(
    objective: ObjectiveProgress, coordinates: Mapping[str, tuple[float, float, float]] | None
) -> dict[str, Any]:
    """One objective as the plugin reads it (§7.2-7.3); `coordinates` None: systems as strings."""

    def system(name: str) -> str | dict[str, Any]:
        position = None if coordinates is None else coordinates.get(name)
        if position is None:
            return name
        x, y, z = position
        return {"name": name, "x": x, "y": y, "z": z}

    body: dict[str, Any] = {
        "title": objective.title,
        "priority": objective.priority,
        "type": objective.type,
        "description": objective.description or "",
        "system": system(objective.system) if objective.system else "",
        "faction": objective.faction or "",
        "startdate": api_date(objective.starts_at),
    }
    if objective.ends_at is not None:
        body["enddate"] = api_date(objective.ends_at)
    body["targets"] = [_plugin_target(target, system) for target in objective.targets]
    return body


async def plugin_objectives(
    session: AsyncSession, api_version: str | None, now: datetime
) -> list[dict[str, Any]]:
    """The body of GET /objectives: the objectives not yet ended, with live progress.

    Systems go out as `{name, x, y, z}` to plugins of API 1.8.0 and later when the coordinates
    are known, otherwise (and to older or unknown versions) as plain names.
    """
    o = models.Objective
    statement = _ordered(_with_tree().where(or_(o.ends_at.is_(None), o.ends_at >= now)))
    objectives = await _progress(session, (await session.execute(statement)).scalars().all(), now)
    coordinates = None
    version = _version(api_version)
    if version is not None and version >= SYSTEM_OBJECT_VERSION:
        names = {
            name
            for objective in objectives
            for name in (objective.system, *(t.system for t in objective.targets))
            if name
        }
        coordinates = await _coordinates(session, names)
    return [plugin_objective(objective, coordinates) for objective in objectives]
