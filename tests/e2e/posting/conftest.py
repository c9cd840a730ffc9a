"""Fixtures of the tests of automatic posts: the squadron is a bot whose tick monitor asks the
loopback fake tick source, with a channel for every kind of post and its scheduler paused (jobs
run only when a test calls them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.fake_discord import FakeDiscord, FakeGuild
from tests.fakes.tick_source import FakeTickSource
from tests.helpers.squadron import Squadron, running_warden


@pytest.fixture(name="squadron")
async def posting_squadron(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path, ticks: FakeTickSource
) -> AsyncIterator[Squadron]:
    """Replaces the e2e `squadron` in these tests: `running_warden` with every channel set."""
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as running:
        yield running


@pytest.fixture
def beta(fake: FakeDiscord, guild: FakeGuild) -> FakeGuild:
    """A second guild on the fake Discord, with the same channels as the test guild."""
    return fake.add_guild(
        guild.id + (7 << 22),
        "Beta Wing",
        channels=["general", "bgs-tick", "bgs-summary", "bgs-conflict", "bgs-alerts"],
        roles=["Officer", "Pilot"],
    )


@pytest.fixture
async def two_squadrons(
    fake: FakeDiscord,
    guild: FakeGuild,
    beta: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> AsyncIterator[tuple[Squadron, Squadron]]:
    """One bot serving two guilds (the test guild and `beta`), each with every channel set."""
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks, beta) as alpha:
        yield alpha, Squadron(fake, beta, alpha.bot)
