"""Shared fixtures: migrated databases on SQLite and PostgreSQL, the real services, a plugin-shaped
client.

The schema is migrated once per test session into a template (a SQLite file, a PostgreSQL
template database); each test gets a fresh copy, so every test starts from `alembic upgrade head`
without paying for it. PostgreSQL comes from TEST_POSTGRES_URL (default: the local server's
`test` database); without a reachable server its cases skip, unless REQUIRE_POSTGRES=1 (CI),
where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import hypothesis
import pytest

from db.database import Database
from settings import TenantsFile
from tests.fakes.eddn_relay import FakeRelay
from tests.helpers.databases import (
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    Postgres,
    migrate,
    postgres_admin,
)
from tests.helpers.plugin import GUILD_A, PluginClient, create_api_key, settings_for
from warden.services import Services

# Tests never reach the public EDDN relay: the bot and every process a test starts run with the
# feed off, and a test that wants it points EDDN_RELAY at the loopback fake relay.
os.environ["EDDN_RELAY"] = "off"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "warden.db"
    asyncio.run(migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database of this test's own."""
    path = tmp_path / "warden.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    try:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{server.template}" WITH (FORCE)'))
    except Exception as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc!r})"
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES=1 but {message}")
        pytest.skip(f"{message}; set TEST_POSTGRES_URL to run these cases")
    asyncio.run(postgres_admin(f'CREATE DATABASE "{server.template}"'))
    asyncio.run(migrate(server.url(server.template)))
    yield server
    asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{server.template}" WITH (FORCE)'))


@pytest.fixture
async def postgres_url(postgres: Postgres) -> AsyncIterator[str]:
    """A migrated PostgreSQL database of this test's own."""
    name = await postgres.create()
    try:
        yield postgres.url(name)
    finally:
        await postgres.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The test runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database without any schema (for migration tests), on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.db"
        return
    server: Postgres = request.getfixturevalue("postgres")
    name = await server.create(empty=True)
    try:
        yield server.url(name)
    finally:
        await server.drop(name)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def services(database_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    """The real services (listener on a free loopback port) on a migrated database."""
    running = Services(settings_for(database_url, tmp_path), TenantsFile())
    await running.start()
    yield running
    await running.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def plugin(services: Services, http: aiohttp.ClientSession) -> PluginClient:
    """A plugin-shaped client with a fresh key of guild GUILD_A."""
    return PluginClient(http, services.listener.url, await create_api_key(services, GUILD_A))


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    """A loopback EDDN relay (a ZeroMQ PUB socket on 127.0.0.1)."""
    async with FakeRelay() as fake:
        yield fake


# Hypothesis: a bounded number of examples by default (CI), more on demand:
# HYPOTHESIS_PROFILE=thorough. No example database in the tree.
hypothesis.settings.register_profile("ci", max_examples=40, deadline=None, database=None)
hypothesis.settings.register_profile("thorough", max_examples=1000, deadline=None, database=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
