"""Engines, sessions and the tenant hooks: what every reader of the storage layer needs.

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
nor the next transaction waits for a trip through a busy event loop (`db.sqlite`). Elsewhere it
runs through the async session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Delete, Table, Update, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from db.models import Base, TenantMixin
from db.sqlite import SYNCHRONOUS_DEFAULT, SqliteWriter, configure_sqlite
from db.types import json_text
from settings import Settings, TenantsFile

log = logging.getLogger(__name__)


class ChainWork(Protocol):
    """Work for `Database.run_tenant_chain`."""

    def __call__(self, session: Session) -> bool:
        """Write in this transaction; False when there was nothing left to write."""

    def committed(self) -> None:
        """Called once the transaction that wrote has committed."""


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


@asynccontextmanager
async def joined_tenant(session: AsyncSession, guild_id: int) -> AsyncIterator[AsyncSession]:
    """A session scoped to one guild inside `session`'s transaction, on its connection: what it
    writes commits or rolls back with the caller's transaction (work on global tables that
    must change a guild's rows atomically with them, e.g. galaxy alerts in the outbox)."""
    connection = await session.connection()
    scoped = AsyncSession(
        bind=connection,
        sync_session_class=TenantSession,
        info={"guild_id": guild_id},
        expire_on_commit=False,
        join_transaction_mode="rollback_only",
    )
    try:
        yield scoped
        await scoped.flush()  # its writes belong to the caller's transaction (never committed here)
    finally:
        await scoped.close()


def create_engine(
    url: str, statement_timeout: float | None = None, synchronous: str = SYNCHRONOUS_DEFAULT
) -> AsyncEngine:
    """An async engine with our per-dialect settings (SQLite: WAL, foreign keys, busy timeout,
    `synchronous`; PostgreSQL: a connect timeout, and with `statement_timeout` seconds both the
    server's `statement_timeout`, which also ends a wait for a lock, and asyncpg's command
    timeout, for a server that stops answering)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, json_serializer=json_text)
        configure_sqlite(engine.sync_engine, synchronous)
        return engine
    return create_async_engine(
        url,
        json_serializer=json_text,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args={"timeout": POSTGRES_CONNECT_TIMEOUT} | _timeouts(statement_timeout),
    )


def _timeouts(seconds: float | None) -> dict[str, Any]:
    if seconds is None:
        return {}
    milliseconds = str(round(seconds * 1000))
    return {"command_timeout": seconds, "server_settings": {"statement_timeout": milliseconds}}


class Database:
    """The engine registry and session factory for the default and per-tenant databases."""

    @classmethod
    def configured(
        cls, settings: Settings, tenants: TenantsFile, *, timeouts: bool = True
    ) -> Database:
        """The databases of these settings: DATABASE_URL, and the tenants' own `database_url`;
        with DATABASE_STATEMENT_TIMEOUT unless `timeouts` is False (migrations may run long)."""
        return cls(
            settings.database_url,
            {t.guild_id: t.database_url for t in tenants.tenants if t.database_url},
            statement_timeout=settings.database_statement_timeout if timeouts else None,
            sqlite_synchronous=settings.sqlite_synchronous,
        )

    def __init__(
        self,
        default_url: str,
        tenant_urls: Mapping[int, str] | None = None,
        *,
        statement_timeout: float | None = None,
        sqlite_synchronous: str = SYNCHRONOUS_DEFAULT,
    ) -> None:
        self.default_url = default_url
        self.statement_timeout = statement_timeout
        self.sqlite_synchronous = sqlite_synchronous
        self._tenant_urls = dict(tenant_urls or {})
        self._engines: dict[str, AsyncEngine] = {}
        self._tenant_makers: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._plain_makers: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._write_locks: dict[str, asyncio.Lock] = {}
        self._sqlite_writers: dict[str, SqliteWriter] = {}

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
            engine = self._engines[url] = create_engine(
                url, self.statement_timeout, self.sqlite_synchronous
            )
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
            writer = self._sqlite_writers[url] = SqliteWriter(
                engine.url, path, TenantSession, self.sqlite_synchronous
            )
        chain = partial(writer.run_chain, {"guild_id": guild_id}, work, work.committed)
        async with self._serialized(url):
            running = asyncio.get_running_loop().run_in_executor(writer.thread, chain)
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
