"""End-to-end fixtures: the real bot (unmodified discord.py) against the loopback fake Discord,
with the listener on a free port and a temporary SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.fake_discord import FakeDiscord, FakeGuild
from tests.fakes.tick_source import FakeTickSource
from tests.helpers.plugin import PluginClient, create_api_key, settings_for
from tests.helpers.squadron import GUILD, Squadron, tenants_for
from warden.discord_bot import build_bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
        assert server.unhandled == [], "the bot called routes the fake does not know"


@pytest.fixture
def guild(fake: FakeDiscord) -> FakeGuild:
    return fake.add_guild(
        GUILD,
        "Alpha Wing",
        channels=["general", "bgs-tick", "bgs-summary", "bgs-conflict", "bgs-alerts"],
        roles=["Officer", "Pilot"],
    )


@pytest.fixture
async def squadron(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> AsyncIterator[Squadron]:
    settings = settings_for(sqlite_url, tmp_path, discord_token="fake-bot-token")
    bot = build_bot(settings, tenants_for(guild), guild_ready_timeout=0.05)
    async with fake.run_bot(bot):
        yield Squadron(fake, guild, bot)


@pytest.fixture
async def plugin_for(squadron: Squadron) -> AsyncIterator[PluginClient]:
    """A plugin-shaped client with a key of the squadron's guild."""
    key = await create_api_key(squadron.bot.services, squadron.guild.id)
    async with aiohttp.ClientSession() as http:
        yield PluginClient(http, squadron.bot.services.listener.url, key)


@pytest.fixture(name="ticks")
async def tick_sources() -> AsyncIterator[FakeTickSource]:
    """The loopback tick sources a posting squadron's monitor asks."""
    async with FakeTickSource() as source:
        yield source
