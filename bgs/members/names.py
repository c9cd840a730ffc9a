"""Members' server names. The bot has no member list (no privileged intent): it keeps the name
each member had when they last used one of the members' commands, and shows that."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.bulk import dialect_insert, dialect_name
from db.models import Member

NAME_LENGTH = 100


async def note_member(session: AsyncSession, user_id: int, name: str, now: datetime) -> None:
    """Remember a member's server name (a write only when it changed)."""
    name = name.strip()[:NAME_LENGTH] or str(user_id)
    known = (
        await session.execute(select(Member.name).where(Member.user_id == user_id))
    ).scalar_one_or_none()
    if known == name:
        return
    insert = dialect_insert(dialect_name(session), Member)
    upsert = insert.on_conflict_do_update(
        index_elements=["guild_id", "user_id"],
        set_={"name": insert.excluded.name, "updated_at": insert.excluded.updated_at},
    )
    # The row as parameters: the tenant session stamps the guild on those.
    await session.execute(upsert, {"user_id": user_id, "name": name, "updated_at": now})


async def member_names(session: AsyncSession, user_ids: Collection[int]) -> dict[int, str]:
    """The known server names of these members (those never seen are left out)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Member.user_id, Member.name).where(Member.user_id.in_(set(user_ids)))
    )
    return dict(rows.all())
