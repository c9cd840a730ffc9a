"""One tree-level error handler: expected failures become short ephemeral replies; anything
else is logged with command, guild, user and options and answered with an error id."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import discord
from discord import app_commands

from bgs.errors import DomainError

log = logging.getLogger(__name__)


class UserError(app_commands.AppCommandError):
    """An expected failure; its message is shown to the user as-is (ephemeral)."""


class NotConfigured(app_commands.CheckFailure):
    """The guild is not a tenant and registration is closed."""


class NotOfficer(app_commands.CheckFailure):
    """The member lacks Manage Server and every officer role."""


SECRET_OPTIONS = frozenset({"inara_key"})  # never logged


def _options(data: Any) -> dict[str, Any]:
    """The options the user gave, flattened ("group sub" → values) for the log; secrets
    hidden."""
    flat: dict[str, Any] = {}
    for option in (data or {}).get("options", []) if isinstance(data, dict) else []:
        if "options" in option:
            flat |= _options(option)
        else:
            name = option.get("name", "?")
            flat[name] = "(hidden)" if name in SECRET_OPTIONS else option.get("value")
    return flat


def user_message(error: BaseException) -> str | None:
    """The sentence to show for an expected failure, or None for a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserError | NotConfigured | NotOfficer | DomainError):
        return str(error)
    if isinstance(error, app_commands.CheckFailure | app_commands.TransformerError):
        return str(error) or "You cannot use this command here."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    return None


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Answer ephemerally whether or not the interaction was already answered or deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True)
    else:
        await interaction.response.send_message(content, ephemeral=True)


async def on_tree_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    message = user_message(error)
    if message is None:
        error_id = uuid.uuid4().hex[:8]
        original = getattr(error, "original", error)
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "error %s in /%s (guild %s, user %s, options %s)",
            error_id,
            command,
            interaction.guild_id,
            interaction.user.id,
            _options(interaction.data),
            exc_info=original,
        )
        message = (
            f"Something went wrong on our side (error id `{error_id}`). "
            "Please tell the bot's operator this id."
        )
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not deliver the error reply for interaction %s", interaction.id)
