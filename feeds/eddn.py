"""The EDDN relay consumer (eddn.md §1, §11, §12): a ZeroMQ SUB socket through pyzmq's asyncio
API, frames decoded in a worker thread, snapshots stored in batches.

* **Never blocks the event loop.** The loop only receives frames; zlib, JSON and the snapshot
  checks of a whole batch run in a thread of their own, and the database writes are awaited
  (`bgs.galaxy.writer`). Frames that arrived meanwhile wait in the socket (`RECEIVE_BUFFER`) and
  make the next batch, so a burst becomes a few large batches; one batch is decoded while the
  one before is stored.
* **Counts what it drops and why** (`bgs.galaxy.eddn` names the reasons), per minute, flushed
  to the database every `FLUSH_EVERY` with the consumer's state, for /status.
* **Reconnects.** ZeroMQ reconnects by itself when the relay restarts (a closed connection), but
  not when a link dies silently, and the relay sends no heartbeat: after `silence` seconds
  without a message the socket is closed and a new one connects, after a pause that doubles
  with each silence in a row (`BACKOFF_FIRST` to `BACKOFF_MAX`) and starts again once a
  message arrives. Each reconnection is logged once; the first silence as a warning.
* **One consumer per deployment:** only while `leadership.leading` (`bgs.leadership`: a
  PostgreSQL advisory lock; on SQLite the one process leads).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Final

import orjson
import zmq
import zmq.asyncio

from bgs.galaxy.eddn import KEPT, NOT_JSON, NOT_ZLIB, STALE, Outcome, classify
from bgs.galaxy.feed import FLUSH_EVERY, FeedCounts, FeedState, write_feed_state
from bgs.galaxy.snapshot import SystemSnapshot
from bgs.galaxy.store import EDDN
from bgs.galaxy.writer import GalaxyWriter
from bgs.leadership import Leadership
from db.database import Database, is_unavailable

log = logging.getLogger(__name__)

MAX_MESSAGE: Final = 4 * 1024 * 1024  # decompressed bytes; a bigger frame is no journal event
TOO_LARGE: Final = "too_large"
STORE_FAILED: Final = "store_failed"
# Frames decoded and stored together, at most: a bigger batch costs less CPU a message (500 do
# a third fewer a CPU second, 200 half), a smaller one holds the event loop for less time.
BATCH: Final = 2000
RECEIVE_BUFFER: Final = 50_000  # frames ZeroMQ keeps while a batch is stored
BACKOFF_FIRST: Final = 1.0
BACKOFF_MAX: Final = 300.0
FOLLOW_EVERY: Final = 1.0  # seconds between two looks at the leadership while not leading


def decode_frame(frame: bytes, now: datetime) -> Outcome:
    """One relay frame: zlib, then JSON (orjson; the standard library's parser for what orjson
    refuses but the relay can send, `NaN` or a lone surrogate, so the snapshot checks name the
    field), then its meaning."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(frame, MAX_MESSAGE)
    except zlib.error:
        return NOT_ZLIB
    if inflater.unconsumed_tail:
        return TOO_LARGE
    if not inflater.eof:
        return NOT_ZLIB
    try:
        envelope = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            envelope = json.loads(text)
        except ValueError:  # UnicodeDecodeError included
            return NOT_JSON
    return classify(envelope, now)


def decode_frames(frames: Sequence[bytes], now: datetime) -> list[Outcome]:
    return [decode_frame(frame, now) for frame in frames]


