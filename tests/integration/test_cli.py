"""Operator subcommands: `bot.py apikey create|list|revoke` serve a listener-only deployment;
`bot.py rollups rebuild` repairs a guild's rollups."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete

import bot
from bgs import apikeys, rollups, summaries
from bgs.periods import period_for
from db import models
from db.database import Database
from tests.helpers.plugin import GUILD_A
from tests.helpers.plugin_events import ADF, bounty, store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = bot.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def env(sqlite_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TENANTS_FILE", f"{tmp_path}/tenants.json")
    monkeypatch.setenv("LISTENER_PUBLIC_URL", "http://bgs.example.org:8085")
    return sqlite_url


def test_apikey_create_list_revoke(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "apikey", "create", "--guild", str(GUILD_A), "--label", "wing")
    assert code == 0
    key = out.splitlines()[1].strip()
    assert key.isalnum() and len(key) == 43
    assert "URL: http://bgs.example.org:8085/" in out

    code, out, _ = run(capsys, "apikey", "list", "--guild", str(GUILD_A))
    assert code == 0
    assert "#1 'wing': active; created" in out and "by command line; last used never" in out
    assert key not in out

    code, out, _ = run(capsys, "apikey", "revoke", "--guild", str(GUILD_A), "1")
    assert code == 0 and out.startswith("revoked: #1 'wing': revoked")

    code, _, err = run(capsys, "apikey", "revoke", "--guild", str(GUILD_A), "99")
    assert code == 2
    assert "this server has no API key with id 99" in err


def test_list_of_another_guild_is_empty(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "apikey", "create", "--guild", str(GUILD_A))
    code, out, _ = run(capsys, "apikey", "list", "--guild", "5")
    assert (code, out.strip()) == (0, "guild 5 has no API keys")


def test_created_key_belongs_to_the_guild(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "apikey", "create", "--guild", str(GUILD_A))
    key = out.splitlines()[1].strip()

    async def owner() -> int | None:
        db = Database(env)
        try:
            async with db.unscoped() as session:
                found = await apikeys.find_owner(session, key)
        finally:
            await db.dispose()
        return found.guild_id if found else None

    assert asyncio.run(owner()) == GUILD_A


@pytest.mark.parametrize(
    ("host", "needed"),
    [
        ("127.0.0.1", "LISTENER_HOST=0.0.0.0 and LISTENER_PUBLIC_URL"),
        ("0.0.0.0", "LISTENER_PUBLIC_URL"),
    ],
)
def test_apikey_create_says_when_members_cannot_reach_the_url(
    env: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    needed: str,
) -> None:
    monkeypatch.delenv("LISTENER_PUBLIC_URL")
    monkeypatch.setenv("LISTENER_HOST", host)
    code, out, _ = run(capsys, "apikey", "create", "--guild", str(GUILD_A))
    assert code == 0
    assert f"URL: http://{host}:8085/" in out
    assert f"Warning: Members cannot reach http://{host}:8085/:" in out
    assert f"The bot's operator must set {needed} (" in out


def test_rollups_rebuild(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Rollups lost are rebuilt from the events; once events were pruned, only when forced."""
    day = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    everything = period_for("all", day, [])

    async def bounties() -> list[int]:
        db = Database(env)
        try:
            async with summaries.reading(db, GUILD_A) as session:
                rows = await summaries.leaderboard(session, everything, None)
        finally:
            await db.dispose()
        return [row.bounty_vouchers for row in rows]

    async def change(*statements: Any) -> None:
        db = Database(env)
        try:
            async with db.tenant_write(GUILD_A) as session:
                for statement in statements:
                    await session.execute(statement)
        finally:
            await db.dispose()

    async def seed() -> None:
        db = Database(env)
        try:
            await store(db, GUILD_A, bounty(day, ADF, 100), bounty(day + timedelta(days=3), ADF, 5))
            await rollups.fold(db)
        finally:
            await db.dispose()

    asyncio.run(seed())
    asyncio.run(change(delete(models.EventRollup)))
    assert asyncio.run(bounties()) == []
    code, out, err = run(capsys, "rollups", "rebuild", "--guild", str(GUILD_A))
    assert (code, out.strip(), err) == (
        0,
        f"guild {GUILD_A}: rollups rebuilt from 2 events and 0 tallies",
        "",
    )
    assert asyncio.run(bounties()) == [105]

    asyncio.run(
        change(delete(models.Event).where(models.Event.timestamp < day + timedelta(days=1)))
    )
    code, _, err = run(capsys, "rollups", "rebuild", "--guild", str(GUILD_A))
    assert code == 2
    assert "older than the raw events still stored (since 2026-11-23)" in err
    assert "--force" in err
    assert asyncio.run(bounties()) == [105]  # nothing lost
    code, _, _ = run(capsys, "rollups", "rebuild", "--guild", str(GUILD_A), "--force")
    assert code == 0
    assert asyncio.run(bounties()) == [5]
