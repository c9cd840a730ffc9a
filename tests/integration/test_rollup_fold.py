"""The rollups' backlog is folded off the request path: by every process's periodic job, a chunk
per transaction, and by a summary before it reads; an event counts once either way."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bgs import rollups, summaries
from bgs.events import parse_envelope
from bgs.ingest import prepare
from bgs.ingest.store import write_batches
from bgs.periods import period_for
from bgs.rollups import backlog
from db import models
from db.database import Database
from settings import TenantsFile
from tests.helpers.plugin import GUILD_A, PluginClient, create_api_key, market_event, settings_for
from tests.helpers.plugin_events import ADF, bounty, store
from tests.helpers.squadron import eventually
from warden.services import Services

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
GUILDS = (6301, 6302)


async def count(db: Database, guild: int, model: type[models.Base]) -> int:
    async with db.tenant(guild) as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def bounties(db: Database, guild: int) -> int:
    async with summaries.reading(db, guild) as session:
        board = await summaries.leaderboard(session, period_for("all", NOW, []), ADF)
    return sum(row.bounty_vouchers for row in board)


async def test_fold_takes_every_guilds_backlog_a_chunk_at_a_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backlog, "BACKLOG_ROWS", 2)  # five batches: three transactions
    for guild in GUILDS:
        for amount in (100, 200, 300, 400, 500 + guild):
            await store(db, guild, bounty(NOW, ADF, amount))
    assert [await count(db, g, models.RollupBacklog) for g in GUILDS] == [5, 5]
    assert [await count(db, g, models.EventRollup) for g in GUILDS] == [0, 0]

    assert await rollups.fold(db) == {GUILDS[0]: 5, GUILDS[1]: 5}

    assert [await count(db, g, models.RollupBacklog) for g in GUILDS] == [0, 0]
    assert [await bounties(db, g) for g in GUILDS] == [1500 + GUILDS[0], 1500 + GUILDS[1]]
    assert await rollups.fold(db) == {}  # nothing left: each event counted once


async def test_a_fold_takes_the_backlog_it_began_with(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members sending faster than the fold takes their events do not keep it going (and the
    other guilds waiting): it folds what the backlog held when it began."""
    monkeypatch.setattr(backlog, "BACKLOG_ROWS", 1)
    guild = GUILDS[0]
    for amount in (100, 200):
        await store(db, guild, bounty(NOW, ADF, amount))
    fold_chunk = backlog.catch_up
    amounts = itertools.count(1)

    def a_batch_arrives_meanwhile(session: Session, **options: Any) -> int:
        added = fold_chunk(session, **options)
        batch = prepare([parse_envelope(0, bounty(NOW, ADF, next(amounts)))])
        write_batches(session, [batch], NOW, None)
        return added

    monkeypatch.setattr(backlog, "catch_up", a_batch_arrives_meanwhile)
    assert await asyncio.wait_for(rollups.fold(db), 30) == {guild: 2}
    assert await count(db, guild, models.RollupBacklog) == 2  # the batches of its two chunks

    monkeypatch.setattr(backlog, "catch_up", fold_chunk)
    assert await bounties(db, guild) == 100 + 200 + 1 + 2


async def test_a_summary_counts_what_the_backlog_still_holds(db: Database) -> None:
    guild = GUILDS[0]
    await store(db, guild, bounty(NOW, ADF, 70))
    await rollups.fold(db)
    await store(db, guild, bounty(NOW, ADF, 5))
    assert await count(db, guild, models.RollupBacklog) == 1

    assert await bounties(db, guild) == 75
    assert await count(db, guild, models.RollupBacklog) == 0
    assert await bounties(db, guild) == 75


async def test_the_running_bot_folds_what_its_listener_stored(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path, rollup_fold_seconds=0.2)
    services = Services(settings, TenantsFile())
    await services.start()
    try:
        async with aiohttp.ClientSession() as http:
            key = await create_api_key(services, GUILD_A)
            plugin = PluginClient(http, services.listener.url, key)
            reply = await plugin.post_events([market_event(n) for n in range(10)])
            assert reply.status == 200, reply.body
        db = services.db

        async def folded() -> bool:
            return await count(db, GUILD_A, models.RollupBacklog) == 0

        await eventually(folded)
        assert await count(db, GUILD_A, models.EventRollup) > 0
    finally:
        await services.close()
