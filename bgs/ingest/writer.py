"""Group commit: the batches that arrive together for a guild are stored together.

`EventWriter` writes every batch waiting for the same guild in one transaction, each table's
rows at once through `db.bulk`, and answers each batch exactly as if the batches had been stored
one after another in arrival order (`bgs.ingest.store`). A batch the database refuses fails
alone: the group is then written again batch by batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bgs.events import Envelope
from bgs.ingest.known import Names, RecentNames
from bgs.ingest.store import Batch, IngestResult, prepare, write_batches
from db.database import Database, is_unavailable

log = logging.getLogger(__name__)

MAX_GROUP_EVENTS = 2000
MAX_LOCK_HOLD_SECONDS = 0.1  # then other writers get the SQLite write lock before more groups


class Busy(Exception):
    """The guild's batch was not stored: its queue is full. Storing it again later may succeed
    (`retry_after` seconds is a fair wait)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(slots=True)
class _Job:
    batch: Batch
    done: asyncio.Future[IngestResult]
    alone: bool = False  # to be stored in a transaction of its own
    abandoned: bool = False  # its request went away before it was taken

    def settle(self, outcome: IngestResult | BaseException) -> None:
        if self.done.done():  # its request was cancelled meanwhile
            return
        if isinstance(outcome, IngestResult):
            self.done.set_result(outcome)
        else:
            self.done.set_exception(outcome)


def _retrieved(done: asyncio.Future[IngestResult]) -> None:
    if not done.cancelled():
        done.exception()


def _settle(jobs: Sequence[_Job], results: Sequence[IngestResult]) -> None:
    for job, result in zip(jobs, results, strict=True):
        job.settle(result)


@dataclass(slots=True)
class _Queue:
    """One guild's batches waiting to be written, and the names its writes refreshed lately.

    Request handlers append (and remove a job whose request went away); the chain that writes
    (possibly in another thread) pops from the left. Each is a single deque operation, so they
    need no lock.
    """

    jobs: deque[_Job] = field(default_factory=deque)
    recent: RecentNames = field(default_factory=RecentNames)
    drain: asyncio.Task[None] | None = None

    def abandon(self, job: _Job) -> None:
        """Its request went away: drop the job unless the writer took it already."""
        job.abandoned = True
        job.done.add_done_callback(_retrieved)  # nobody awaits its outcome any more
        with contextlib.suppress(ValueError):  # taken meanwhile
            self.jobs.remove(job)

    def take(self, max_events: int) -> list[_Job]:
        """The oldest waiting jobs, up to `max_events` events (at least one job).

        Each job is popped before it is looked at (and put back when it does not fit), so a
        request abandoning its job meanwhile (`abandon`, in the event loop's thread) can never
        make this take another job than the one it looked at."""
        taken: list[_Job] = []
        count = 0
        while True:
            try:
                job = self.jobs.popleft()
            except IndexError:
                return taken
            if job.abandoned:
                continue
            size = len(job.batch.envelopes)
            if taken and (job.alone or taken[0].alone or count + size > max_events):
                self.jobs.appendleft(job)
                return taken
            taken.append(job)
            count += size


class _Chain:
    """The transactions of one hold of the write lock, back to back: each stores the group
    waiting at that moment, which is answered once it is committed (see
    `Database.run_tenant_chain`)."""

    def __init__(
        self, queue: _Queue, loop: asyncio.AbstractEventLoop, max_events: int, until: float
    ) -> None:
        self.queue = queue
        self.group: list[_Job] = []  # the group of the transaction running, until committed
        self._loop = loop
        self._max_events = max_events
        self._until = until
        self._results: list[IngestResult] = []
        self._names = Names()

    def __call__(self, session: Session) -> bool:
        if time.monotonic() > self._until:
            return False  # let other writers have the lock; the drain comes back for the rest
        self.group = self.queue.take(self._max_events)
        if not self.group:
            return False
        batches = [job.batch for job in self.group]
        self._results, self._names = write_batches(
            session, batches, datetime.now(UTC), self.queue.recent
        )
        return True

    def committed(self) -> None:
        self.queue.recent.remember(self._names)
        self._loop.call_soon_threadsafe(_settle, self.group, self._results)
        self.group = []


class EventWriter:
    """Stores event batches; the ones waiting for the same guild go into one transaction.

    While a group is written, the batches that arrive queue up and become the next group, so a
    busy listener makes few, large transactions and an idle one writes each batch at once. The
    answer to each batch is the one it would get alone (see `store_batches`); a group the
    database refuses is written again batch by batch, so only a faulty batch fails.
    """

    def __init__(
        self,
        db: Database,
        max_group_events: int = MAX_GROUP_EVENTS,
        hold_seconds: float = MAX_LOCK_HOLD_SECONDS,
        max_queued: int | None = None,
    ) -> None:
        self._db = db
        self._max_group_events = max_group_events
        self._hold_seconds = hold_seconds
        self._max_queued = max_queued
        self._queues: dict[int, _Queue] = {}

    def queued(self, guild_id: int) -> int:
        """How many of the guild's batches wait to be written (never more than `max_queued`:
        the listener's LISTENER_QUEUE_LIMIT)."""
        queue = self._queues.get(guild_id)
        return 0 if queue is None else len(queue.jobs)

    async def store(self, guild_id: int, batch: Batch | Sequence[Envelope]) -> IngestResult:
        """Store one validated batch of the guild's (`prepare`d, or its envelopes); raises
        what storing it alone would, and Busy when the guild's queue is full. Cancelled (the
        caller's deadline), the batch leaves the queue unless the writer took it already."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(guild_id)
        if queue is None:
            queue = self._queues[guild_id] = _Queue()
        if self._max_queued is not None and len(queue.jobs) >= self._max_queued:
            raise Busy(f"{len(queue.jobs)} batches of this server wait to be stored", 5)
        job = _Job(batch if isinstance(batch, Batch) else prepare(batch), loop.create_future())
        queue.jobs.append(job)
        if queue.drain is None:
            queue.drain = loop.create_task(self._drain(guild_id, queue))
        try:
            return await asyncio.shield(job.done)
        except asyncio.CancelledError:
            queue.abandon(job)
            raise

    async def _drain(self, guild_id: int, queue: _Queue) -> None:
        """Write the guild's waiting batches until none is left."""
        loop = asyncio.get_running_loop()
        try:
            while queue.jobs:
                until = time.monotonic() + self._hold_seconds
                chain = _Chain(queue, loop, self._max_group_events, until)
                try:
                    await self._db.run_tenant_chain(guild_id, chain)
                except Exception as exc:
                    self._refused(guild_id, queue, chain.group, exc)
        finally:
            queue.drain = None
            for job in queue.jobs:  # only when cancelled (shutting down)
                job.done.cancel()

    @staticmethod
    def _refused(guild_id: int, queue: _Queue, group: list[_Job], exc: Exception) -> None:
        if len(group) == 1 or is_unavailable(exc):
            for job in group:
                job.settle(exc)
            return
        log.warning(
            "guild %s: a group of %d batches was refused (%s); storing them one by one",
            guild_id,
            len(group),
            type(exc).__name__,
        )
        for job in group:
            job.alone = True
        queue.jobs.extendleft(reversed(group))
