"""Leadership of the global work: one process at a time on PostgreSQL, taken over when the
leader's connection goes; on SQLite the one process leads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bgs.leadership import Leadership
from db.database import Database


async def until(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time"
        await asyncio.sleep(0.02)


async def test_the_one_sqlite_process_leads(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    leadership = Leadership(db)
    assert leadership.leading
    await leadership.run()  # nothing to hold on SQLite
    assert leadership.leading
    await db.dispose()


@pytest.mark.postgres
async def test_one_leader_and_a_takeover_when_it_goes(postgres_url: str) -> None:
    first_db, second_db = Database(postgres_url), Database(postgres_url)
    first, second = Leadership(first_db, retry=0.1), Leadership(second_db, retry=0.1)
    first_run = asyncio.create_task(first.run())
    await until(lambda: first.leading)
    second_run = asyncio.create_task(second.run())
    try:
        await asyncio.sleep(0.5)  # several attempts
        assert first.leading and not second.leading

        first_run.cancel()  # the leader's process dies: its connection closes
        await asyncio.gather(first_run, return_exceptions=True)
        await first_db.dispose()

        await until(lambda: second.leading)
    finally:
        second_run.cancel()
        await asyncio.gather(second_run, return_exceptions=True)
        await second_db.dispose()
