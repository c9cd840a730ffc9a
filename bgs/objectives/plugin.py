"""GET /objectives in the plugin's format (`bgstally-api.md` §7): the objectives not yet ended,
with live progress."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.objectives.progress import (
    ObjectiveProgress,
    TargetProgress,
    ordered,
    progress_of,
    with_tree,
)
from bgs.objectives.rules import GROUND_CZ, api_date
from db import models

SYSTEM_OBJECT_VERSION = (1, 8, 0)  # plugins from API 1.8.0 on take `system` as {name, x, y, z}


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
    statement = ordered(with_tree().where(or_(o.ends_at.is_(None), o.ends_at >= now)))
    objectives = await progress_of(session, (await session.execute(statement)).scalars().all(), now)
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
