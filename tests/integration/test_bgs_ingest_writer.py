"""Group commit (`bgs.ingest.EventWriter`): batches that arrive together share a transaction,
yet each is answered as if stored alone, in arrival order, and a refused batch fails alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bgs.events import EnvelopeError, child_rows, parse_envelope
from bgs.ingest import Batch, EventWriter, prepare
from bgs.ingest import writer as writer_module
from bgs.ingest.known import Mentions, Names, RecentNames, collect_names, mentions
from db import models
from db import sqlite as sqlite_module
from db.database import Database, TenantIsolationError
from tests.helpers.plugin import market_event

GUILD = 42


def envelopes(events: list[dict[str, Any]]) -> list[Any]:
    return [parse_envelope(index, event) for index, event in enumerate(events)]


def replace_data(envelope: Any, **fields: Any) -> Any:
    """The envelope of the same event with some fields changed."""
    return parse_envelope(0, envelope.data | fields)


def batch(first: int, size: int = 5) -> list[dict[str, Any]]:
    return [market_event(n, cmdr=f"Cmdr {n % 3}") for n in range(first, first + size)]


async def rows(db: Database, model: type[models.Base]) -> int:
    async with db.tenant(GUILD) as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_batches_stored_together_are_answered_as_if_one_after_another(
    db: Database,
) -> None:
    writer = EventWriter(db)
    first, overlapping, repeated = batch(0), batch(3), batch(0)
    results = await asyncio.gather(
        writer.store(GUILD, envelopes(first)),
        writer.store(GUILD, envelopes(overlapping)),  # events 3 and 4 were sent just before
        writer.store(GUILD, envelopes(repeated + repeated[:1])),  # all stored already
    )
    assert [(r.accepted, r.duplicates) for r in results] == [(5, 0), (3, 2), (0, 6)]
    assert [s.envelope.data["MarketID"] for s in results[1].stored] == [5, 6, 7]
    ids = [s.id for r in results for s in r.stored]
    assert ids == sorted(ids)
    assert await rows(db, models.Event) == await rows(db, models.MarketSell) == 8


async def test_a_batch_the_database_refuses_fails_alone(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    store = writer_module.write_batches

    def counting(session: Any, batches: Any, *args: Any) -> Any:
        groups.append(len(batches))
        return store(session, batches, *args)

    monkeypatch.setattr(writer_module, "write_batches", counting)
    writer = EventWriter(db)
    bad = envelopes(batch(100))
    # No 64-bit column holds 10**30, and `prepare` refuses it; made past `prepare`, the batch
    # reaches the database, which refuses the row.
    with pytest.raises(EnvelopeError, match=r"events\[2\] \(MarketSell\): market_sells.count"):
        prepare([*bad[:2], replace_data(bad[2], Count=10**30)])
    children = [child_rows(envelope) for envelope in bad]
    children[2][0][1]["count"] = 10**30
    event_rows = [envelope.row() for envelope in bad]
    refused = Batch(bad, event_rows, children, [mentions(envelope) for envelope in bad])
    outcomes = await asyncio.gather(
        writer.store(GUILD, envelopes(batch(0))),
        writer.store(GUILD, refused),
        writer.store(GUILD, envelopes(batch(200))),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], Exception)
    assert [(r.accepted, r.duplicates) for r in (outcomes[0], outcomes[2])] == [(5, 0), (5, 0)]
    assert groups[0] > 1 and groups[-3:] == [1, 1, 1]  # the group, then each batch alone
    assert await rows(db, models.Event) == 10


async def test_known_names_written_at_once_but_not_rewritten_by_every_batch(
    db: Database,
) -> None:
    writer = EventWriter(db)

    async def cmdr_seen(name: str) -> Any:
        async with db.tenant(GUILD) as session:
            statement = select(models.Cmdr.last_seen).where(models.Cmdr.name == name)
            return (await session.execute(statement)).scalar_one_or_none()

    await writer.store(GUILD, envelopes(batch(0, 1)))  # Cmdr 0: new, written at once
    first = await cmdr_seen("Cmdr 0")
    assert first is not None
    await writer.store(GUILD, envelopes(batch(3, 1)))  # Cmdr 0 again, within the period
    assert await cmdr_seen("Cmdr 0") == first
    await writer.store(GUILD, envelopes(batch(4, 1)))  # Cmdr 1: new, written at once
    assert await cmdr_seen("Cmdr 1") is not None


def test_recent_names_pass_new_names_due_refreshes_and_first_coordinates() -> None:
    seen = datetime.now(UTC)
    alpha = Mentions((1, "Alpha", None), frozenset({"Alpha Traders"}), "Cmdr A")
    alpha_at = Mentions((1, "Alpha", (1.0, 2.0, 3.0)), frozenset(), "Cmdr A")
    recent = RecentNames(refresh=60)
    names = collect_names([alpha], seen)
    assert recent.unwritten(names) == names  # all new
    recent.remember(names)
    assert recent.unwritten(collect_names([alpha], seen)) == Names()
    with_position = recent.unwritten(collect_names([alpha_at], seen))
    assert with_position.systems[1]["x"] == 1.0 and not with_position.cmdrs
    recent.remember(with_position)
    assert recent.unwritten(collect_names([alpha_at], seen)) == Names()
    assert RecentNames(refresh=0).unwritten(names) == names  # due again at once


async def test_table_inserts_in_a_tenant_session_are_stamped_and_foreign_rows_refused(
    db: Database,
) -> None:
    """The hot path inserts into tables, not ORM entities; tenancy holds for those too."""
    table = models.KnownFaction.__table__
    seen = datetime.now(UTC)
    async with db.tenant_write(GUILD) as session:
        await session.execute(insert(table), [{"name": "Alpha Traders", "last_seen": seen}])
    async with db.unscoped() as session:
        stamped = (await session.execute(select(table.c.guild_id))).scalars().all()
    assert stamped == [GUILD]
    with pytest.raises(TenantIsolationError):
        async with db.tenant_write(GUILD) as session:
            row = {"name": "Beta Union", "last_seen": seen, "guild_id": GUILD + 1}
            await session.execute(insert(table), [row])


async def test_a_busy_writer_keeps_the_sqlite_log_short(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transactions back to back never find the whole log copied, yet the log is rewound once it
    is `REWIND_PAGES` long instead of growing until a commit copies all of it."""
    monkeypatch.setattr(sqlite_module, "CHECKPOINT_EVERY", 0.01)
    monkeypatch.setattr(sqlite_module, "REWIND_PAGES", 100)
    wal = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///") + "-wal")
    db = Database(sqlite_url)
    try:
        # One batch per transaction, all in one hold of the write lock: no pause between them.
        writer = EventWriter(db, max_group_events=1, hold_seconds=60)
        batches = [writer.store(GUILD, envelopes(batch(n, 1))) for n in range(1000)]
        results = await asyncio.gather(*batches)
        log_size = (await asyncio.to_thread(wal.stat)).st_size
        assert sum(result.accepted for result in results) == await rows(db, models.Event) == 1000
    finally:
        await db.dispose()
    # Not rewound, the log of these transactions grows to about 12,000 pages.
    assert log_size < 4000 * 4096
