"""Names from the guild's own data, for autocomplete: systems, factions, cmdrs."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db.models import Cmdr, KnownFaction, KnownSystem

CHOICES_LIMIT = 25  # Discord shows at most 25 autocomplete choices


async def matching_names(
    session: AsyncSession,
    name: InstrumentedAttribute[str],
    last_seen: InstrumentedAttribute[object],
    fragment: str,
    limit: int,
) -> list[str]:
    """Names containing `fragment` (any case), prefix matches first, then the most recent."""
    fragment = fragment.strip().lower()
    statement = select(name)
    if fragment:
        statement = statement.where(func.lower(name).contains(fragment, autoescape=True))
    statement = statement.order_by(
        func.lower(name).startswith(fragment, autoescape=True).desc(), last_seen.desc(), name
    ).limit(limit)
    return list((await session.execute(statement)).scalars())


async def faction_names(
    session: AsyncSession, fragment: str, limit: int = CHOICES_LIMIT
) -> list[str]:
    return await matching_names(session, KnownFaction.name, KnownFaction.last_seen, fragment, limit)


async def system_names(
    session: AsyncSession, fragment: str, limit: int = CHOICES_LIMIT
) -> list[str]:
    return await matching_names(session, KnownSystem.name, KnownSystem.last_seen, fragment, limit)


async def cmdr_names(session: AsyncSession, fragment: str, limit: int = CHOICES_LIMIT) -> list[str]:
    return await matching_names(session, Cmdr.name, Cmdr.last_seen, fragment, limit)
