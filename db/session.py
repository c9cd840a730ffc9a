"""Engines and sessions.

`Database` owns one engine per distinct URL and hands out sessions:

* `tenant(guild_id)` — a tenant-scoped session on the guild's database. Every ORM select,
  update and delete in it is filtered by the guild (`with_loader_criteria` on `TenantMixin`),
  so is every Core update and delete of a tenant table, and every new row, object or bulk
  insert, is stamped with it. A forgotten `where` cannot leak or touch another guild's rows.
* `unscoped(url)` — a plain session for global tables and cross-guild jobs.

`write()` variants open a transaction and commit it. On SQLite they also take a per-engine
asyncio lock: SQLite has one writer at a time, and queueing writers in-process is much cheaper
than letting them collide on the file lock.

`run_tenant_chain(guild_id, work)` runs synchronous code in tenant-scoped transactions, one
after another while the code has more to do (the plugin listener's group commit). On SQLite the
whole chain runs in a writer thread of its own with the synchronous driver: neither a statement
nor the next transaction waits for a trip through a busy event loop. Elsewhere it runs through
the async session.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Delete, Engine, Table, Update, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from db.models import Base, TenantMixin
from db.types import json_text

log = logging.getLogger(__name__)


class ChainWork(Protocol):
    """Work for `Database.run_tenant_chain`."""

    def __call__(self, session: Session) -> bool:
        """Write in this transaction; False when there was nothing left to write."""

    def committed(self) -> None:
        """Called once the transaction that wrote has committed."""


SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 32_000
# The write-ahead log is copied into the database in the background (see _Checkpointer) every
# CHECKPOINT_EVERY seconds, and rewound once it holds REWIND_PAGES. A connection checkpoints by
# itself only past AUTOCHECKPOINT_PAGES, which this keeps it from reaching.
CHECKPOINT_EVERY = 0.2
REWIND_PAGES = 20_000
AUTOCHECKPOINT_PAGES = 60_000
POSTGRES_CONNECT_TIMEOUT = 5.0  # seconds; a database that is down must not hold requests long

TENANT_TABLES = frozenset(
    mapper.local_table.name
    for mapper in Base.registry.mappers
    if issubclass(mapper.class_, TenantMixin) and isinstance(mapper.local_table, Table)
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be used right now (down, unreachable,
    locked), as opposed to a statement or a row it refused."""
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError) or type(exc).__module__.startswith("asyncpg")


class TenantIsolationError(RuntimeError):
    """Code tried to write a row of another guild through a tenant session."""


class TenantSession(Session):
    """The sync session behind a tenant-scoped AsyncSession; `info["guild_id"]` is the tenant."""


def check_guild(row: Mapping[str, Any], guild_id: int) -> None:
    """Refuse a row that names another guild than the session's."""
    given = row.get("guild_id")
    if given is not None and given != guild_id:
        raise TenantIsolationError(f"row for guild {given} inserted in guild {guild_id}'s session")


def _stamp(row: Mapping[str, Any], guild_id: int) -> dict[str, Any]:
    check_guild(row, guild_id)
    return {**row, "guild_id": guild_id}


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    guild_id: int = state.session.info["guild_id"]
    if state.is_select or state.is_update or state.is_delete:
        statement = state.statement.options(
            with_loader_criteria(
                TenantMixin, lambda cls: cls.guild_id == guild_id, include_aliases=True
            )
        )
        if (
            isinstance(statement, Update | Delete)
            and isinstance(statement.table, Table)
            and statement.table.name in TENANT_TABLES
        ):
            # Loader criteria reach ORM entities only, and a Core `update(Model.__table__)` or
            # `delete(...)` counts as ORM once its WHERE names a model's column: every UPDATE
            # and DELETE of a tenant table gets the guild in its WHERE clause itself.
            statement = statement.where(statement.table.c.guild_id == guild_id)
        state.statement = statement
    elif state.is_insert:
        # ORM-enabled `insert(Model)` and Core `insert(Model.__table__)` alike.
        table = getattr(state.statement, "table", None)
        if isinstance(table, Table) and table.name in TENANT_TABLES:
            params = state.parameters
            if isinstance(params, Mapping):
                state.parameters = _stamp(params, guild_id)
            elif params:
                state.parameters = [_stamp(row, guild_id) for row in params]


@event.listens_for(TenantSession, "before_flush")
def _stamp_new_objects(session: Session, _context: Any, _instances: Any) -> None:
    guild_id: int = session.info["guild_id"]
    for obj in session.new:
        if isinstance(obj, TenantMixin):
            if obj.guild_id is None:
                obj.guild_id = guild_id
            elif obj.guild_id != guild_id:
                raise TenantIsolationError(
                    f"{type(obj).__name__} of guild {obj.guild_id} added in guild {guild_id}'s "
                    "session"
                )
    for obj in session.dirty:
        if isinstance(obj, TenantMixin) and obj.guild_id != guild_id:
            raise TenantIsolationError(f"{type(obj).__name__} moved to guild {obj.guild_id}")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine with our per-dialect settings (SQLite: WAL, foreign keys, busy timeout)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, json_serializer=json_text)
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        url,
        json_serializer=json_text,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args={"timeout": POSTGRES_CONNECT_TIMEOUT},
    )


class _Checkpointer(threading.Thread):
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


