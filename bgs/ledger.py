"""The post ledger: every automatic post is claimed before it is sent, so it is sent once.

Protocol for a job that posts (kind, key) in a guild::

    claim = await ledger.claim(db, guild_id, "tick", key, channel_id)
    if claim is None:
        return                      # posted already, or another process is sending it now
    try:
        message = await channel.send(...)
    except Exception:
        await ledger.release(db, claim)   # the next run tries again
        raise
    await ledger.record(db, claim, message.id)

`claim` is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING` statement: of two
processes claiming the same (guild, kind, key) at once exactly one gets a row back.

**Stale claims.** A claim that was never recorded nor released — the process died between
claiming and recording — is taken over by the next claimer once it is older than `stale_after`
(default `STALE_CLAIM`, 10 minutes: far longer than a send, short enough that a tick
announcement is still news). Taking over gives the row a new `claimed_at`, which is the claim's
token: `record` and `release` by the old claimer then change nothing. If the dead process had in
fact sent the message, the takeover sends it again; that is the price of never losing a post.

**Once, without a message.** `mark` records (guild, kind, key) as done in one statement, for
what a guild is told once in another way (a notice) or a fact to remember once (a checklist
owed to the first officer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.bulk import dialect_insert, dialect_name
from db.database import Database
from db.models import PostLedger

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
KIND_LENGTH = 32  # the columns' sizes
KEY_LENGTH = 200


def _check_size(kind: str, key: str) -> None:
    if len(kind) > KIND_LENGTH or len(key) > KEY_LENGTH:
        raise ValueError(f"ledger kind/key too long: {kind!r} / {key[:40]!r}...")


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to send one post; `claimed_at` identifies this claim among takeovers."""

    id: int
    guild_id: int
    kind: str
    key: str
    channel_id: int | None
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A ledger row: `message_id` and `posted_at` are None while the post is only claimed."""

    kind: str
    key: str
    channel_id: int | None
    message_id: int | None
    claimed_at: datetime
    posted_at: datetime | None

    @property
    def posted(self) -> bool:
        return self.posted_at is not None


async def claim(
    db: Database,
    guild_id: int,
    kind: str,
    key: str,
    channel_id: int | None,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_CLAIM,
) -> Claim | None:
    """Claim (guild, kind, key) for sending; None when it is posted or claimed by someone else.

    A claim older than `stale_after` that was never recorded is taken over (module docstring).
    """
    _check_size(kind, key)
    now = now or datetime.now(UTC)
    async with db.tenant_write(guild_id) as session:
        table = PostLedger.__table__.c
        insert = dialect_insert(dialect_name(session), PostLedger)
        statement = insert.on_conflict_do_update(
            index_elements=["guild_id", "kind", "key"],
            set_={
                "claimed_at": insert.excluded.claimed_at,
                "channel_id": insert.excluded.channel_id,
            },
            where=table.posted_at.is_(None) & (table.claimed_at < now - stale_after),
        ).returning(PostLedger.id)
        row = {"kind": kind, "key": key, "channel_id": channel_id, "claimed_at": now}
        row_id = (await session.execute(statement, row)).scalar_one_or_none()
    if row_id is None:
        log.debug("ledger: %s %r of guild %s already claimed or posted", kind, key, guild_id)
        return None
    return Claim(row_id, guild_id, kind, key, channel_id, now)


async def record(
    db: Database, claim: Claim, message_id: int, *, now: datetime | None = None
) -> bool:
    """Mark the claimed post as sent; False when the claim was taken over meanwhile."""
    async with db.tenant_write(claim.guild_id) as session:
        row = (
            await session.execute(
                update(PostLedger)
                .where(PostLedger.id == claim.id, PostLedger.claimed_at == claim.claimed_at)
                .values(message_id=message_id, posted_at=now or datetime.now(UTC))
                .returning(PostLedger.id)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
    if row is None:
        log.warning(
            "ledger: %s %r of guild %s was taken over before it was recorded (message %s)",
            claim.kind,
            claim.key,
            claim.guild_id,
            message_id,
        )
    return row is not None


async def release(db: Database, claim: Claim) -> bool:
    """Drop a claim whose send failed, so the next run retries; False when nothing to drop."""
    async with db.tenant_write(claim.guild_id) as session:
        row = (
            await session.execute(
                delete(PostLedger)
                .where(
                    PostLedger.id == claim.id,
                    PostLedger.claimed_at == claim.claimed_at,
                    PostLedger.posted_at.is_(None),
                )
                .returning(PostLedger.id)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
    return row is not None


async def mark_in(
    session: AsyncSession, kind: str, key: str, *, now: datetime | None = None
) -> bool:
    """`mark` inside the caller's tenant transaction (with what it records alongside)."""
    _check_size(kind, key)
    now = now or datetime.now(UTC)
    statement = (
        dialect_insert(dialect_name(session), PostLedger)
        .on_conflict_do_nothing(index_elements=["guild_id", "kind", "key"])
        .returning(PostLedger.id)
    )
    row = {"kind": kind, "key": key, "channel_id": None, "claimed_at": now, "posted_at": now}
    return (await session.execute(statement, row)).scalar_one_or_none() is not None


async def mark(db: Database, guild_id: int, kind: str, key: str) -> bool:
    """Record (guild, kind, key) as done without a message (something the guild is told once
    in another way, or a fact to remember); True only for the one caller that recorded it."""
    async with db.tenant_write(guild_id) as session:
        return await mark_in(session, kind, key)


async def find(db: Database, guild_id: int, kind: str, key: str) -> LedgerEntry | None:
    """The ledger row of (guild, kind, key): the message to edit in place, if it was posted."""
    async with db.tenant(guild_id) as session:
        row = (
            await session.execute(
                select(
                    PostLedger.kind,
                    PostLedger.key,
                    PostLedger.channel_id,
                    PostLedger.message_id,
                    PostLedger.claimed_at,
                    PostLedger.posted_at,
                ).where(PostLedger.kind == kind, PostLedger.key == key)
            )
        ).one_or_none()
    return None if row is None else LedgerEntry(*row)
