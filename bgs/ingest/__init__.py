"""Storing what the plugin sends: event batches (atomic, idempotent, group-committed) and
activity snapshots (replaced per cmdr and tick). Each runs inside one tenant-scoped transaction,
so a failure anywhere leaves nothing of the request behind."""

from bgs.ingest.activities import replace_activity
from bgs.ingest.store import MAX_BATCH, Batch, IngestResult, StoredEvent, prepare, store_batches
from bgs.ingest.writer import Busy, EventWriter

__all__ = [
    "MAX_BATCH",
    "Batch",
    "Busy",
    "EventWriter",
    "IngestResult",
    "StoredEvent",
    "prepare",
    "replace_activity",
    "store_batches",
]