class _SqliteWriter:
    """A synchronous engine on an SQLite database file, the one thread that writes with it, and
    the thread that checkpoints the file."""

    def __init__(self, engine: AsyncEngine, path: str) -> None:
        self.engine = create_sync_engine(
            engine.url.set(drivername="sqlite"), json_serializer=json_text
        )
        _configure_sqlite(self.engine)
        self.tenant_maker = sessionmaker(self.engine, expire_on_commit=False, class_=TenantSession)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self.checkpointer = _Checkpointer(path, CHECKPOINT_EVERY, REWIND_PAGES)
        self.checkpointer.start()

    def run_chain(self, guild_id: int, work: ChainWork) -> None:
        with self.tenant_maker(info={"guild_id": guild_id}) as session:
            while True:
                with session.begin():
                    wrote = work(session)
                if not wrote:
                    return
                work.committed()
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


class Database:
    """The engine registry and session factory for the default and per-tenant databases."""

    def __init__(self, default_url: str, tenant_urls: Mapping[int, str] | None = None) -> None:
        self.default_url = default_url
        self._tenant_urls = dict(tenant_urls or {})
        self._engines: dict[str, AsyncEngine] = {}
        self._tenant_makers: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._plain_makers: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._write_locks: dict[str, asyncio.Lock] = {}
        self._sqlite_writers: dict[str, _SqliteWriter] = {}

    # -- engines ------------------------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        """Every distinct configured database URL, the default first."""
        return list(dict.fromkeys([self.default_url, *self._tenant_urls.values()]))

    def url_for(self, guild_id: int) -> str:
        return self._tenant_urls.get(guild_id, self.default_url)

    def engine(self, url: str | None = None) -> AsyncEngine:
        url = url or self.default_url
        engine = self._engines.get(url)
        if engine is None:
            engine = self._engines[url] = create_engine(url)
        return engine

    def is_sqlite(self, url: str | None = None) -> bool:
        return self.engine(url).dialect.name == "sqlite"

    def _lock(self, url: str) -> asyncio.Lock | None:
        if not self.is_sqlite(url):
            return None
        lock = self._write_locks.get(url)
        if lock is None:
            lock = self._write_locks[url] = asyncio.Lock()
        return lock

    async def ping(self, url: str | None = None) -> None:
        """Raise when the database cannot answer `SELECT 1`."""
        async with self.engine(url).connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        for writer in self._sqlite_writers.values():
            await writer.close()
        self._sqlite_writers.clear()
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()
        self._tenant_makers.clear()
        self._plain_makers.clear()

    # -- sessions -----------------------------------------------------------------------------

    def _tenant_maker(self, url: str) -> async_sessionmaker[AsyncSession]:
        maker = self._tenant_makers.get(url)
        if maker is None:
            maker = self._tenant_makers[url] = async_sessionmaker(
                self.engine(url), expire_on_commit=False, sync_session_class=TenantSession
            )
        return maker

    def _plain_maker(self, url: str) -> async_sessionmaker[AsyncSession]:
        maker = self._plain_makers.get(url)
        if maker is None:
            maker = self._plain_makers[url] = async_sessionmaker(
                self.engine(url), expire_on_commit=False
            )
        return maker

    @asynccontextmanager
    async def tenant(self, guild_id: int) -> AsyncIterator[AsyncSession]:
        """A read session scoped to one guild."""
        async with self._tenant_maker(self.url_for(guild_id))(
            info={"guild_id": guild_id}
        ) as session:
            yield session

    @asynccontextmanager
    async def tenant_write(self, guild_id: int) -> AsyncIterator[AsyncSession]:
        """A transaction scoped to one guild, committed on success, rolled back on error."""
        url = self.url_for(guild_id)
        maker = self._tenant_maker(url)
        async with (
            self._serialized(url),
            maker(info={"guild_id": guild_id}) as session,
            session.begin(),
        ):
            yield session

    async def run_tenant_chain(self, guild_id: int, work: ChainWork) -> None:
        """Run `work` with a synchronous session scoped to one guild in a transaction, commit,
        tell it, and again in the next transaction, until it has nothing left to write, all
        under one hold of the write lock. An error rolls back the transaction it happened in,
        ends the chain and is raised here (the transactions before stay committed).

        On an SQLite file the chain runs in the database's writer thread; elsewhere through the
        async session (`AsyncSession.run_sync`). Scoping is `tenant_write`'s either way.
        """
        url = self.url_for(guild_id)
        engine = self.engine(url)
        path = engine.url.database
        if engine.dialect.name != "sqlite" or path in (None, "", ":memory:"):
            while True:
                async with self.tenant_write(guild_id) as session:
                    wrote = await session.run_sync(work)
                if not wrote:
                    return
                work.committed()
        writer = self._sqlite_writers.get(url)
        if writer is None:
            writer = self._sqlite_writers[url] = _SqliteWriter(engine, path)
        async with self._serialized(url):
            running = asyncio.get_running_loop().run_in_executor(
                writer.thread, partial(writer.run_chain, guild_id, work)
            )
            try:
                await asyncio.shield(running)
            finally:
                if not running.done():  # cancelled: the lock is held until the thread is done
                    await asyncio.wait([running])

    @asynccontextmanager
    async def unscoped(self, url: str | None = None) -> AsyncIterator[AsyncSession]:
        """A plain session for global tables or cross-guild work (never for one tenant's data)."""
        async with self._plain_maker(url or self.default_url)() as session:
            yield session

    @asynccontextmanager
    async def unscoped_write(self, url: str | None = None) -> AsyncIterator[AsyncSession]:
        url = url or self.default_url
        async with (
            self._serialized(url),
            self._plain_maker(url)() as session,
            session.begin(),
        ):
            yield session

    @asynccontextmanager
    async def _serialized(self, url: str) -> AsyncIterator[None]:
        lock = self._lock(url)
        if lock is None:
            yield
            return
        async with lock:
            yield
