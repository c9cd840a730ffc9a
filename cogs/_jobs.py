"""What scheduled and event-driven posts share: the guilds this process serves, one guild's
failure kept from the others, and delivery through the post ledger with its outcome."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

import discord

from bgs import ledger, tenants
from cogs._posting import post_once
from db.models import Guild

if TYPE_CHECKING:
    from bot import WardenBot

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What `deliver` did."""

    POSTED = "posted"
    EXISTS = "exists"  # posted before, or another process is sending it right now
    FAILED = "failed"  # the send failed; the claim is freed, so a later run may retry
    NO_CHANNEL = "no channel"

    @property
    def done(self) -> bool:
        """Nothing is left to retry."""
        return self is not Outcome.FAILED


async def served_tenants(bot: WardenBot) -> list[Guild]:
    """The configured tenants (guild row present, not left) among the guilds of this process's
    shards: a job acts only for these."""
    served = []
    for discord_guild in bot.guilds:
        async with bot.services.db.tenant(discord_guild.id) as session:
            guild = await tenants.get_guild(session)
        if guild is not None and guild.left_at is None:
            served.append(guild)
    return served


async def for_each_tenant(
    bot: WardenBot, job: str, action: Callable[[Guild], Awaitable[None]]
) -> None:
    """Run `action` for every served tenant; one guild's failure is logged, the others go on."""
    for guild in await served_tenants(bot):
        try:
            await action(guild)
        except Exception:
            log.exception("%s failed for guild %s", job, guild.guild_id)


async def posted(bot: WardenBot, guild_id: int, kind: str, key: str) -> bool:
    """Whether (kind, key) is already posted in the guild (checked before building a post)."""
    entry = await ledger.find(bot.services.db, guild_id, kind, key)
    return entry is not None and entry.posted


async def deliver(
    bot: WardenBot,
    guild_id: int,
    kind: str,
    key: str,
    channel_id: int | None,
    embeds: Sequence[discord.Embed],
) -> Outcome:
    """`post_once`, telling a failed send (to retry) from a post that exists already."""
    if await post_once(bot, guild_id, kind, key, channel_id, embeds) is not None:
        return Outcome.POSTED
    if channel_id is None:
        return Outcome.NO_CHANNEL
    entry = await ledger.find(bot.services.db, guild_id, kind, key)
    return Outcome.FAILED if entry is None else Outcome.EXISTS
