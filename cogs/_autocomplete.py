"""Autocomplete from the guild's own data: one way to turn names into Discord choices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession

from cogs._checks import warden

CHOICE_LIMIT: Final = 100  # Discord's length limit of a choice's name and value
CHOICES_LIMIT: Final = 25  # Discord's limit of choices in one answer

NameLookup = Callable[[AsyncSession, str], Awaitable[list[str]]]


async def name_choices(
    interaction: discord.Interaction, lookup: NameLookup, current: str
) -> list[app_commands.Choice[str]]:
    """Names from the guild's data matching what is typed. A name too long to be a choice's
    value is left out: it could only be offered cut, and a cut name would match nothing."""
    assert interaction.guild_id is not None
    async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
        names = await lookup(session, current)
    return [
        app_commands.Choice(name=name, value=name) for name in names if len(name) <= CHOICE_LIMIT
    ]
