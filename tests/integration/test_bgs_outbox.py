"""The outbox: entries written with their cause, claimed by one poster at a time, retried with
backoff, gone once sent; PostgreSQL wakes a listening poster at commit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bgs import outbox
from db.database import Database

GUILD, OTHER = 1001, 2002
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def enqueue(db: Database, key: str, *, guild: int = GUILD, now: datetime = NOW) -> None:
    async with db.tenant_write(guild) as session:
        await outbox.enqueue(session, "test", key, {"key": key}, now)


async def test_an_entry_is_claimed_once_then_sent(db: Database) -> None:
    await enqueue(db, "a")
    await enqueue(db, "b", guild=OTHER)

    (entry,) = await outbox.claim_due(db, [GUILD], NOW)
    assert (entry.guild_id, entry.kind, entry.key, entry.payload) == (
        GUILD,
        "test",
        "a",
        {"key": "a"},
    )
    assert await outbox.claim_due(db, [GUILD], NOW) == []  # claimed: another poster skips it
    assert await outbox.claim_due(db, [GUILD], NOW + outbox.LEASE + timedelta(seconds=1)) != []

    await outbox.sent(db, entry)
    assert await outbox.claim_due(db, [GUILD], NOW + timedelta(hours=1)) == []
    assert [e.key for e in await outbox.claim_due(db, [OTHER], NOW)] == ["b"]


async def test_a_failed_entry_waits_longer_each_time(db: Database) -> None:
    await enqueue(db, "a")
    now = NOW
    waits = []
    for _ in range(9):
        (entry,) = await outbox.claim_due(db, [GUILD], now)
        due = await outbox.failed(db, entry, "HTTP 503", now)
        assert await outbox.claim_due(db, [GUILD], due - timedelta(seconds=1)) == []
        waits.append(due - now)
        now = due
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=1)  # capped
    assert await outbox.next_due(db, [GUILD]) == now


async def test_enqueueing_again_makes_an_entry_due_again(db: Database) -> None:
    await enqueue(db, "a")
    (entry,) = await outbox.claim_due(db, [GUILD], NOW)
    await outbox.failed(db, entry, "HTTP 503", NOW)

    await enqueue(db, "a", now=NOW + timedelta(seconds=5))  # more harm for the same alert

    (again,) = await outbox.claim_due(db, [GUILD], NOW + timedelta(seconds=5))
    assert again.id == entry.id and again.attempts == 0


@pytest.mark.postgres
async def test_postgres_wakes_a_listening_poster_at_commit(postgres_url: str) -> None:
    db = Database(postgres_url)
    woken = asyncio.Event()
    listening = asyncio.create_task(outbox.listen(db, postgres_url, woken.set))
    try:
        await asyncio.wait_for(woken.wait(), 5)  # a listener catches up when it starts
        woken.clear()
        async with db.tenant_write(GUILD) as session:
            await outbox.enqueue(session, "test", "a", {}, NOW)
            await asyncio.sleep(0.2)
            assert not woken.is_set()  # not before the commit
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await db.dispose()
