"""Storing the plugin's per-tick tallies: one snapshot per cmdr and tick, replaced by each PUT."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import rollups
from bgs.ingest.known import PILOTS_FEDERATION, Names, remember_names
from bgs.tallies import store_totals
from db import models


async def replace_activity(
    session: AsyncSession, activity: models.Activity, received_at: datetime | None = None
) -> None:
    """Store a cmdr's whole-tick snapshot, replacing the one stored for the same tick."""
    received_at = received_at or datetime.now(UTC)
    await session.execute(
        delete(models.Activity).where(
            models.Activity.cmdr == activity.cmdr, models.Activity.tickid == activity.tickid
        )
    )
    activity.received_at = received_at
    store_totals(activity)
    session.add(activity)
    await session.flush()
    await session.run_sync(rollups.replace_tally, activity)
    names = Names(
        systems={
            system.address: {
                "address": system.address,
                "name": system.name,
                "x": None,
                "y": None,
                "z": None,
                "last_seen": received_at,
            }
            for system in activity.systems
        },
        factions={
            f.name for s in activity.systems for f in s.factions if f.name != PILOTS_FEDERATION
        },
    )
    await session.run_sync(remember_names, names, received_at)
