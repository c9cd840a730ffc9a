"""The setup checklist a server gets once, when the bot joins or registers it: in the server's
system channel if the bot may post there, else to the first officer who runs a command (an
ephemeral message after the command's reply; `/status` shows the checklist in its own reply).

The post ledger keeps it to once per server across restarts and processes: kind `checklist`,
key `welcome` is the delivery; key `owed` is remembered when the system channel could not take
it, so the first officer gets it even after a restart. A server the bot served before it had
this checklist is not told unless it joins or registers again (`/status` shows the checklist
at any time), and one that has seen it is never told twice.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bgs import ledger, tenants
from bgs.skips import Destination
from cogs._bot import Warden
from cogs._checklist import guild_checklist, system_channel, welcome_embed
from cogs._checks import TENANT, is_officer
from cogs._jobs import posted
from cogs._posting import deliver
from db.models import Tenant

log = logging.getLogger(__name__)

KIND: Final = "checklist"  # the post ledger's kind
WELCOME: Final = "welcome"  # the checklist, shown once
OWED: Final = "owed"  # the system channel could not take it: the first officer gets it
SHOWN_BY: Final = frozenset({"status"})  # commands whose own reply is the checklist


class Welcome(commands.Cog):
    def __init__(self, bot: Warden) -> None:
        self.bot = bot
        self._settled: set[int] = set()  # guilds owed nothing (checked by this process)

    @commands.Cog.listener()
    async def on_tenant_joined(self, guild: discord.Guild) -> None:
        """The bot joined or registered a configured guild: show it the checklist (in the
        background, which the services wait for when the process stops)."""
        self.bot.services.spawn(self.welcome(guild), f"welcome-{guild.id}")

    async def welcome(self, guild: discord.Guild) -> None:
        """Post the checklist to the system channel, or owe it to the first officer."""
        db = self.bot.services.db
        async with db.tenant(guild.id) as session:
            tenant = await tenants.get_tenant(session)
        if tenant is None:
            return
        channel = system_channel(guild)
        if channel is not None:
            embeds = [welcome_embed(await guild_checklist(self.bot, guild, tenant))]
            system = Destination(channel.id, setting=None)
            if (await deliver(self.bot, guild.id, KIND, WELCOME, system, embeds)).done:
                return
        elif await posted(self.bot, guild.id, KIND, WELCOME):
            return
        await ledger.mark(db, guild.id, KIND, OWED)
        self._settled.discard(guild.id)
        log.info(
            "guild %s: the setup checklist goes to the first officer who runs a command "
            "(I cannot post in the server's system channel)",
            guild.id,
        )

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """After an officer's command: show the checklist (in the background) if the guild is
        owed it."""
        guild_id = interaction.guild_id
        tenant: Tenant | None = interaction.extras.get(TENANT)
        if guild_id is None or guild_id in self._settled or tenant is None:
            return
        if is_officer(interaction, tenant):
            work = self.show_owed(interaction, command, guild_id, tenant)
            self.bot.services.spawn(work, f"welcome-officer-{guild_id}")

    async def show_owed(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
        guild_id: int,
        tenant: Tenant,
    ) -> None:
        """Show an officer the checklist after their command if the guild is owed it."""
        db = self.bot.services.db
        owed = await posted(self.bot, guild_id, KIND, OWED)
        claim = (
            await ledger.claim(db, guild_id, KIND, WELCOME, interaction.channel_id)
            if owed
            else None
        )
        if claim is None:
            self._settled.add(guild_id)
            return
        try:
            if command.qualified_name in SHOWN_BY:
                message: discord.Message = await interaction.original_response()
            else:
                embeds = [welcome_embed(await guild_checklist(self.bot, interaction.guild, tenant))]
                message = await interaction.followup.send(embeds=embeds, ephemeral=True, wait=True)
        except discord.HTTPException as exc:
            await ledger.release(db, claim)
            log.warning("guild %s: could not show the setup checklist (%s)", guild_id, exc)
            return
        await ledger.record(db, claim, message.id)
        self._settled.add(guild_id)
        log.info("guild %s: setup checklist shown to officer %s", guild_id, interaction.user.id)


async def setup(bot: Warden) -> None:
    await bot.add_cog(Welcome(bot))
