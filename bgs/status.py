"""What `/status` reports about a guild's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cmdr


@dataclass(frozen=True, slots=True)
class PluginData:
    """The newest plugin data of a guild: from which cmdr and when, and how many cmdrs so far."""

    cmdr: str
    received_at: datetime
    cmdrs: int


async def plugin_data(session: AsyncSession) -> PluginData | None:
    """The guild's newest plugin data (tenant session); None before the first."""
    newest = (
        await session.execute(
            select(Cmdr.name, Cmdr.last_seen).order_by(Cmdr.last_seen.desc()).limit(1)
        )
    ).first()
    if newest is None:
        return None
    cmdrs = (await session.execute(select(func.count(Cmdr.id)))).scalar_one()
    return PluginData(newest.name, newest.last_seen, cmdrs)
