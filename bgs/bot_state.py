"""Small global key/value state of the bot (e.g. the hash of the last synced command tree)."""

from __future__ import annotations

from datetime import UTC, datetime

from db.database import Database
from db.models import BotState


async def read_state(db: Database, key: str) -> str | None:
    async with db.unscoped() as session:
        row = await session.get(BotState, key)
    return None if row is None else row.value


async def write_state(db: Database, key: str, value: str) -> None:
    async with db.unscoped_write() as session:
        await session.merge(BotState(key=key, value=value, updated_at=datetime.now(UTC)))
