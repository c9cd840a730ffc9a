"""Small global key/value state of the bot (e.g. the hash of the last synced command tree)."""

from __future__ import annotations

from datetime import UTC, datetime

from db.bulk import dialect_insert, dialect_name
from db.database import Database
from db.models import BotState


async def read_state(db: Database, key: str) -> str | None:
    async with db.unscoped() as session:
        row = await session.get(BotState, key)
    return None if row is None else row.value


async def write_state(db: Database, key: str, value: str) -> None:
    """Set a value (several processes may set the same key at once: the last one wins)."""
    async with db.unscoped_write() as session:
        insert = dialect_insert(dialect_name(session), BotState)
        row = {"key": key, "value": value, "updated_at": datetime.now(UTC)}
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=["key"],
                set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
            ),
            [row],
        )
