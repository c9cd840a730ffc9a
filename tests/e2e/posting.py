"""Shared by the tick, announcement and conflict end-to-end tests: a bot whose tick monitor
asks the loopback fake tick source, with a channel for every kind of post and its scheduler
paused (jobs run only when a test calls them), plus small readers of posts and ledger rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select

from bgs import tenants
from bot import WardenBot, build_bot
from cogs.announcements import Announcements
from cogs.ticks import Ticks
from db.models import PostLedger
from settings import ChannelKind, TenantConfig, TenantsFile
from tests.conftest import settings_for
from tests.e2e.conftest import FACTION, Squadron
from tests.fakes.fake_discord import FakeDiscord, FakeGuild, FakeMessage
from tests.fakes.tick_source import FALLBACK_PATH, PRIMARY_PATH, FakeTickSource

CHANNELS = {
    ChannelKind.TICK: "bgs-tick",
    ChannelKind.SUMMARY: "bgs-summary",
    ChannelKind.CONFLICT: "bgs-conflict",
    ChannelKind.ALERTS: "bgs-alerts",
}


def every_channel(guild: FakeGuild) -> TenantsFile:
    """The test guild with a channel for every kind of post."""
    tenant = TenantConfig(
        guild_id=guild.id,
        name=guild.name,
        faction=FACTION,
        channels={kind: guild.channel(name).id for kind, name in CHANNELS.items()},
        officer_roles=(guild.role("Officer").id,),
    )
    return TenantsFile(tenants=(tenant,))


@asynccontextmanager
async def running_warden(
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
    **settings: Any,
) -> AsyncIterator[Squadron]:
    """A bot on `sqlite_url` whose tick sources are `ticks`; a second call on the same database
    is a second bot process."""
    values = {
        "discord_token": "fake-bot-token",
        "tick_primary_url": ticks.url(ticks.primary, PRIMARY_PATH),
        "tick_fallback_url": ticks.url(ticks.fallback, FALLBACK_PATH),
        "tick_http_timeout": 0.5,
    }
    bot = build_bot(
        settings_for(sqlite_url, tmp_path, **(values | settings)),
        every_channel(guild),
        guild_ready_timeout=0.05,
    )
    async with fake.run_bot(bot):
        bot.services.scheduler.pause()
        yield Squadron(fake, guild, bot)


@pytest.fixture(name="ticks")
async def tick_sources() -> AsyncIterator[FakeTickSource]:
    """The loopback tick sources the posting squadron's monitor asks."""
    async with FakeTickSource() as source:
        yield source


@pytest.fixture(name="squadron")
async def posting_squadron(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path, ticks: FakeTickSource
) -> AsyncIterator[Squadron]:
    """Replaces conftest's `squadron` in the modules that import it: `running_warden`."""
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as running:
        yield running


def announcements(bot: WardenBot) -> Announcements:
    """The bot's Announcements cog (an extension is loaded as a fresh module: found by name)."""
    cog = bot.get_cog("Announcements")
    assert cog is not None
    return cast("Announcements", cog)


def ticks_of(bot: WardenBot) -> Ticks:
    cog = bot.get_cog("Ticks")
    assert cog is not None
    return cast("Ticks", cog)


def posts(squadron: Squadron, channel: str) -> list[FakeMessage]:
    """The bot's own posts in a channel of the test guild, oldest first."""
    return squadron.fake.channel_messages(squadron.channel(channel))


def titles(squadron: Squadron, channel: str) -> list[str]:
    """The first embed title of each post in a channel."""
    return [message.embeds[0]["title"] for message in posts(squadron, channel)]


async def ledger_rows(squadron: Squadron, kind: str) -> list[tuple[str, int | None, bool]]:
    """(key, channel, has a message id) of the guild's ledger rows of a kind, by key."""
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        rows = await session.execute(
            select(PostLedger.key, PostLedger.channel_id, PostLedger.message_id)
            .where(PostLedger.kind == kind)
            .order_by(PostLedger.key)
        )
        return [(key, channel, message is not None) for key, channel, message in rows]


async def set_channel(squadron: Squadron, kind: ChannelKind, channel_id: int | None) -> None:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        guild = await tenants.get_guild(session)
        assert guild is not None
        tenants.set_channel(guild, kind, channel_id)


async def update_guild(squadron: Squadron, **values: Any) -> None:
    """Change guild settings directly (as `/config` would)."""
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        guild = await tenants.get_guild(session)
        assert guild is not None
        for name, value in values.items():
            setattr(guild, name, value)


def in_tick(event: dict[str, Any], tickid: str, ticktime: datetime) -> dict[str, Any]:
    """A plugin event moved to another tick."""
    return event | {"tickid": tickid, "ticktime": ticktime.strftime("%Y-%m-%dT%H:%M:%SZ")}
