"""Who may do what, declared in one place.

Every command runs in a configured guild: the tree's interaction check (`resolve_tenant`) loads
the tenant, or registers it when registration is open. Officer commands need Manage Server or one
of the guild's officer roles. A command or group is marked officer-only by `officer_only` (data
on the command: `extras`), and that one mark is read three times: by the interaction check,
which refuses members; by `/help`, which lists the command under officers; and before the
commands are published, by `hide_officer_commands`, which gives every top-level command that is
officer-only throughout `default_permissions(manage_guild=True)`, so Discord hides it from
members. Discord gates only whole top-level commands, so officer subcommands of groups members
also use stay visible and are refused at run time.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, cast

import discord
from discord import app_commands

from bgs import tenants
from cogs._bot import Warden
from cogs._errors import NotConfigured, NotOfficer
from db.models import Tenant

log = logging.getLogger(__name__)

TENANT = "tenant"
# The event dispatched when the bot joins or registers a configured guild (with the guild):
# listeners receive it as `on_tenant_joined(guild)`.
TENANT_JOINED = "tenant_joined"
OFFICER = "officer"  # the extras key of an officer-only command or group

AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.Group
C = TypeVar("C", bound=AnyCommand)


def warden(interaction: discord.Interaction) -> Warden:
    """The bot that received the interaction, typed."""
    return cast(Warden, interaction.client)


def officer_only(command: C) -> C:
    """Mark a command or a whole group as officers' (put it above the command's decorator)."""
    command.extras[OFFICER] = True
    return command


def is_officer_command(command: AnyCommand | app_commands.ContextMenu | None) -> bool:
    """Whether a command, or a group it belongs to, is marked officer-only."""
    while command is not None:
        if command.extras.get(OFFICER):
            return True
        command = command.parent if not isinstance(command, app_commands.ContextMenu) else None
    return False


def hide_officer_commands(tree: app_commands.CommandTree[Any]) -> None:
    """Let Discord hide from members every top-level command that is officer-only throughout."""
    for command in tree.get_commands():
        if isinstance(command, app_commands.ContextMenu):
            continue
        leaves = (
            [c for c in command.walk_commands() if isinstance(c, app_commands.Command)]
            if isinstance(command, app_commands.Group)
            else [command]
        )
        if leaves and all(is_officer_command(leaf) for leaf in leaves):
            command.default_permissions = discord.Permissions(manage_guild=True)


async def resolve_tenant(interaction: discord.Interaction) -> bool:
    """The tree's interaction check: load (or, when open, register) the guild's tenant, then
    refuse officer commands to members."""
    if interaction.guild_id is None:
        raise NotConfigured("BGS Warden's commands work inside a server, not in direct messages.")
    bot = warden(interaction)
    db = bot.services.db
    async with db.tenant(interaction.guild_id) as session:
        tenant = await tenants.get_tenant(session)
    if tenant is None or tenant.left_at is not None:
        if not bot.services.tenants.open_registration:
            raise NotConfigured(
                "This server is not configured for BGS Warden. Ask the bot's operator to add "
                f"server id `{interaction.guild_id}` to tenants.json (or to open registration)."
            )
        name = interaction.guild.name if interaction.guild else str(interaction.guild_id)
        tenant = await tenants.register(db, interaction.guild_id, name)
        if interaction.guild is not None:
            bot.dispatch(TENANT_JOINED, interaction.guild)
    interaction.extras[TENANT] = tenant
    if (
        interaction.type is discord.InteractionType.application_command
        and is_officer_command(interaction.command)
        and not is_officer(interaction, tenant)
    ):
        roles = ", ".join(f"<@&{role_id}>" for role_id in tenants.officer_role_ids(tenant))
        needed = f"Manage Server or one of these roles: {roles}" if roles else "Manage Server"
        raise NotOfficer(f"This command is for officers: you need {needed}.")
    return True


def tenant_of(interaction: discord.Interaction) -> Tenant:
    """The tenant the interaction check loaded."""
    tenant: Tenant = interaction.extras[TENANT]
    return tenant


def is_officer(interaction: discord.Interaction, tenant: Tenant) -> bool:
    if interaction.permissions.manage_guild:
        return True
    member = interaction.user
    role_ids = {role.id for role in member.roles} if isinstance(member, discord.Member) else set()
    return bool(role_ids & set(tenants.officer_role_ids(tenant)))


def audit(interaction: discord.Interaction, what: str) -> None:
    """Log a change someone made from Discord: guild, who, what."""
    log.info(
        "guild %s: %s (%s) %s", interaction.guild_id, interaction.user, interaction.user.id, what
    )
