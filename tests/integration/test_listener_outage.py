"""The database goes away while the listener runs: requests are answered 503 at once (nothing
stored), and the listener recovers by itself when the database is back, without a restart.

PostgreSQL: the listener reaches the server through a loopback TCP proxy. The outage cuts every
connection through it and then either refuses new ones (the server is down) or accepts them and
never answers (the server hangs): both must be answered within the connect timeout. Forwarding
again on the same port is the recovery.
SQLite has no server to lose: its outage is another process holding the write lock (a backup,
an `sqlite3` shell left in a transaction) for longer than the busy timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import db.database
import db.sqlite
from db import models
from settings import TenantsFile
from tests.helpers.plugin import GUILD_A, PluginClient, create_api_key, market_event, settings_for
from warden.services import Services

UNAVAILABLE = {"error": "the database is unavailable right now; the data was not stored"}


class TcpProxy:
    """Forwards 127.0.0.1:port to an upstream address; can stop and start again."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.silent = False  # accept connections but never forward or answer
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, *, silent: bool = False) -> None:
        self.silent = silent
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        if self.silent:
            self._writers.add(client)
            return
        try:
            server_reader, server = await asyncio.open_connection(*self.upstream)
        except OSError:
            client.close()
            return
        self._writers |= {client, server}
        try:
            await asyncio.gather(
                self._pipe(client_reader, server), self._pipe(server_reader, client)
            )
        finally:
            self._writers -= {client, server}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def running(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Services, PluginClient]]:
    services = Services(settings_for(database_url, tmp_path), TenantsFile())
    await services.start()
    try:
        async with aiohttp.ClientSession() as http:
            key = await create_api_key(services, GUILD_A)
            yield services, PluginClient(http, services.listener.url, key)
    finally:
        await services.close()


def batch(first: int) -> list[dict[str, Any]]:
    return [market_event(n) for n in range(first, first + 10)]


async def stored(database_url: str) -> int:
    """Events stored in the guild, counted over a connection of the test's own."""
    database = db.database.Database(database_url)
    try:
        async with database.unscoped() as session:
            statement = select(func.count()).select_from(models.Event)
            return (await session.execute(statement)).scalar_one()
    finally:
        await database.dispose()


async def timed_post(plugin: PluginClient, events: list[dict[str, Any]]) -> tuple[Any, float]:
    started = time.monotonic()
    reply = await plugin.post_events(events)
    return reply, time.monotonic() - started


@pytest.mark.postgres
@pytest.mark.parametrize("outage", ["refused", "silent"])
async def test_postgres_down_is_503_and_recovers_without_restart(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outage: str
) -> None:
    monkeypatch.setattr(db.database, "POSTGRES_CONNECT_TIMEOUT", 1.0)
    real = make_url(postgres_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        async with running(proxied, tmp_path) as (services, plugin):
            assert (await plugin.post_events(batch(0))).body == {"accepted": 10, "duplicates": 0}

            await proxy.stop()
            if outage == "silent":
                await proxy.start(silent=True)
            reply, seconds = await timed_post(plugin, batch(100))
            assert (reply.status, reply.body) == (503, UNAVAILABLE)
            assert seconds < 3, f"the outage held the request {seconds:.1f} s"
            health = await plugin.request("GET", "health")
            assert health.status == 503
            assert health.body["database"] == "unreachable"
            assert await stored(postgres_url) == 10

            if outage == "silent":
                await proxy.stop()
            await proxy.start()  # the same port: the listener's URL is unchanged
            reply = await plugin.post_events(batch(200))
            assert (reply.status, reply.body) == (200, {"accepted": 10, "duplicates": 0})
            assert (await plugin.request("GET", "health")).status == 200
            await services.wait_background()
            assert await stored(postgres_url) == 20
    finally:
        with contextlib.suppress(AssertionError):
            await proxy.stop()


async def test_sqlite_write_lock_held_elsewhere_is_503_and_recovers(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db.sqlite, "SQLITE_BUSY_TIMEOUT_MS", 300)
    path = make_url(sqlite_url).database
    assert path is not None
    async with running(sqlite_url, tmp_path) as (services, plugin):
        assert (await plugin.post_events(batch(0))).body == {"accepted": 10, "duplicates": 0}
        await services.wait_background()

        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process takes the write lock and keeps it
            reply, seconds = await timed_post(plugin, batch(100))
            assert (reply.status, reply.body) == (503, UNAVAILABLE)
            assert seconds < 3, f"the outage held the request {seconds:.1f} s"
        finally:
            other.execute("ROLLBACK")
            other.close()
        await services.wait_background()
        assert await stored(sqlite_url) == 10

        reply = await plugin.post_events(batch(200))
        assert (reply.status, reply.body) == (200, {"accepted": 10, "duplicates": 0})
        assert await stored(sqlite_url) == 20
