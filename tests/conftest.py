"""Shared fixtures: migrated databases on SQLite and PostgreSQL.

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
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from db.migrate import upgrade
from db.session import Database, create_engine

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
        host=url.host, port=url.port, user=url.username, password=url.password,
        database=url.database, timeout=3,
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
