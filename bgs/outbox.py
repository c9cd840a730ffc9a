"""The outbox: posts produced by one process (alerts from after-ingest work) that the process
holding the guild's shard must send.

An entry is written in the same transaction as the change that caused it (`enqueue`), so an
alert exists exactly when its cause does, whatever process made it and whatever happens to that
process next. A poster claims the entries that are due for the guilds it serves (`claim_due`:
a lease, so two posters never send the same entry at once), sends each, and then deletes it
(`sent`) or, when the send failed, keeps it with a later due time, doubling the wait each time
(`failed`), across restarts. Entries are keyed by (guild, kind, key), the post's ledger identity:
enqueueing an entry again (more harm for the same alert) makes it due again.

On PostgreSQL `enqueue` also sends `NOTIFY warden_outbox`, delivered at commit, so a poster
listening on another process wakes at once; on SQLite (one process) the poster polls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.bulk import dialect_insert, dialect_name
from db.database import Database
from db.models import OutboxEntry

log = logging.getLogger(__name__)

CHANNEL: Final = "warden_outbox"  # PostgreSQL's NOTIFY channel
LEASE: Final = timedelta(minutes=2)  # how long a claimed entry is the claimer's to send
FIRST_RETRY: Final = timedelta(seconds=30)
LAST_RETRY: Final = timedelta(hours=1)
ERROR_LENGTH: Final = 300


@dataclass(frozen=True, slots=True)
class Entry:
    """A claimed entry: what to post, and how often it was tried before."""

    id: int
    guild_id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int


async def enqueue(
    session: AsyncSession, kind: str, key: str, payload: Mapping[str, Any], now: datetime
) -> None:
    """Add an entry in the session's (tenant) transaction, or make an existing one due again."""
    insert = dialect_insert(dialect_name(session), OutboxEntry)
    row = {
        "kind": kind,
        "key": key,
        "payload": dict(payload),
        "created_at": now,
        "due_at": now,
        "attempts": 0,
        "claimed_until": None,
        "last_error": None,
    }
    statement = insert.on_conflict_do_update(
        index_elements=["guild_id", "kind", "key"],
        set_={"payload": insert.excluded.payload, "due_at": now, "attempts": 0},
    )
    await session.execute(statement, [row])
    if dialect_name(session) == "postgresql":
        await session.execute(text(f"NOTIFY {CHANNEL}"))


def retry_after(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed ones: 30 s, doubling, at most 1 h."""
    wait: timedelta = min(LAST_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))
    return wait


async def claim_due(
    db: Database, guild_ids: Collection[int], now: datetime, limit: int = 50
) -> list[Entry]:
    """Claim the due entries of these guilds (every database they live in), oldest first."""
    claimed: list[Entry] = []
    by_url: dict[str, list[int]] = {}
    for guild_id in guild_ids:
        by_url.setdefault(db.url_for(guild_id), []).append(guild_id)
    for url, guilds in by_url.items():
        async with db.unscoped_write(url) as session:
            free = or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until < now)
            rows = (
                (
                    await session.execute(
                        select(OutboxEntry)
                        .where(OutboxEntry.guild_id.in_(guilds), OutboxEntry.due_at <= now, free)
                        .order_by(OutboxEntry.due_at, OutboxEntry.id)
                        .limit(limit)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.claimed_until = now + LEASE
                claimed.append(
                    Entry(row.id, row.guild_id, row.kind, row.key, row.payload, row.attempts)
                )
    return claimed


async def sent(db: Database, entry: Entry) -> None:
    """The entry's post is done (or has nowhere to go): drop it."""
    async with db.tenant_write(entry.guild_id) as session:
        await session.execute(delete(OutboxEntry).where(OutboxEntry.id == entry.id))


async def failed(db: Database, entry: Entry, error: str, now: datetime) -> datetime:
    """The send failed: keep the entry, due again after the backoff; returns when."""
    due = now + retry_after(entry.attempts + 1)
    async with db.tenant_write(entry.guild_id) as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry.id)
            .values(
                attempts=OutboxEntry.attempts + 1,
                due_at=due,
                claimed_until=None,
                last_error=error[:ERROR_LENGTH],
            )
            .execution_options(synchronize_session=False)
        )
    log.warning(
        "guild %s: %s %r not sent (%s); try %d at %s",
        entry.guild_id,
        entry.kind,
        entry.key,
        error,
        entry.attempts + 2,
        due.isoformat(),
    )
    return due


async def next_due(db: Database, guild_ids: Collection[int]) -> datetime | None:
    """When the earliest entry of these guilds is due (None: nothing waits)."""
    earliest: datetime | None = None
    urls = {db.url_for(guild_id) for guild_id in guild_ids}
    for url in urls:
        async with db.unscoped(url) as session:
            due = (
                await session.execute(
                    select(OutboxEntry.due_at)
                    .where(OutboxEntry.guild_id.in_(list(guild_ids)))
                    .order_by(OutboxEntry.due_at)
                    .limit(1)
                )
            ).scalar_one_or_none()
        if due is not None and (earliest is None or due < earliest):
            earliest = due
    return earliest


async def listen(db: Database, url: str, wake: Callable[[], None]) -> None:
    """On PostgreSQL: call `wake` at every NOTIFY of CHANNEL, holding one connection of the
    database at `url` and reconnecting after a failure; runs until cancelled."""
    while True:
        try:
            await _listen_once(db, url, wake)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("outbox: listening on %s failed (%s); again in 5 s", url, exc)
        await asyncio.sleep(5)


async def _listen_once(db: Database, url: str, wake: Callable[[], None]) -> None:
    """Listen until the connection is lost."""
    lost = asyncio.Event()
    async with db.engine(url).connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        await driver.add_listener(CHANNEL, lambda *_: wake())
        driver.add_termination_listener(lambda *_: lost.set())
        wake()  # whatever was enqueued while no one listened
        await lost.wait()
