"""Leadership of the global work (tick polling, the galaxy feed, housekeeping): exactly one
process of a deployment does it at a time, chosen through the database.

On PostgreSQL the leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a
connection of its own. The lock lives exactly as long as that connection: when the leader's
process dies, or its connection drops, PostgreSQL releases the lock at once, and the next
process to try (every `RETRY_EVERY`) takes over. A process that loses its connection stops
leading until it holds the lock again; the holder pings its connection every `RETRY_EVERY`,
so a link that died silently is noticed too. On SQLite a deployment is one process, which
leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any, Final

from sqlalchemy import text

from db.database import Database

log = logging.getLogger(__name__)

RETRY_EVERY: Final = 10.0  # seconds between two attempts of a follower to take the lead


def lock_key(name: str) -> int:
    """A stable 63-bit advisory-lock key for a name."""
    return int.from_bytes(hashlib.sha256(f"warden:{name}".encode()).digest()[:8], "big") >> 1


class Leadership:
    """Whether this process leads the work called `name`; `run()` keeps trying to lead."""

    def __init__(self, db: Database, name: str = "global", retry: float = RETRY_EVERY) -> None:
        self._db = db
        self._name = name
        self._retry = retry
        self.leading = db.is_sqlite()

    async def run(self) -> None:
        """Lead when the lock can be had, until cancelled (nothing to do on SQLite)."""
        if self._db.is_sqlite():
            return
        while True:
            try:
                await self._lead_while_connected()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("leadership of %s: database connection failed (%s)", self._name, exc)
            if self.leading:
                log.warning("leadership of %s lost", self._name)
            self.leading = False
            await asyncio.sleep(self._retry)

    async def _lead_while_connected(self) -> None:
        """Take the lock if free and hold it while the connection lives; returns when the
        connection is lost or the lock was taken by another process."""
        async with self._db.engine().connect() as connection:
            acquired = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(self._name)}
                )
            ).scalar_one()
            await connection.commit()
            if not acquired:
                return
            lost = asyncio.Event()
            driver: Any = (await connection.get_raw_connection()).driver_connection
            driver.add_termination_listener(lambda *_: lost.set())
            self.leading = True
            log.info("this process now leads %s", self._name)
            while not lost.is_set():  # a ping per period also finds a silently dead link
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._retry)
                await connection.execute(text("SELECT 1"))
