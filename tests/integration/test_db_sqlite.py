"""SQLITE_SYNCHRONOUS reaches every SQLite connection: the listener's writer thread and the
async engine alike (README "Durability": `normal` by default, `full` when asked)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.database import Database
from settings import TenantsFile
from settings.environment import load_settings

LEVELS = {"normal": 1, "full": 2}  # what PRAGMA synchronous reads back


class ReadPragma:
    """A writer-thread chain step that reads the connection's setting and writes nothing."""

    def __init__(self) -> None:
        self.level: int | None = None

    def __call__(self, session: Session) -> bool:
        self.level = session.execute(text("PRAGMA synchronous")).scalar_one()
        return False

    def committed(self) -> None:
        raise AssertionError("nothing was written")


@pytest.mark.parametrize("setting", [None, "normal", "full"])
async def test_every_connection_uses_the_setting(sqlite_url: str, setting: str | None) -> None:
    overrides = {"sqlite_synchronous": setting} if setting else {}
    settings = load_settings(database_url=sqlite_url, discord_token="", **overrides)
    db = Database.configured(settings, TenantsFile(tenants=()))
    expected = LEVELS[setting or "normal"]
    try:
        step = ReadPragma()
        await db.run_tenant_chain(1, step)
        async with db.unscoped() as session:
            level = (await session.execute(text("PRAGMA synchronous"))).scalar_one()
    finally:
        await db.dispose()
    assert (step.level, level) == (expected, expected)
