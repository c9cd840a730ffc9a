"""What officers change: objectives, their targets and settlements, each value checked before
anything changes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.objectives.progress import load_objective
from bgs.objectives.rules import (
    MAX_TARGETS,
    ObjectiveError,
    ObjectiveNotFoundError,
    check_name,
    check_objective_type,
    check_priority,
    check_settlement_target,
    check_settlement_values,
    check_station,
    check_target_type,
    check_target_values,
    check_title,
    check_window,
)
from bgs.unchanged import UNCHANGED, Keep
from db import models

log = logging.getLogger(__name__)


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
    objective = await load_objective(session, objective_id)
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
    objective = await load_objective(session, objective_id)
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
    objective = await load_objective(session, objective_id)
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
