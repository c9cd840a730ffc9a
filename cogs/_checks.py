"""Who may do what, declared in one place.

Every command runs in a configured guild (the tree's interaction check resolves the tenant).
Officer commands need Manage Server or one of the guild's officer roles: `officer_only()` adds
the runtime check, and on a top-level command `officer_command()` also declares
`default_permissions(manage_guild=True)` so Discord hides it from members. Discord gates only
whole top-level commands, so subcommands of mixed groups rely on the runtime check alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

from bgs import tenants
from cogs._errors import NotConfigured, NotOfficer
from db.models import Guild

if TYPE_CHECKING:
    from bot import WardenBot

T = TypeVar("T")

log = logging.getLogger(__name__)

TENANT = "tenant"


def warden(interaction: discord.Interaction) -> WardenBot:
    """The bot that received the interaction, typed."""
    return cast("WardenBot", interaction.client)


async def resolve_tenant(interaction: discord.Interaction) -> bool:
    """The tree's interaction check: load (or, when open, register) the guild's tenant row."""
    if interaction.guild_id is None:
        raise NotConfigured("BGS Warden's commands work inside a server, not in direct messages.")
    bot = warden(interaction)
    db = bot.services.db
    async with db.tenant(interaction.guild_id) as session:
        guild = await tenants.get_guild(session)
    if guild is None or guild.left_at is not None:
        if not bot.services.tenants.open_registration:
            raise NotConfigured(
                "This server is not configured for BGS Warden. Ask the bot's operator to add "
                f"server id `{interaction.guild_id}` to tenants.json (or to open registration)."
            )
        name = interaction.guild.name if interaction.guild else str(interaction.guild_id)
        guild = await tenants.register(db, interaction.guild_id, name)
    interaction.extras[TENANT] = guild
    return True


def tenant_of(interaction: discord.Interaction) -> Guild:
    """The guild row the interaction check loaded."""
    guild: Guild = interaction.extras[TENANT]
    return guild


def is_officer(interaction: discord.Interaction, guild: Guild) -> bool:
    if interaction.permissions.manage_guild:
        return True
    member = interaction.user
    role_ids = {role.id for role in member.roles} if isinstance(member, discord.Member) else set()
    return bool(role_ids & set(tenants.officer_role_ids(guild)))


async def _require_officer(interaction: discord.Interaction) -> bool:
    guild = tenant_of(interaction)
    if is_officer(interaction, guild):
        return True
    roles = ", ".join(f"<@&{role_id}>" for role_id in tenants.officer_role_ids(guild))
    needed = f"Manage Server or one of these roles: {roles}" if roles else "Manage Server"
    raise NotOfficer(f"This command is for officers: you need {needed}.")


def audit(interaction: discord.Interaction, what: str) -> None:
    """Log a change someone made from Discord: guild, who, what."""
    log.info(
        "guild %s: %s (%s) %s", interaction.guild_id, interaction.user, interaction.user.id, what
    )


def officer_only() -> Callable[[T], T]:
    """The runtime officer check (for subcommands of groups that members also use)."""
    return app_commands.check(_require_officer)


def officer_command() -> Callable[[T], T]:
    """A top-level officer command: hidden from members by Discord and checked at run time."""
    check = app_commands.check(_require_officer)
    hide = app_commands.default_permissions(manage_guild=True)

    def decorate(command: Any) -> Any:
        return hide(check(command))

    return decorate
