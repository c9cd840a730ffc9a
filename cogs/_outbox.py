"""The outbox poster: sends the posts other processes (or this one) left in the outbox for the
guilds this process's shards hold (see `bgs.outbox`).

Cogs register a handler per kind (`handlers[kind] = handler`); a handler posts one entry and
says how it went (`Outcome`): done (posted, posted before, nowhere to post), or failed, in
which case the entry is tried again later with backoff, across restarts. The poster drains the
outbox when woken (an alert written in this process, or a PostgreSQL NOTIFY from another), when
the earliest failed entry is due again, and at least every POLL_EVERY seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from bgs import outbox
from bgs.outbox import Entry
from warden.services import Services

log = logging.getLogger(__name__)

POLL_EVERY: Final = 5.0  # seconds; the only wake-up between processes on SQLite


class Outcome(StrEnum):
    """What `deliver` did."""

    POSTED = "posted"
    EXISTS = "exists"  # posted before, or another process is sending it right now
    FAILED = "failed"  # the send failed; the claim is freed, so a later run may retry
    NO_CHANNEL = "no channel"

    @property
    def done(self) -> bool:
        """Nothing is left to retry."""
        return self is not Outcome.FAILED


Handler = Callable[[Entry], Awaitable[Outcome]]


class OutboxPoster:
    """Sends the outbox entries of the guilds `guild_ids()` names, once `ready()` returns."""

    def __init__(
        self,
        services: Services,
        guild_ids: Callable[[], list[int]],
        ready: Callable[[], Awaitable[None]],
    ) -> None:
        self.services = services
        self.guild_ids = guild_ids
        self.ready = ready
        self.handlers: dict[str, Handler] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._draining = asyncio.Lock()  # one drain at a time: a second waits for the first

    def start(self) -> None:
        db = self.services.db
        wake = self.services.outbox_signal.set
        self._tasks.append(asyncio.create_task(self._run(), name="outbox-poster"))
        for url in db.urls:
            if not db.is_sqlite(url):
                listening = outbox.listen(db, url, wake)
                self._tasks.append(asyncio.create_task(listening, name="outbox-listen"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(self) -> None:
        signal = self.services.outbox_signal
        await self.ready()
        while True:
            signal.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("outbox: draining failed; trying again shortly")
            due = await outbox.next_due(self.services.db, self.guild_ids())
            wait = POLL_EVERY
            if due is not None:
                wait = min(wait, max(0.0, (due - datetime.now(UTC)).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), wait)

    async def drain(self, now: datetime | None = None) -> int:
        """Send every due entry of the guilds this process serves; how many were done."""
        db = self.services.db
        done = 0
        async with self._draining:
            guild_ids = self.guild_ids()
            while entries := await outbox.claim_due(db, guild_ids, now or datetime.now(UTC)):
                for entry in entries:
                    outcome, error = await self._send(entry)
                    if outcome.done:
                        await outbox.sent(db, entry)
                        done += 1
                    else:
                        await outbox.failed(db, entry, error, now or datetime.now(UTC))
        return done

    async def _send(self, entry: Entry) -> tuple[Outcome, str]:
        handler = self.handlers.get(entry.kind)
        if handler is None:
            return Outcome.FAILED, f"no handler for {entry.kind} in this process"
        try:
            outcome = await handler(entry)
        except Exception as exc:
            log.exception("guild %s: %s %r failed", entry.guild_id, entry.kind, entry.key)
            return Outcome.FAILED, f"{type(exc).__name__}: {exc}"
        return outcome, "the send failed"
