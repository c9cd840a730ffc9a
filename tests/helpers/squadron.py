"""The test squadron as end-to-end tests use it: the guild, who is who, shortcuts to run commands
through the fake Discord, and small readers of what the bot posted and stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import select

from bgs import tenants
from cogs.announcements import Announcements
from cogs.ticks import Ticks
from db.models import OutboxEntry, PostLedger
from settings import ChannelKind, TenantConfig, TenantsFile
from tests.fakes.fake_discord import (
    MANAGE_GUILD,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    InteractionRecord,
)
from tests.fakes.tick_source import FALLBACK_PATH, PRIMARY_PATH, FakeTickSource
from tests.helpers.plugin import settings_for
from warden.discord_bot import WardenBot, build_bot

T = TypeVar("T")

DENIED = "This command is for officers: you need Manage Server or one of these roles: <@&{}>."

GUILD = 1_100_000_000_000 << 22
FACTION = "Alpha Defence Force"
# The setup checklist's lines of the channel kinds without a channel.
UNSET_CHANNELS = [
    "❌ **Tick channel:** not set, so new-tick posts are skipped: `/config channel kind:tick`",
    "❌ **Summary channel:** not set, so the post-tick, daily and CZ summaries are skipped: "
    "`/config channel kind:summary`",
    "❌ **Conflict channel:** not set, so our faction's conflict changes and digest are "
    "skipped: `/config channel kind:conflict`",
    "❌ **Alerts channel:** not set, so alerts on protected factions without a channel of "
    "their own are skipped: `/config channel kind:alerts`",
    "❔ **Recruits channel:** not set (optional), so the weekly recruits list is not posted: "
    "`/config channel kind:recruits`",
]


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

    async def user(
        self, user_id: int, path: str, options: dict[str, Any] | None = None
    ) -> InteractionRecord:
        """A plain member with this user id runs a command (a member of the fake guild shows
        their nick as their server name)."""
        record = await self.fake.invoke(path, options, guild_id=self.guild.id, user_id=user_id)
        await record.wait_reply()
        return record

    def add_member(self, user_id: int, name: str, nick: str | None = None) -> None:
        """A member of the guild (`nick`: their server name)."""
        self.guild.members[user_id] = FakeMember(FakeUser(user_id, name), nick=nick)

    def channel(self, name: str) -> int:
        return self.guild.channel(name).id


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait until `check()` is true (for effects of gateway events the bot handles in tasks)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {within} s: {check.__name__}")
        await asyncio.sleep(0.01)


async def every_page(squadron: Squadron, record: InteractionRecord) -> str:
    """The text of every page of a paged reply, turning the pages as the member would."""
    message = record.reply
    assert message is not None
    texts = [message.text()]
    while (button := message.find_component("page:next")) is not None and not button.get(
        "disabled"
    ):
        turned = await squadron.fake.press_button(message, "page:next")
        message = await turned.wait_reply()
        texts.append(message.text())
    return "\n".join(texts)


async def after_listeners(bot: WardenBot, event: str, action: Awaitable[T]) -> T:
    """Do `action` (which makes the bot dispatch `event`), then wait until the bot's listeners
    of the event (discord.py runs each in a task of its own) and the background work they
    started have finished."""
    dispatched = asyncio.ensure_future(bot.wait_for(event, timeout=5))
    result = await action
    await dispatched  # the listeners' tasks exist from here on

    async def finished() -> bool:
        name = f"discord.py: on_{event}"
        return not any(task.get_name() == name for task in asyncio.all_tasks())

    await eventually(finished)
    await bot.services.wait_background()
    return result


def status_marks(record: InteractionRecord) -> dict[str, str]:
    """The setup checklist of a /status reply: each line's mark (✅ ❌ ❔) by its label."""
    assert record.reply is not None
    marks = {}
    for line in str(record.reply.embeds[0]["description"]).split("\n")[1:]:
        mark, label = line.split(" **", 1)
        marks[label.split(":**", 1)[0]] = mark
    return marks


def tenants_for(guild: FakeGuild, **overrides: Any) -> TenantsFile:
    tenant = TenantConfig(
        guild_id=guild.id,
        name=guild.name,
        faction=FACTION,
        channels={ChannelKind.TICK: guild.channel("bgs-tick").id},
        officer_roles=(guild.role("Officer").id,),
    )
    return TenantsFile(tenants=(tenant,), **overrides)


CHANNELS = {
    ChannelKind.TICK: "bgs-tick",
    ChannelKind.SUMMARY: "bgs-summary",
    ChannelKind.CONFLICT: "bgs-conflict",
    ChannelKind.ALERTS: "bgs-alerts",
}


def every_channel(*guilds: FakeGuild) -> TenantsFile:
    """The test guilds, each with a channel for every kind of post."""
    return TenantsFile(
        tenants=tuple(
            TenantConfig(
                guild_id=guild.id,
                name=guild.name,
                faction=FACTION,
                channels={kind: guild.channel(name).id for kind, name in CHANNELS.items()},
                officer_roles=(guild.role("Officer").id,),
            )
            for guild in guilds
        )
    )


@asynccontextmanager
async def running_warden(
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
    *others: FakeGuild,
    **settings: Any,
) -> AsyncIterator[Squadron]:
    """A bot on `sqlite_url` whose tick sources are `ticks`, serving `guild` and `others`; a
    second call on the same database is a second bot process."""
    values = {
        "discord_token": "fake-bot-token",
        "tick_primary_url": ticks.url(ticks.primary, PRIMARY_PATH),
        "tick_fallback_url": ticks.url(ticks.fallback, FALLBACK_PATH),
        "tick_http_timeout": 0.5,
    }
    bot = build_bot(
        settings_for(sqlite_url, tmp_path, **(values | settings)),
        every_channel(guild, *others),
        guild_ready_timeout=0.05,
    )
    async with fake.run_bot(bot):
        bot.services.scheduler.pause()
        yield Squadron(fake, guild, bot)


async def outbox_rows(squadron: Squadron) -> list[OutboxEntry]:
    """The guild's outbox entries still to send."""
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        return list((await session.execute(select(OutboxEntry).order_by(OutboxEntry.id))).scalars())


async def settle(bot: WardenBot) -> None:
    """Wait until the background work of what was stored is done and its alerts are sent."""
    await bot.services.wait_background()
    await bot.outbox.drain()


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


async def notices(squadron: Squadron) -> list[str]:
    """The guild's notices (what /status shows), oldest first."""
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        return [notice.text for notice in reversed(await tenants.recent_notices(session, 50))]


async def set_channel(squadron: Squadron, kind: ChannelKind, channel_id: int | None) -> None:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        guild = await tenants.get_tenant(session)
        assert guild is not None
        tenants.set_channel(guild, kind, channel_id)


async def update_guild(squadron: Squadron, **values: Any) -> None:
    """Change guild settings directly (as `/config` would)."""
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        guild = await tenants.get_tenant(session)
        assert guild is not None
        for name, value in values.items():
            setattr(guild, name, value)


def in_tick(event: dict[str, Any], tickid: str, ticktime: datetime) -> dict[str, Any]:
    """A plugin event moved to another tick."""
    return event | {"tickid": tickid, "ticktime": ticktime.strftime("%Y-%m-%dT%H:%M:%SZ")}
