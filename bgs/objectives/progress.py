"""Objectives with their live progress and contributors, as the commands and the plugin show
them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Select,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bgs.objectives.query import MAX_ARMS, Arm, SettlementTotals, Totals, sum_arms, target_arms
from bgs.objectives.rules import (
    GROUND_CZ,
    OBJECTIVE_TYPES,
    TARGET_TYPES,
    VISIT,
    ObjectiveNotFoundError,
    TargetKind,
    check_name,
    completion,
    is_complete,
    target_label,
)
from db import models


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


async def progress_of(
    session: AsyncSession, objectives: Sequence[models.Objective], now: datetime
) -> list[ObjectiveProgress]:
    """The objectives with the live progress of their targets.

    One query for all of them (more only past MAX_ARMS arms; at most one per objective).
    """
    totals: Totals = defaultdict(lambda: defaultdict(int))
    by_settlement: SettlementTotals = defaultdict(lambda: defaultdict(int))
    batch: list[Arm] = []
    for objective in objectives:
        arms = [arm for t in objective.targets for arm in target_arms(objective, t, now)]
        if batch and len(batch) + len(arms) > MAX_ARMS:
            await sum_arms(session, batch, totals, by_settlement)
            batch = []
        batch.extend(arms)
    if batch:
        await sum_arms(session, batch, totals, by_settlement)
    return [_assemble(objective, totals, by_settlement) for objective in objectives]


def _assemble(
    objective: models.Objective, totals: Totals, by_settlement: SettlementTotals
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


def with_tree() -> Select[models.Objective]:
    return select(models.Objective).options(
        selectinload(models.Objective.targets).selectinload(models.ObjectiveTarget.settlements)
    )


def ordered(statement: Select[models.Objective]) -> Select[models.Objective]:
    """Highest priority first, then the soonest end (open-ended last)."""
    o = models.Objective
    return statement.order_by(o.priority.desc(), o.ends_at.asc().nulls_last(), o.id)


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
    statement = with_tree()
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
    objectives = (await session.execute(ordered(statement))).scalars().all()
    return await progress_of(session, objectives, now)


async def load_objective(session: AsyncSession, objective_id: int) -> models.Objective:
    found = (
        await session.execute(with_tree().where(models.Objective.id == objective_id))
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
    (progress,) = await progress_of(session, [await load_objective(session, objective_id)], now)
    return progress
