"""Whether the bot can post in a channel: the permissions its posts need."""

from __future__ import annotations

import discord

NEEDED_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "attach_files")


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    """The permissions the bot lacks to post embeds and charts in `channel`."""
    granted = channel.permissions_for(me)
    return [
        name.replace("_", " ").title() for name in NEEDED_PERMISSIONS if not getattr(granted, name)
    ]


def channel_problem(guild: discord.Guild | None, channel_id: int) -> str | None:
    """Why the bot cannot post in a configured channel, or None when it can."""
    channel = guild.get_channel(channel_id) if guild else None
    if guild is None or channel is None:
        return "the channel no longer exists"
    missing = missing_permissions(channel, guild.me)
    return f"missing {', '.join(missing)}" if missing else None
