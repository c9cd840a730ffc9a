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
