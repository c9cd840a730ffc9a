"""Autocomplete of objectives, targets and settlements."""

from __future__ import annotations

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bgs.names import CHOICES_LIMIT
from bgs.objectives.rules import target_label
from db import models

CHOICE_LABEL_LENGTH = 100  # Discord's limit for an autocomplete choice's name


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
