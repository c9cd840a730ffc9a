"""Autocomplete from the guild's own data: one way to turn names into Discord choices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession

from cogs._checks import warden

CHOICE_LIMIT: Final = 100  # Discord's length limit of a choice's name and value

NameLookup = Callable[[AsyncSession, str], Awaitable[list[str]]]
ChoiceLookup = Callable[[AsyncSession, str], Awaitable[list[tuple[str, str]]]]


async def choices(
    interaction: discord.Interaction, lookup: ChoiceLookup, current: str
) -> list[app_commands.Choice[str]]:
    """(name, value) pairs from the guild's data matching what is typed. One too long to be a
    choice is left out: it could only be offered cut, and a cut value would match nothing."""
    assert interaction.guild_id is not None
    async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
        found = await lookup(session, current)
    return _choices(found)


def _choices(found: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=name, value=value)
        for name, value in found
        if len(name) <= CHOICE_LIMIT and len(value) <= CHOICE_LIMIT
    ]


async def name_choices(
    interaction: discord.Interaction, lookup: NameLookup, current: str
) -> list[app_commands.Choice[str]]:
    """Names from the guild's data matching what is typed (see `choices`)."""

    async def named(session: AsyncSession, typed: str) -> list[tuple[str, str]]:
        return [(name, name) for name in await lookup(session, typed)]

    return await choices(interaction, named, current)


async def galaxy_choices(
    interaction: discord.Interaction, lookup: NameLookup, current: str
) -> list[app_commands.Choice[str]]:
    """Names from the galaxy tables (shared by every guild) matching what is typed."""
    async with warden(interaction).services.db.unscoped() as session:
        found = await lookup(session, current)
    return _choices([(name, name) for name in found])
