"""Bulk inserts (`db.bulk`), the listener's hot path: what they store is what Core stores, they
keep tenants apart, and they skip the rows that collide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert, select, text

from db import bulk, models
from db.database import Database, TenantIsolationError

A, B = 7001, 7002
IDENTITY = ("guild_id", "timestamp", "content_hash")
EVENTS = cast(Table, models.Event.__table__)
SELLS = cast(Table, models.MarketSell.__table__)
WHEN = datetime(2026, 11, 26, 13, 9, 58, 123456, tzinfo=UTC)


def event_row(content_hash: str, **changes: Any) -> dict[str, Any]:
    row = {
        "event": "MarketSell",
        "timestamp": WHEN,
        "tickid": "zoy-1",
        "ticktime": WHEN.replace(hour=11, microsecond=0),
        "cmdr": "Cmdr Ünïcode",
        "system_name": "Alpha",
        "system_address": 2**40 + 7,
        "station_faction": None,
        "content_hash": content_hash,
        "received_at": WHEN + timedelta(seconds=1),
        "data": {"event": "MarketSell", "Count": 3, "Nested": {"é": [1.5, None, True]}},
    }
    return row | changes


def sell_row(event_id: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "timestamp": WHEN,
        "tickid": "zoy-1",
        "cmdr": "Cmdr One",
        "system_name": "Alpha",
        "station_faction": "Alpha Traders",
        "commodity": "gold",
        "count": 2**40,
        "sell_price": 10,
        "total_sale": 30,
        "avg_price_paid": 4,
        "profit": 18,
        "black_market": True,
        "demand": None,
        "demand_bracket": 2,
    }


async def stored_columns(db: Database, guild_id: int, table: Table) -> list[tuple[Any, ...]]:
    """The rows as the database holds them (no type conversion), without id and guild."""
    columns = [c.name for c in table.columns if c.name not in ("id", "guild_id", "event_id")]
    query = f"SELECT {', '.join(columns)} FROM {table.name} WHERE guild_id = :g ORDER BY id"
    async with db.unscoped() as session:
        return [tuple(row) for row in await session.execute(text(query), {"g": guild_id})]


async def test_bulk_rows_are_stored_exactly_as_core_stores_them(db: Database) -> None:
    async with db.tenant_write(A) as session:
        core_event = (
            await session.execute(insert(EVENTS).returning(EVENTS.c.id), [event_row("h1")])
        ).scalar_one()
        await session.execute(insert(SELLS), [sell_row(core_event)])
    async with db.tenant_write(B) as session:
        inserted = await session.run_sync(
            bulk.insert_new, EVENTS, [event_row("h1")], IDENTITY, ("id",)
        )
        await session.run_sync(bulk.insert_rows, SELLS, [sell_row(inserted[0][0])])
    for table in (EVENTS, SELLS):
        by_core, by_bulk = await stored_columns(db, A, table), await stored_columns(db, B, table)
        assert by_bulk == by_core and len(by_bulk) == 1


async def test_insert_new_skips_what_collides_and_returns_what_it_stored(db: Database) -> None:
    async with db.tenant_write(A) as session:
        first = await session.run_sync(
            bulk.insert_new, EVENTS, [event_row("h1"), event_row("h2")], IDENTITY, ("content_hash",)
        )
        again = await session.run_sync(
            bulk.insert_new, EVENTS, [event_row("h2"), event_row("h3")], IDENTITY, ("content_hash",)
        )
    assert sorted(first) == [("h1",), ("h2",)]
    assert again == [("h3",)]
    async with db.tenant(B) as session:  # the same content in another guild is not a collision
        assert (await session.execute(select(models.Event.id))).all() == []
    async with db.tenant_write(B) as session:
        other = await session.run_sync(
            bulk.insert_new, EVENTS, [event_row("h1")], IDENTITY, ("content_hash",)
        )
    assert other == [("h1",)]


async def test_bulk_rows_get_the_sessions_guild_and_never_another(db: Database) -> None:
    async with db.tenant_write(A) as session:
        (event_id,) = (
            await session.run_sync(bulk.insert_new, EVENTS, [event_row("h1")], IDENTITY, ("id",))
        )[0]
        sell = sell_row(event_id)
        await session.run_sync(bulk.insert_rows, SELLS, [sell])
    with pytest.raises(TenantIsolationError):
        async with db.tenant_write(A) as session:
            await session.run_sync(bulk.insert_rows, SELLS, [sell, sell | {"guild_id": B}])
    async with db.unscoped() as session:
        guilds = (await session.execute(select(SELLS.c.guild_id))).scalars().all()
    assert guilds == [A]  # the refused statement stored nothing


async def test_tables_with_column_defaults_are_refused_on_sqlite(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        row = {"system_name": "Alpha", "faction1": "A", "faction2": "B", "war_type": "war"}
        with pytest.raises(ValueError, match="has a default"):
            async with db.tenant_write(A) as session:
                table = cast(Table, models.ConflictState.__table__)
                await session.run_sync(bulk.insert_rows, table, [row])
    finally:
        await db.dispose()


@pytest.mark.parametrize("others", [0, 1, 3])
async def test_insert_two_stores_both_in_the_sessions_guild(db: Database, others: int) -> None:
    work = cast(Table, models.AfterIngestWork.__table__)
    backlog = cast(Table, models.RollupBacklog.__table__)
    runs = [{"first_event_id": 10 * n, "last_event_id": 10 * n + n} for n in range(others)]
    row = {"first_event_id": 5, "last_event_id": 9, "created_at": WHEN}
    async with db.tenant_write(A) as session:
        work_id = await session.run_sync(bulk.insert_two, work, row, backlog, runs)
    async with db.unscoped() as session:
        works = (await session.execute(select(work.c.id, work.c.guild_id))).all()
        noted = await session.execute(
            select(backlog.c.guild_id, backlog.c.first_event_id, backlog.c.last_event_id)
        )
        assert works == [(work_id, A)]
        assert sorted(noted) == [(A, r["first_event_id"], r["last_event_id"]) for r in runs]
