"""End-to-end fixtures: the real bot (unmodified discord.py) against the loopback fake Discord,
with the listener on a free port and a temporary SQLite database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import WardenBot, build_bot
from settings import ChannelKind, TenantConfig, TenantsFile
from tests.conftest import PluginClient, create_api_key, settings_for
from tests.fakes.fake_discord import MANAGE_GUILD, FakeDiscord, FakeGuild, InteractionRecord

GUILD = 1_100_000_000_000 << 22
FACTION = "Alpha Defence Force"


@dataclass
class Squadron:
    """The test guild as the tests use it: who is who, and shortcuts to invoke commands."""

    fake: FakeDiscord
    guild: FakeGuild
    bot: WardenBot

    @property
    def officer_role(self) -> int:
        return self.guild.role("Officer").id

    async def member(self, path: str, options: dict[str, Any] | None = None) -> InteractionRecord:
        """A plain member runs a command and the test waits for the reply."""
        record = await self.fake.invoke(path, options, guild_id=self.guild.id)
        await record.wait_reply()
        return record

    async def officer(self, path: str, options: dict[str, Any] | None = None) -> InteractionRecord:
        """A member with the configured officer role (no Manage Server) runs a command."""
        record = await self.fake.invoke(
            path, options, guild_id=self.guild.id, roles=[self.officer_role]
        )
        await record.wait_reply()
        return record

    async def admin(self, path: str, options: dict[str, Any] | None = None) -> InteractionRecord:
        """A member with Manage Server runs a command."""
        record = await self.fake.invoke(
            path, options, guild_id=self.guild.id, permissions=MANAGE_GUILD
        )
        await record.wait_reply()
        return record

    def channel(self, name: str) -> int:
        return self.guild.channel(name).id


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait until `check()` is true (for effects of gateway events the bot handles in tasks)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {within} s: {check.__name__}")
        await asyncio.sleep(0.01)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
        assert server.unhandled == [], "the bot called routes the fake does not know"


def tenants_for(guild: FakeGuild, **overrides: Any) -> TenantsFile:
    tenant = TenantConfig(
        guild_id=guild.id,
        name=guild.name,
        faction=FACTION,
        channels={ChannelKind.TICK: guild.channel("bgs-tick").id},
        officer_roles=(guild.role("Officer").id,),
    )
    return TenantsFile(tenants=(tenant,), **overrides)


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
