"""Engines and sessions.

`Database` owns one engine per distinct URL and hands out sessions:

* `tenant(guild_id)` — a tenant-scoped session on the guild's database. Every ORM select,
  update and delete in it is filtered by the guild (`with_loader_criteria` on `TenantMixin`)
  and every new row, object or bulk insert, is stamped with it. A forgotten `where` cannot
  leak or touch another guild's rows.
* `unscoped(url)` — a plain session for global tables and cross-guild jobs.

`write()` variants open a transaction and commit it. On SQLite they also take a per-engine
asyncio lock: SQLite has one writer at a time, and queueing writers in-process is much cheaper
than letting them collide on the file lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from db.models import TenantMixin

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000


class TenantIsolationError(RuntimeError):
    """Code tried to write a row of another guild through a tenant session."""


class TenantSession(Session):
    """The sync session behind a tenant-scoped AsyncSession; `info["guild_id"]` is the tenant."""


def _stamp(row: Mapping[str, Any], guild_id: int) -> dict[str, Any]:
    given = row.get("guild_id")
    if given is not None and given != guild_id:
        raise TenantIsolationError(f"row for guild {given} inserted in guild {guild_id}'s session")
    return {**row, "guild_id": guild_id}


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    guild_id: int = state.session.info["guild_id"]
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantMixin, lambda cls: cls.guild_id == guild_id, include_aliases=True
            )
        )
    elif state.is_insert:
        mapper = state.bind_mapper
        if mapper is not None and issubclass(mapper.class_, TenantMixin):
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


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine with our per-dialect settings (SQLite: WAL, foreign keys, busy timeout)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """The engine registry and session factory for the default and per-tenant databases."""

    def __init__(self, default_url: str, tenant_urls: Mapping[int, str] | None = None) -> None:
        self.default_url = default_url
        self._tenant_urls = dict(tenant_urls or {})
        self._engines: dict[str, AsyncEngine] = {}
        self._tenant_makers: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._plain_makers: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._write_locks: dict[str, asyncio.Lock] = {}

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