class EddnFeed:
    """Consumes the relay at `relay` while this process leads `leadership`."""

    def __init__(
        self,
        relay: str,
        silence: float,
        db: Database,
        writer: GalaxyWriter,
        leadership: Leadership,
        *,
        backoff_first: float = BACKOFF_FIRST,
        flush_every: float = FLUSH_EVERY,
    ) -> None:
        self.relay = relay
        self.silence = silence
        self.db = db
        self.writer = writer
        self.leadership = leadership
        self.counts = FeedCounts()
        self.last_message_at: datetime | None = None
        self.connections = 0  # sockets connected so far
        self.handled = 0  # frames decoded, counted and stored so far
        self._backoff_first = backoff_first
        self._backoff = backoff_first
        self._flush_every = flush_every
        self._receiving = False
        self._store_failing = False
        self._decoder: ThreadPoolExecutor | None = None  # while running

    async def run(self) -> None:
        """Consume while leading, until cancelled; flush the counts and state periodically."""
        context = zmq.asyncio.Context()
        decoder = self._decoder = ThreadPoolExecutor(1, thread_name_prefix="eddn-decode")
        flusher = asyncio.get_running_loop().create_task(self._flush_forever(), name="eddn-flush")
        try:
            while True:
                if not self.leadership.leading:
                    self._receiving = False
                    await asyncio.sleep(FOLLOW_EVERY)
                    continue
                if await self._consume(context):  # silent: reconnect after a pause
                    await asyncio.sleep(self._backoff)
                    self._backoff = min(self._backoff * 2, BACKOFF_MAX)
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            context.destroy(linger=0)
            decoder.shutdown(wait=False)
            self._decoder = None
            if self.leadership.leading:
                with contextlib.suppress(Exception):
                    await self.flush()

    async def _consume(self, context: zmq.asyncio.Context) -> bool:
        """One socket: receive and store until silence (True) or the lead is lost (False)."""
        socket = context.socket(zmq.SUB)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVHWM, RECEIVE_BUFFER)
        socket.setsockopt(zmq.RECONNECT_IVL_MAX, 10_000)
        socket.setsockopt(zmq.SUBSCRIBE, b"")
        socket.connect(self.relay)
        self.connections += 1
        storing: asyncio.Task[None] | None = None  # the previous batch's writes
        try:
            while self.leadership.leading:
                try:
                    first = await asyncio.wait_for(socket.recv(), self.silence)
                except TimeoutError:
                    self._silent()
                    return True
                frames = [first, *await self._waiting(socket)]
                self._receiving = True
                self._backoff = self._backoff_first
                now = self.last_message_at = datetime.now(UTC)
                outcomes = await self._decode(frames, now)  # while the previous batch is stored
                if storing is not None:
                    await storing
                storing = asyncio.get_running_loop().create_task(self._handle(outcomes, now))
            return False
        finally:
            if storing is not None:
                await asyncio.gather(storing, return_exceptions=True)
            socket.close(linger=0)

    @staticmethod
    async def _waiting(socket: zmq.asyncio.Socket) -> list[bytes]:
        """The frames already received, up to a batch."""
        frames: list[bytes] = []
        while len(frames) < BATCH - 1:
            try:
                frames.append(await socket.recv(zmq.NOBLOCK))
            except zmq.Again:
                break
        return frames

    def _silent(self) -> None:
        was_receiving, self._receiving = self._receiving, False
        level = logging.WARNING if was_receiving or self.connections == 1 else logging.INFO
        log.log(
            level,
            "EDDN relay %s: no message for %g s; reconnecting in %g s",
            self.relay,
            self.silence,
            self._backoff,
        )

    async def _decode(self, frames: list[bytes], now: datetime) -> list[Outcome]:
        assert self._decoder is not None, "frames are decoded only while running"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._decoder, decode_frames, frames, now)

    async def _handle(self, outcomes: list[Outcome], now: datetime) -> None:
        """Count the drops and store the snapshots of one decoded batch."""
        snapshots = [outcome for outcome in outcomes if isinstance(outcome, SystemSnapshot)]
        for outcome in outcomes:
            if isinstance(outcome, str):
                self.counts.add(outcome, now)
        try:
            await self._store(snapshots, now)
        finally:
            self.handled += len(outcomes)

    async def _store(self, snapshots: list[SystemSnapshot], now: datetime) -> None:
        if not snapshots:
            return
        try:
            changes = await self.writer.store(snapshots, EDDN, now)
        except Exception as exc:
            self.counts.add(STORE_FAILED, now, len(snapshots))
            if not self._store_failing:
                log.warning("EDDN: storing %d snapshot(s) failed: %r", len(snapshots), exc)
            if not is_unavailable(exc):
                log.exception("EDDN: a batch was refused")
            self._store_failing = True
            return
        if self._store_failing:
            log.info("EDDN: snapshots are stored again")
            self._store_failing = False
        self.counts.add(KEPT, now, len(changes))
        self.counts.add(STALE, now, len(snapshots) - len(changes))

    async def flush(self) -> None:
        """Write the counts and this consumer's state for /status."""
        now = datetime.now(UTC)
        receiving = (
            self._receiving
            and self.last_message_at is not None
            and (now - self.last_message_at).total_seconds() <= self.silence
        )
        await self.counts.flush(self.db, now)
        await write_feed_state(self.db, FeedState(self.relay, receiving, self.last_message_at, now))

    async def _flush_forever(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self._flush_every)
            if not self.leadership.leading:
                continue
            try:
                await self.flush()
            except Exception as exc:
                if not failing:
                    log.warning("EDDN: writing the feed's counts failed: %r", exc)
                failing = True
            else:
                failing = False
