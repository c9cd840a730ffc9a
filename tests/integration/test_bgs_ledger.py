"""The post ledger: a post is claimed once, recorded, released on failure, taken over when stale."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bgs import ledger
from db.database import Database
from db.models import PostLedger

GUILD, OTHER = 1001, 2002
CHANNEL = 5555
NOW = datetime(2026, 11, 26, 11, 5, tzinfo=UTC)
KEY = "2026-11-26T11:00:00+00:00"


async def claim(db: Database, *, guild: int = GUILD, now: datetime = NOW) -> ledger.Claim | None:
    return await ledger.claim(db, guild, "tick", KEY, CHANNEL, now=now)


async def rows(db: Database) -> list[tuple[int, str, str, int | None]]:
    async with db.unscoped() as session:
        result = await session.execute(
            select(
                PostLedger.guild_id, PostLedger.kind, PostLedger.key, PostLedger.message_id
            ).order_by(PostLedger.guild_id)
        )
        return [(row.guild_id, row.kind, row.key, row.message_id) for row in result]


async def test_claim_once_then_record(db: Database) -> None:
    first = await claim(db)
    second = await claim(db, now=NOW + timedelta(minutes=1))

    assert first is not None and (first.guild_id, first.kind, first.key) == (GUILD, "tick", KEY)
    assert second is None
    pending = await ledger.find(db, GUILD, "tick", KEY)
    assert pending is not None and not pending.posted and pending.message_id is None

    assert await ledger.record(db, first, 777, now=NOW + timedelta(seconds=2))

    posted = await ledger.find(db, GUILD, "tick", KEY)
    assert posted is not None and posted.posted
    assert (posted.channel_id, posted.message_id) == (CHANNEL, 777)
    assert posted.posted_at == NOW + timedelta(seconds=2)
    # Posted is final: no later claim, however late, gets it again.
    assert await claim(db, now=NOW + timedelta(days=30)) is None
    assert await rows(db) == [(GUILD, "tick", KEY, 777)]


async def test_release_after_a_failed_send_lets_the_next_run_retry(db: Database) -> None:
    first = await claim(db)
    assert first is not None

    assert await ledger.release(db, first)
    assert await ledger.find(db, GUILD, "tick", KEY) is None

    retry = await claim(db, now=NOW + timedelta(minutes=5))
    assert retry is not None
    assert await ledger.record(db, retry, 778)
    assert not await ledger.release(db, retry)  # a recorded post is never released
    assert await rows(db) == [(GUILD, "tick", KEY, 778)]


async def test_a_stale_claim_is_taken_over(db: Database) -> None:
    dead = await claim(db)
    assert dead is not None

    assert await claim(db, now=NOW + ledger.STALE_CLAIM - timedelta(seconds=1)) is None
    takeover = await claim(db, now=NOW + ledger.STALE_CLAIM + timedelta(seconds=1))

    assert takeover is not None and takeover.id == dead.id
    # The dead process's late calls change nothing.
    assert not await ledger.release(db, dead)
    assert not await ledger.record(db, dead, 1)
    assert await ledger.record(db, takeover, 779)
    assert await rows(db) == [(GUILD, "tick", KEY, 779)]


async def test_guilds_have_their_own_ledger(db: Database) -> None:
    assert await claim(db, guild=GUILD) is not None
    other = await claim(db, guild=OTHER)

    assert other is not None and other.guild_id == OTHER
    assert await ledger.find(db, OTHER, "tick", "another key") is None
    assert [row[0] for row in await rows(db)] == [GUILD, OTHER]


async def test_concurrent_claimers_one_wins(database_url: str) -> None:
    processes = [Database(database_url) for _ in range(6)]
    try:
        claims = await asyncio.gather(*(claim(process) for process in processes))
        stored = await rows(processes[0])
    finally:
        for process in processes:
            await process.dispose()

    assert sum(result is not None for result in claims) == 1
    assert stored == [(GUILD, "tick", KEY, None)]


async def test_a_key_longer_than_the_column_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="too long"):
        await ledger.claim(db, GUILD, "tick", "k" * (ledger.KEY_LENGTH + 1), CHANNEL)
    assert await rows(db) == []
