"""PostgreSQL and SQLite for tests: where the server is, and migrated databases made from a
template."""

from __future__ import annotations

import os
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from db.database import create_engine
from db.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


async def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (the newest schema by default): a revision's
    upgrade test migrates to the revision before it, stores data, then migrates to head."""
    engine = create_engine(url)
    try:
        await upgrade(engine, revision)
    finally:
        await engine.dispose()


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

    async def create(self, *, empty: bool = False) -> str:
        """A new database: migrated (from the template), or `empty` (no schema at all)."""
        name = f"warden_t_{uuid.uuid4().hex[:12]}"
        template = "" if empty else f' TEMPLATE "{self.template}"'
        await postgres_admin(f'CREATE DATABASE "{name}"{template}')
        return name

    async def drop(self, name: str) -> None:
        await postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
