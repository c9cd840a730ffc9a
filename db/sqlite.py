"""What only SQLite needs: connection settings, the thread that writes the plugin's batches with
the synchronous driver, and the thread that copies the write-ahead log into the database.

Almost nobody needs to read this: `db.database.Database` uses it for SQLite files and hides it
behind `tenant_write` and `run_tenant_chain`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from db.types import json_text

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 32_000
# The write-ahead log is copied into the database in the background (see Checkpointer) every
# CHECKPOINT_EVERY seconds, and rewound once it holds REWIND_PAGES. A connection checkpoints by
# itself only past AUTOCHECKPOINT_PAGES, which this keeps it from reaching.
CHECKPOINT_EVERY = 0.2
REWIND_PAGES = 20_000
AUTOCHECKPOINT_PAGES = 60_000


SYNCHRONOUS_DEFAULT = "normal"


def configure_sqlite(engine: Engine, synchronous: str = SYNCHRONOUS_DEFAULT) -> None:
    """Every connection of `engine`: WAL, foreign keys, a busy timeout, a larger cache, and
    `synchronous` (SQLITE_SYNCHRONOUS). With `normal` a commit survives a crash of the process
    (the write-ahead log is synced at checkpoints), and the last commits before a power loss or
    an operating-system crash may be lost; with `full` each commit is synced to disk before it
    returns, which costs the listener about a fifth of its throughput (README "Durability")."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={_SYNCHRONOUS[synchronous]}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cursor.close()


_SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}


class Checkpointer(threading.Thread):
    """Copies an SQLite database's write-ahead log into it in the background.

    Left to itself, the connection that commits when the log has grown long copies the whole log
    and syncs the file inside that commit, and every write waits for it. Here a thread of its
    own copies what it can, often and so a little at a time, without blocking anyone.

    The log starts again from its beginning only when a write finds all of it copied, which a
    busy writer never does: it commits again while each copy runs, and the log grows until a
    commit reaches the automatic checkpoint and copies a long stretch itself. So once the log is
    `rewind_pages` long, this thread copies it again at once, leaving only what was written
    meanwhile, and asks the writer to copy that rest itself (`rewind_due`): its next
    transaction then rewinds the log.
    """

    def __init__(self, path: str, every: float, rewind_pages: int) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self.rewind_due = False
        self._path = path
        self._every = every
        self._rewind_pages = rewind_pages
        self._stopping = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            connection.execute("PRAGMA synchronous=NORMAL")
            while not self._stopping.wait(self._every):
                if self._copy(connection) >= self._rewind_pages:
                    self._copy(connection)
                    self.rewind_due = True
        finally:
            connection.close()

    def _copy(self, connection: sqlite3.Connection) -> int:
        """Copy what the log holds that no reader still needs; how long the log was (in pages),
        or 0 when another checkpoint was running or this one failed."""
        try:
            busy, pages, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("checkpoint of %s failed: %s", self._path, exc)
            return 0
        return 0 if busy else int(pages)

    def stop(self) -> None:
        self._stopping.set()
        self.join()


class SqliteWriter:
    """A synchronous engine on an SQLite database file, the one thread that writes with it, and
    the thread that checkpoints the file."""

    def __init__(self, url: URL, path: str, session_class: type[Session], synchronous: str) -> None:
        self.engine = create_sync_engine(url.set(drivername="sqlite"), json_serializer=json_text)
        configure_sqlite(self.engine, synchronous)
        self.session_maker = sessionmaker(self.engine, expire_on_commit=False, class_=session_class)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self.checkpointer = Checkpointer(path, CHECKPOINT_EVERY, REWIND_PAGES)
        self.checkpointer.start()

    def run_chain(
        self,
        info: dict[str, Any],
        step: Callable[[Session], bool],
        committed: Callable[[], None],
    ) -> None:
        """In the writer thread: `step` in a transaction of a session made with `info`, commit,
        `committed()`, and again while `step` wrote something (see `Database.run_tenant_chain`)."""
        with self.session_maker(info=info) as session:
            while True:
                with session.begin():
                    wrote = step(session)
                if not wrote:
                    return
                committed()
                if self.checkpointer.rewind_due:
                    # Copy the little the checkpointer left: the next transaction rewinds the log.
                    self.checkpointer.rewind_due = False
                    with self.engine.connect() as connection:
                        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.thread, self.engine.dispose)
        self.thread.shutdown()
        await loop.run_in_executor(None, self.checkpointer.stop)
