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
from bgs.skips import Destination, SkipReason, skip_text, tell_once
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


async def skipped(
    bot: Warden,
    guild_id: int,
    kind: str,
    key: str,
    destination: Destination,
    reason: SkipReason,
) -> None:
    """Log a skipped post with the command that fixes it; the first skip of its kind and reason
    also tells the guild (a notice /status shows). Repeats in this process log quietly."""
    text = skip_text(kind, destination, reason)
    told = (guild_id, kind, reason)
    first = told not in bot.skips_told
    if first and destination.setting is not None:
        await tell_once(bot.services.db, guild_id, kind, reason, text)
    bot.skips_told.add(told)
    level = logging.INFO if reason is SkipReason.NO_CHANNEL else logging.WARNING
    if not first and reason is SkipReason.NO_CHANNEL:
        level = logging.DEBUG
    log.log(level, "guild %s: %s %r skipped: %s", guild_id, kind, key, text)


def _failure(exc: Exception) -> SkipReason | None:
    """Why a send failed, when an officer can fix it (None: try again later)."""
    if isinstance(exc, discord.Forbidden):
        return SkipReason.NO_ACCESS
    if isinstance(exc, discord.NotFound | LookupError):
        return SkipReason.GONE
    return None


async def post_once(
    bot: Warden,
    guild_id: int,
    kind: str,
    key: str,
    destination: Destination,
    embeds: Sequence[discord.Embed],
) -> int | None:
    """Post `embeds` as (kind, key) unless already posted; the first message's id, or None.

    Long posts are split over several messages; the ledger remembers the first.
    """
    channel_id = destination.channel_id
    if channel_id is None:
        await skipped(bot, guild_id, kind, key, destination, SkipReason.NO_CHANNEL)
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
            reason = _failure(exc)
            if reason is not None:
                await skipped(bot, guild_id, kind, key, destination, reason)
            else:
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
    destination: Destination,
    embed: discord.Embed,
) -> Outcome:
    """One message per (kind, key): posted the first time, edited in place afterwards."""
    lock = _edit_locks.get((guild_id, kind, key))
    if lock is None:
        lock = _edit_locks[(guild_id, kind, key)] = asyncio.Lock()
    async with lock:
        entry = await ledger.find(bot.services.db, guild_id, kind, key)
        if entry is None or not entry.posted:
            return await deliver(bot, guild_id, kind, key, destination, [embed])
        assert entry.channel_id is not None and entry.message_id is not None
        channel = _channel(bot, entry.channel_id)
        try:
            if channel is None:
                raise LookupError(f"channel {entry.channel_id} is unknown to the bot")
            await channel.get_partial_message(entry.message_id).edit(embed=embed)
        except (discord.HTTPException, LookupError) as exc:
            if isinstance(exc, discord.NotFound):  # the message, deleted by someone
                log.warning("guild %s: %s %r was deleted; not edited", guild_id, kind, key)
                return Outcome.NO_CHANNEL
            reason = _failure(exc)
            if reason is None:
                log.warning("guild %s: could not edit %s %r (%s)", guild_id, kind, key, exc)
            else:
                posted_in = Destination(
                    entry.channel_id, destination.setting, destination.protected
                )
                await skipped(bot, guild_id, kind, key, posted_in, reason)
            return Outcome.FAILED
        return Outcome.POSTED


async def deliver(
    bot: Warden,
    guild_id: int,
    kind: str,
    key: str,
    destination: Destination,
    embeds: Sequence[discord.Embed],
) -> Outcome:
    """`post_once`, telling a failed send (to retry) from a post that exists already."""
    if await post_once(bot, guild_id, kind, key, destination, embeds) is not None:
        return Outcome.POSTED
    if destination.channel_id is None:
        return Outcome.NO_CHANNEL
    entry = await ledger.find(bot.services.db, guild_id, kind, key)
    return Outcome.FAILED if entry is None else Outcome.EXISTS
