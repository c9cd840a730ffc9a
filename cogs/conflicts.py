"""Conflicts: `/conflicts [scope]`, and how conflicts look in the digest and change posts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bgs.conflicts import (
    Scope,
    current_conflicts,
    watched_factions,
)
from bgs.galaxy.conflicts import galaxy_conflicts, merged_conflicts
from bgs.ticks import galaxy_tick, guild_tick
from cogs._bot import Warden
from cogs._checks import tenant_of, warden
from cogs._conflict_posts import conflict_block
from cogs._errors import UserError
from cogs._ui import Reply, embed, pages, plain, send, ts

log = logging.getLogger(__name__)


class Conflicts(commands.Cog):
    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    @app_commands.command(
        name="conflicts", description="Current conflicts: our faction's, protected ones, or all"
    )
    @app_commands.describe(scope="Whose conflicts (default: our faction's)")
    @app_commands.choices(
        scope=[
            app_commands.Choice(name="ours: our faction's", value=Scope.OURS.value),
            app_commands.Choice(name="protected: protected factions'", value=Scope.PROTECTED.value),
            app_commands.Choice(name="all: every conflict seen", value=Scope.ALL.value),
        ]
    )
    async def conflicts(
        self, interaction: discord.Interaction, scope: str = Scope.OURS.value
    ) -> None:
        chosen = Scope(scope)
        tenant = tenant_of(interaction)
        if chosen is Scope.OURS and not tenant.faction:
            raise UserError(
                "This server has no faction set, so it has no conflicts of its own. An officer "
                "can set it with `/config faction`; `/conflicts scope:all` shows every conflict."
            )
        await interaction.response.defer()
        db = warden(interaction).services.db
        now = datetime.now(UTC)
        tick = await guild_tick(db, tenant.guild_id, await galaxy_tick(db))
        async with db.tenant(tenant.guild_id) as session:
            faction, protected = await watched_factions(session)
            members = await current_conflicts(session, chosen, faction, protected, now)
        async with db.unscoped() as session:
            galaxy = await galaxy_conflicts(session, chosen, faction, protected, now)
        views = merged_conflicts(members, galaxy)
        titles = {
            Scope.OURS: f"Conflicts of {plain(faction or '')}",
            Scope.PROTECTED: "Conflicts of protected factions",
            Scope.ALL: "Every current conflict seen",
        }
        if not views:
            if chosen is Scope.PROTECTED and not protected:
                text = "No factions are protected yet; officers add them with `/protected add`."
            else:
                text = (
                    "No current conflicts seen on EDDN or in members' data. Conflicts are read "
                    "from every player's jumps relayed by EDDN and from members' own jumps."
                )
            await send(interaction, Reply([embed(titles[chosen], text)]))
            return
        newest = max(view.last_seen for view in views)
        header = (
            f"{len(views)} current conflict(s); newest data {ts(newest, 'R')}"
            + (f", last tick {ts(tick.tick_time, 'R')}" if tick else "")
            + "\n"
        )
        blocks = [conflict_block(view, tick.tick_time if tick else None) + "\n" for view in views]
        await send(interaction, Reply(pages(titles[chosen], blocks, header=header)))


async def setup(bot: Warden) -> None:
    await bot.add_cog(Conflicts(bot))
