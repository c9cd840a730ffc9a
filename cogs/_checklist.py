"""The setup checklist (`bgs.checklist`) as Discord shows it: the checks only Discord can answer
(can the bot post in each configured channel, and in the server's system channel) and the lines
as text."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bgs import tenants
from bgs.checklist import ChannelAccess, Check, Setup, checklist
from cogs._bot import Warden
from cogs._channels import missing_permissions
from cogs._ui import embed, plain, ts
from db.models import Tenant
from settings import ChannelKind

MARKS = {True: "✅", False: "❌", None: "❔"}
WELCOME_TITLE = "👋 BGS Warden: setup checklist"


def channel_access(guild: discord.Guild, tenant: Tenant) -> dict[int, ChannelAccess]:
    """What Discord says about each channel the guild's settings name."""
    access = {}
    for kind in ChannelKind:
        channel_id = tenants.channel_of(tenant, kind)
        if channel_id is None:
            continue
        channel = guild.get_channel(channel_id)
        access[channel_id] = (
            ChannelAccess(exists=False)
            if channel is None
            else ChannelAccess(True, tuple(missing_permissions(channel, guild.me)))
        )
    return access


def system_channel(guild: discord.Guild) -> discord.TextChannel | None:
    """The server's system channel, if the bot may post the checklist there."""
    channel = guild.system_channel
    if channel is None or missing_permissions(channel, guild.me):
        return None
    return channel


async def guild_checklist(bot: Warden, guild: discord.Guild | None, tenant: Tenant) -> list[Check]:
    """The checklist of a guild (its channels checked when the guild is in the cache)."""
    setup = Setup(
        db=bot.services.db,
        tenant=tenant,
        listener=bot.services.listener_address,
        now=datetime.now(UTC),
        channels=channel_access(guild, tenant) if guild is not None else {},
        eddn_enabled=bot.services.settings.eddn_enabled,
    )
    return await checklist(setup)


def checklist_line(check: Check) -> str:
    """'✅ **Faction:** Alpha Defence Force' — an outside name as written, times local."""
    text = check.text.format(
        name=plain(check.name) if check.name is not None else "",
        at=ts(check.at, "R") if check.at is not None else "",
    )
    return f"{MARKS[check.ok]} **{check.label}:** {text}"


def checklist_text(checks: list[Check]) -> str:
    return "\n".join(checklist_line(check) for check in checks)


def welcome_embed(checks: list[Check]) -> discord.Embed:
    """The checklist as the bot shows it once when it joins or registers a server."""
    missing = sum(1 for check in checks if check.ok is False)
    summary = (
        "Everything is set up."
        if not missing
        else f"{missing} thing(s) to set up; each ❌ line names the command that fixes it."
    )
    intro = (
        "BGS Warden collects your squadron's BGS-Tally data and posts the tick, summaries, "
        f"conflicts and protected-faction alerts. {summary}"
    )
    return embed(
        WELCOME_TITLE,
        f"{intro}\n\n{checklist_text(checks)}",
        footer="/status shows this list at any time; /help lists the commands.",
    )
