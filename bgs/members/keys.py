"""Personal keys: one per member (`/connect`), each new one revoking the member's earlier ones;
and what officers see of every key: whose it is, and the cmdrs it posted for."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import apikeys
from bgs.apikeys import KeyInfo
from bgs.members.names import member_names, note_member
from db.models import ApiKey, ApiKeyCmdr

PERSONAL_LABEL = "personal key"


@dataclass(frozen=True, slots=True)
class PersonalKey:
    """A member's new key, shown once, and how many earlier keys of theirs it replaced."""

    key: str
    info: KeyInfo
    replaced: int


async def connect(
    session: AsyncSession,
    user_id: int,
    member: str,
    created_by: str,
    now: datetime,
    *,
    limit: int | None = None,
) -> PersonalKey:
    """A new personal key for a member; their earlier personal keys are revoked. `limit`: the
    guild's most active keys (`apikeys.create_key`)."""
    await note_member(session, user_id, member, now)
    replaced = await session.execute(
        update(ApiKey)
        .where(ApiKey.owner_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiKey.id)
        .execution_options(synchronize_session=False)
    )
    count = len(replaced.all())
    key, info = await apikeys.create_key(
        session,
        label=PERSONAL_LABEL,
        created_by=created_by[:100],
        owner_id=user_id,
        limit=limit,
    )
    return PersonalKey(key, info, count)


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key as officers see it: never the key itself; its owner's server name (None for a
    squadron key, or a member the bot never saw a name of) and the cmdrs it posted for."""

    info: KeyInfo
    owner: str | None
    cmdrs: list[str]

    @property
    def personal(self) -> bool:
        return self.info.owner_id is not None


async def key_views(session: AsyncSession) -> list[KeyView]:
    """The guild's keys, the active ones first, each group oldest first."""
    keys = await apikeys.list_keys(session)
    names = await member_names(session, {k.owner_id for k in keys if k.owner_id is not None})
    cmdrs: defaultdict[int, list[str]] = defaultdict(list)
    rows = await session.execute(
        select(ApiKeyCmdr.key_id, ApiKeyCmdr.cmdr).order_by(ApiKeyCmdr.first_seen, ApiKeyCmdr.id)
    )
    for key_id, cmdr in rows:
        cmdrs[key_id].append(cmdr)
    views = [
        KeyView(info, names.get(info.owner_id) if info.owner_id else None, cmdrs[info.id])
        for info in keys
    ]
    return sorted(views, key=lambda view: view.info.revoked_at is not None)
