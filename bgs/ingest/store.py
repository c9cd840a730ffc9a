"""Storing event batches: atomic, idempotent (an event whose content is stored already is a
duplicate), every event kept whole as JSON with the typed rows of the types that feed summaries,
and the names they mention kept current.

Several batches can be stored in one transaction (the listener's group commit, `bgs.ingest.
writer`): each is answered exactly as if they had been stored one after another in order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bgs import rollups
from bgs.events import Envelope, EnvelopeError, child_rows
from bgs.ingest.known import Mentions, Names, RecentNames, collect_names, mentions, remember_names
from db import bulk, models
from db.types import out_of_range

MAX_BATCH = 100
EVENT_IDENTITY = ("guild_id", "timestamp", "content_hash")  # the same content is a duplicate

ChildRows = list[tuple[type[models.Base], dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event that this request stored (not a duplicate)."""

    id: int
    envelope: Envelope


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    stored: list[StoredEvent] = field(default_factory=list)
    work_id: int | None = None  # the after-ingest work row of the stored events' transaction


@dataclass(frozen=True, slots=True)
class Batch:
    """A validated batch with its typed rows and names worked out: ready to store, with no work
    left that can fail on the plugin's data but the database's own checks."""

    envelopes: Sequence[Envelope]
    rows: Sequence[dict[str, Any]]  # each event's row but `received_at`, known when written
    children: Sequence[ChildRows]
    mentions: Sequence[Mentions]


def prepare(envelopes: Sequence[Envelope]) -> Batch:
    """Work out a batch's typed rows and names (pure). Raises EnvelopeError naming the event
    and the field when a number does not fit its column, so the database never has to refuse
    the batch (a number past 64 bits, or past 32 in PostgreSQL's `integer`)."""
    rows = [envelope.row() for envelope in envelopes]
    children = [child_rows(envelope) for envelope in envelopes]
    events = bulk.table_of(models.Event)
    for index, (envelope, event, typed) in enumerate(zip(envelopes, rows, children, strict=True)):
        for table, row in [(events, event)] + [(bulk.table_of(m), r) for m, r in typed]:
            column = out_of_range(table, row)
            if column is not None:
                raise EnvelopeError(
                    f"events[{index}] ({envelope.event}): {table.name}.{column} "
                    f"{row[column]} is out of range"
                )
    return Batch(envelopes, rows, children, [mentions(envelope) for envelope in envelopes])


async def store_batches(
    session: AsyncSession, batches: Sequence[Batch], received_at: datetime | None = None
) -> list[IngestResult]:
    """Store several batches in the session's transaction, one statement per table.

    Each result is what storing the batches one after another, in order, would answer: an
    event already stored, or sent before in the same batch or in an earlier one, is a duplicate.
    """
    results, _ = await session.run_sync(
        write_batches, batches, received_at or datetime.now(UTC), None
    )
    return results


def _record_work(session: Session, event_ids: Sequence[int], now: datetime) -> int:
    """Note the stored events (ids ascending) as waiting for the after-ingest work and for the
    rollups (`bgs.rollups.backlog`), in their transaction; returns the work row's id."""
    row = {"first_event_id": event_ids[0], "last_event_id": event_ids[-1], "created_at": now}
    return bulk.insert_two(
        session,
        bulk.table_of(models.AfterIngestWork),
        row,
        bulk.table_of(models.RollupBacklog),
        rollups.backlog_rows(event_ids),
    )


def write_batches(
    session: Session,
    batches: Sequence[Batch],
    received_at: datetime,
    recent: RecentNames | None,
) -> tuple[list[IngestResult], Names]:
    """`store_batches` on a synchronous session, skipping the names `recent` says were written
    lately (None: write every name); returns the results and the names it wrote."""
    results = [IngestResult() for _ in batches]
    written = Names()
    first: dict[str, tuple[int, int]] = {}  # content hash -> (batch, event) that sent it first
    for b, batch in enumerate(batches):
        for e, envelope in enumerate(batch.envelopes):
            first.setdefault(envelope.content_hash, (b, e))
    if first:
        rows = [batches[b].rows[e] | {"received_at": received_at} for b, e in first.values()]
        inserted = bulk.insert_new(
            session,
            bulk.table_of(models.Event),
            rows,
            EVENT_IDENTITY,
            ("id", "content_hash"),
        )

        children: dict[type[models.Base], list[dict[str, Any]]] = defaultdict(list)
        named: list[Mentions] = []
        for event_id, digest in inserted:
            b, e = first[digest]
            batch = batches[b]
            results[b].stored.append(StoredEvent(event_id, batch.envelopes[e]))
            for model, child in batch.children[e]:
                children[model].append({**child, "event_id": event_id})
            named.append(batch.mentions[e])
        for model, model_rows in children.items():
            bulk.insert_rows(session, bulk.table_of(model), model_rows)
        if inserted:
            event_ids = sorted(event_id for event_id, _ in inserted)
            work_id = _record_work(session, event_ids, received_at)
            for result in results:
                result.work_id = work_id if result.stored else None
        written = collect_names(named, received_at)
        if recent is not None:
            written = recent.unwritten(written)
        remember_names(session, written, received_at)
    for batch, result in zip(batches, results, strict=True):
        result.stored.sort(key=lambda item: item.id)
        result.accepted = len(result.stored)
        result.duplicates = len(batch.envelopes) - result.accepted
    return results, written
