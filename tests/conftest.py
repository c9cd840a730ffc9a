"""Shared fixtures: migrated databases on SQLite and PostgreSQL.

The schema is migrated once per test session into a template (a SQLite file, a PostgreSQL
template database); each test gets a fresh copy, so every test starts from `alembic upgrade head`
without paying for it. PostgreSQL comes from TEST_POSTGRES_URL (default: the local server's
`test` database); without a reachable server its cases skip, unless REQUIRE_POSTGRES=1 (CI),
where they fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bgs import apikeys
from bot import Services
from db.migrate import upgrade
from db.session import Database, create_engine
from settings import Settings, TenantsFile, load_settings

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "warden.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database of this test's own."""
    path = tmp_path / "warden.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def postgres_admin(statement: str) -> None:
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
        timeout=3,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


class Postgres:
    """Creates per-test databases from a migrated template database."""

    def __init__(self) -> None:
        self.template = f"warden_tpl_{os.getpid()}"

    def url(self, database: str) -> str:
        return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)

    async def create(self) -> str:
        name = f"warden_t_{uuid.uuid4().hex[:12]}"
        await postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    async def drop(self, name: str) -> None:
        await postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    asyncio.run(_migrate(server.url(server.template)))
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


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


# --------------------------------------------------------------------------------------------
# The listener, as the plugin sees it
# --------------------------------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample(name: str) -> Any:
    """A captured BGS-Tally request (tests/fixtures/bgstally, copied from the real plugin)."""
    return json.loads((FIXTURES / "bgstally" / name).read_text(encoding="utf-8"))


def settings_for(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "database_url": database_url,
        "listener_host": "127.0.0.1",
        "listener_port": 0,
        "tenants_file": tmp_path / "tenants.json",
        "discord_token": None,
    }
    return load_settings(**(values | overrides))


@pytest.fixture
async def services(database_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    """The real services (listener on a free loopback port) on a migrated database."""
    running = Services(settings_for(database_url, tmp_path), TenantsFile())
    await running.start()
    yield running
    await running.close()


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]


class PluginClient:
    """Speaks to the listener the way BGS-Tally does (bgstally-api.md §2)."""

    def __init__(self, http: aiohttp.ClientSession, root: str, key: str | None) -> None:
        self.http = http
        self.root = root
        self.key = key
        self.api_version: str | None = "1.8.0"

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": "BGS-Tally/5.5.0-dev"}
        if self.api_version is not None:
            headers["apiversion"] = self.api_version
        if self.key is not None:
            headers["apikey"] = self.key
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        all_headers = self.headers() | dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        async with self.http.request(
            method, self.root + path, data=data, headers=all_headers
        ) as response:
            text = await response.text()
            try:
                body = json.loads(text)
            except ValueError:
                body = text
            return Reply(response.status, body, response.headers)

    async def post_events(self, events: Any) -> Reply:
        return await self.request("POST", "events", json_body=events)

    async def put_activity(self, activity: Any) -> Reply:
        return await self.request("PUT", "activities", json_body=activity)


async def create_api_key(services: Services, guild_id: int, label: str = "test") -> str:
    async with services.db.tenant_write(guild_id) as session:
        key, _ = await apikeys.create_key(session, label=label, created_by="tests")
    return key


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def plugin(services: Services, http: aiohttp.ClientSession) -> PluginClient:
    """A plugin-shaped client with a fresh key of guild GUILD_A."""
    return PluginClient(http, services.listener.url, await create_api_key(services, GUILD_A))


GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222
