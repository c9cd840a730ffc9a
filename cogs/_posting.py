"""Automatic posts through the post ledger: each (guild, kind, key) is posted once, even across
restarts and several processes; a failed send frees its claim so the next run retries; alert
messages are edited in place."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence

import discord

from bgs import ledger
from cogs._bot import Warden
from cogs._outbox import Outcome
from cogs._ui import channel_messages

log = logging.getLogger(__name__)

# One lock per message being edited, so two updates of the same alert never race; a lock lives
# only while someone holds or waits for it.
_edit_locks: weakref.WeakValueDictionary[tuple[int, str, str], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def _channel(bot: Warden, channel_id: int) -> discord.TextChannel | discord.Thread | None:
    """Where to post: the channel of a guild this process's shards hold (None when it was
    deleted). Posts for a guild are made by the process holding its shard (see the outbox)."""
    channel = bot.get_channel(channel_id)
    return channel if isinstance(channel, discord.TextChannel | discord.Thread) else None


async def post_once(
    bot: Warden,
    guild_id: int,
    kind: str,
    key: str,
    channel_id: int | None,
    embeds: Sequence[discord.Embed],
) -> int | None:
    """Post `embeds` as (kind, key) unless already posted; the first message's id, or None.

    Long posts are split over several messages; the ledger remembers the first.
    """
    if channel_id is None:
        log.info("guild %s: no channel for %s posts; %r skipped", guild_id, kind, key)
        return None
    db = bot.services.db
    claim = await ledger.claim(db, guild_id, kind, key, channel_id)
    if claim is None:
        return None
    channel = _channel(bot, channel_id)
    first: int | None = None
    try:
        if channel is None:
            raise LookupError(f"channel {channel_id} is unknown to the bot")
        for group in channel_messages(embeds):
            message = await channel.send(embeds=group)
            first = first or message.id
    except (discord.HTTPException, LookupError) as exc:
        if first is None:
            await ledger.release(db, claim)
            log.warning(
                "guild %s: could not post %s %r in channel %s (%s); will retry",
                guild_id,
                kind,
                key,
                channel_id,
                exc,
            )
            return None
        log.warning("guild %s: %s %r posted only in part (%s)", guild_id, kind, key, exc)
    assert first is not None
    await ledger.record(db, claim, first)
    log.info("guild %s: posted %s %r in channel %s", guild_id, kind, key, channel_id)
    return first


async def post_or_edit(
    bot: Warden,
    guild_id: int,
    kind: str,
    key: str,
    channel_id: int | None,
    embed: discord.Embed,
) -> Outcome:
    """One message per (kind, key): posted the first time, edited in place afterwards."""
    lock = _edit_locks.get((guild_id, kind, key))
    if lock is None:
        lock = _edit_locks[(guild_id, kind, key)] = asyncio.Lock()
    async with lock:
        entry = await ledger.find(bot.services.db, guild_id, kind, key)
        if entry is None or not entry.posted:
            return await deliver(bot, guild_id, kind, key, channel_id, [embed])
        assert entry.channel_id is not None and entry.message_id is not None
        channel = _channel(bot, entry.channel_id)
        if channel is None:
            log.warning("guild %s: channel of %s %r is gone; not edited", guild_id, kind, key)
            return Outcome.NO_CHANNEL
        try:
            await channel.get_partial_message(entry.message_id).edit(embed=embed)
        except discord.HTTPException as exc:
            log.warning("guild %s: could not edit %s %r (%s)", guild_id, kind, key, exc)
            return Outcome.FAILED
        return Outcome.POSTED


async def deliver(
    bot: Warden,
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
