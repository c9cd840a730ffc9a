"""Members and their cmdrs: /connect (a member's own BGS-Tally key), /cmdr show|claim|links|
unlink|refresh|settings, and the daily Inara job.

The cog owns the process's one Inara client (`feeds.inara`) with its pacer and aiohttp
session, shared by the daily job and `/cmdr refresh`. The job runs at INARA_SYNC_TIME (UTC)
for the guilds this process serves that have an Inara key (tenants.json's, else one an officer
set); one guild's failure is logged and the others go on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final

import aiohttp
import discord
from apscheduler.triggers.cron import CronTrigger
from discord import app_commands
from discord.ext import commands

from bgs import members, tenants
from bgs.members import Link
from bgs.names import cmdr_names
from bgs.summaries import reading
from cogs._autocomplete import name_choices
from cogs._bot import Warden
from cogs._checks import audit, officer_only, tenant_of, warden
from cogs._errors import UserError
from cogs._jobs import for_each_tenant, schedule, unschedule
from cogs._keys import paste_steps
from cogs._member_views import (
    ClaimsView,
    card_embed,
    claims_embed,
    cmdr_text,
    inara_key_of,
    link_lines,
    member_text,
    settings_lines,
)
from cogs._ui import Reply, embed, pages, send
from db.models import Tenant
from feeds.inara import InaraClient, Pacer, sync_profiles
from settings import VERSION

log = logging.getLogger(__name__)

INARA_SYNC: Final = "inara-profiles"  # the scheduler's job


class Members(commands.Cog):
    cmdr = app_commands.Group(name="cmdr", description="Cmdrs: profiles, who flies which, links")

    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        settings = self.bot.services.settings
        self.http = aiohttp.ClientSession()
        self.inara = InaraClient(
            self.http,
            settings.inara_api_url,
            settings.inara_app_name,
            VERSION,
            Pacer(settings.inara_request_interval),
        )
        hour, minute = settings.inara_sync_at
        schedule(
            self.bot.services.scheduler,
            self.inara_profiles,
            INARA_SYNC,
            CronTrigger(hour=hour, minute=minute, timezone=UTC),
        )

    async def cog_unload(self) -> None:
        unschedule(self.bot.services.scheduler, [INARA_SYNC])
        await self.http.close()

    # -- the daily job ------------------------------------------------------------------------

    async def inara_profiles(self, now: datetime | None = None) -> None:
        """Read the Inara profiles of every served guild's active cmdrs."""
        now = now or datetime.now(UTC)
        db = self.bot.services.db

        async def run(tenant: Tenant) -> None:
            key = inara_key_of(self.bot, tenant)
            if key is None:
                log.debug("guild %s: no Inara key; profiles not read", tenant.guild_id)
                return
            await sync_profiles(db, self.inara, tenant.guild_id, key.value, now)

        await for_each_tenant(self.bot, "Inara profiles", run)

    # -- /connect -----------------------------------------------------------------------------

    @app_commands.command(
        name="connect", description="Your own BGS-Tally key (replaces your previous one)"
    )
    async def connect(self, interaction: discord.Interaction) -> None:
        tenant = tenant_of(interaction)
        services = warden(interaction).services
        user = interaction.user
        async with services.db.tenant_write(tenant.guild_id) as session:
            made = await members.connect(
                session,
                user.id,
                user.display_name,
                str(user),
                datetime.now(UTC),
                limit=services.settings.max_keys_per_guild,
            )
            linked = await members.my_cmdrs(session, user.id)
        if made.replaced:
            services.keys.invalidate()
        audit(interaction, f"made personal API key #{made.info.id} ({made.replaced} replaced)")
        lines = [
            "Your own BGS-Tally key (shown only now — copy it):",
            f"```\n{made.key}\n```",
            *paste_steps(services.listener_address),
            "Then fly: each cmdr you fly is linked to you the first time their data arrives "
            f"(up to {tenant.cmdrs_per_key} cmdrs, alts included).",
        ]
        if made.replaced:
            lines.append("Your previous key no longer works: paste this one instead.")
        if linked:
            lines.append(f"Linked to you: {', '.join(cmdr_text(cmdr) for cmdr in linked)}.")
        await send(interaction, Reply(content="\n".join(lines), ephemeral=True))

    # -- /cmdr show and claim -----------------------------------------------------------------

    @cmdr.command(name="show", description="A cmdr's Inara profile, member and totals")
    @app_commands.describe(cmdr="The cmdr (default: your own)")
    async def show(self, interaction: discord.Interaction, cmdr: str | None = None) -> None:
        tenant = tenant_of(interaction)
        db = warden(interaction).services.db
        now = datetime.now(UTC)
        async with reading(db, tenant.guild_id) as session:
            if cmdr and cmdr.strip():
                names = [await members.known_cmdr(session, cmdr)]
            else:
                names = await members.my_cmdrs(session, interaction.user.id)
            if not names:
                raise UserError(
                    "You have no cmdr linked to you yet: `/connect` gives you your own key "
                    "(your cmdr is linked when their data arrives), or `/cmdr claim` asks an "
                    "officer. Or name one: `/cmdr show cmdr:<name>`."
                )
            await interaction.response.defer()
            cards = [await members.cmdr_card(session, name, tenant.faction, now) for name in names]
        await send(interaction, Reply([card_embed(card) for card in cards]))

    @cmdr.command(name="claim", description="Ask for a cmdr to be linked to you")
    @app_commands.describe(cmdr="Your cmdr, as the game spells it")
    async def claim(self, interaction: discord.Interaction, cmdr: str) -> None:
        tenant = tenant_of(interaction)
        user = interaction.user
        now = datetime.now(UTC)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            name = await members.claim_cmdr(session, cmdr, user.id, now)
            await members.note_member(session, user.id, user.display_name, now)
        audit(interaction, f"claimed cmdr {name!r}")
        text = (
            f"You asked for **{cmdr_text(name)}** to be linked to you; an officer confirms it "
            "with `/cmdr links`."
        )
        await send(interaction, Reply(content=text, ephemeral=True))

    # -- /cmdr links and unlink ---------------------------------------------------------------

    @officer_only
    @cmdr.command(name="links", description="Pending claims (confirm or refuse) and links")
    async def links(self, interaction: discord.Interaction) -> None:
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(tenant.guild_id) as session:
            found = await members.list_links(session)
        claims = [link for link in found if link.pending]
        lines = link_lines(found) or ["No cmdr is linked to a member yet."]
        footer = f"{len(found) - len(claims)} link(s), {len(claims)} claim(s) waiting"
        await send(interaction, Reply(pages("🔗 Cmdr links", lines, footer=footer), ephemeral=True))
        if claims:
            view = ClaimsView(interaction.user.id, claims, self._decide)
            await interaction.followup.send(embed=claims_embed(claims), view=view, ephemeral=True)

    async def _decide(
        self, interaction: discord.Interaction, link_id: int, accept: bool
    ) -> tuple[str, list[Link]]:
        """A claim button: link or refuse, then the claims still waiting."""
        assert interaction.guild_id is not None
        db = warden(interaction).services.db
        async with db.tenant_write(interaction.guild_id) as session:
            try:
                claim = await members.decide_claim(
                    session,
                    link_id,
                    accept=accept,
                    officer=str(interaction.user),
                    now=datetime.now(UTC),
                )
                outcome = (
                    f"**{cmdr_text(claim.cmdr)}** is now linked to "
                    f"{member_text(claim.user_id, claim.member)}."
                    if accept
                    else f"The claim of **{cmdr_text(claim.cmdr)}** was refused."
                )
                audit(interaction, f"{'confirmed' if accept else 'refused'} claim {claim.cmdr!r}")
            except members.LinkError as exc:
                outcome = str(exc)
            left = [link for link in await members.list_links(session) if link.pending]
        return outcome, left

    @officer_only
    @cmdr.command(name="unlink", description="Remove a cmdr's link to a member (or a claim)")
    @app_commands.describe(cmdr="The linked or claimed cmdr")
    async def unlink(self, interaction: discord.Interaction, cmdr: str) -> None:
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            link = await members.unlink_cmdr(session, cmdr)
        audit(interaction, f"unlinked cmdr {link.cmdr!r} from user {link.user_id}")
        who = member_text(link.user_id, link.member)
        text = (
            f"The claim of **{cmdr_text(link.cmdr)}** by {who} is withdrawn."
            if link.pending
            else f"**{cmdr_text(link.cmdr)}** is no longer linked to {who}."
        )
        if link.by_key and not link.pending:
            text += (
                " If their personal key posts for this cmdr again, it links it again: revoke "
                "the key (`/apikey revoke`) to stop that."
            )
        await send(interaction, Reply(content=text, ephemeral=True))

    # -- /cmdr refresh and settings -----------------------------------------------------------

    @officer_only
    @cmdr.command(name="refresh", description="Read a cmdr's Inara profile now")
    @app_commands.describe(cmdr="The cmdr")
    async def refresh(self, interaction: discord.Interaction, cmdr: str) -> None:
        tenant = tenant_of(interaction)
        db = warden(interaction).services.db
        key = inara_key_of(self.bot, tenant)
        if key is None:
            raise UserError(
                "Inara profiles are off for this server: set the Inara API key with "
                "`/cmdr settings inara_key:…` (or the operator sets it in tenants.json)."
            )
        async with db.tenant(tenant.guild_id) as session:
            name = await members.known_cmdr(session, cmdr)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = datetime.now(UTC)
        await sync_profiles(db, self.inara, tenant.guild_id, key.value, now, names=[name])
        async with db.tenant(tenant.guild_id) as session:
            card = await members.cmdr_card(session, name, tenant.faction, now)
        audit(interaction, f"refreshed the Inara profile of {name!r}")
        await send(interaction, Reply([card_embed(card)], ephemeral=True))

    @officer_only
    @cmdr.command(name="settings", description="Keys, Inara and recruits settings")
    @app_commands.describe(
        personal_keys_only="Refuse squadron keys: every member uses their own (/connect)",
        cmdrs_per_key="How many cmdrs a personal key may post for (1-25)",
        inara_key="The Inara API key profiles are read with (never shown again); off: none",
        recruit_rank="The Inara squadron rank that marks a recruit",
        recruit_days="Cmdrs first seen within this many days count as new (1-365)",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        personal_keys_only: bool | None = None,
        cmdrs_per_key: app_commands.Range[int, 1, 25] | None = None,
        inara_key: str | None = None,
        recruit_rank: str | None = None,
        recruit_days: app_commands.Range[int, 1, 365] | None = None,
    ) -> None:
        tenant = tenant_of(interaction)
        services = warden(interaction).services
        config = services.tenants.tenant(tenant.guild_id)
        if inara_key is not None and config is not None and config.inara_api_key is not None:
            raise UserError(
                "This server's Inara key comes from tenants.json: the bot's operator changes "
                "it there. Nothing was changed."
            )
        async with services.db.tenant_write(tenant.guild_id) as session:
            row = await tenants.get_tenant(session)
            assert row is not None
            members.set_member_settings(
                row,
                personal_keys_only=personal_keys_only,
                cmdrs_per_key=cmdrs_per_key,
                inara_key=inara_key,
                recruit_rank=recruit_rank,
                recruit_days=recruit_days,
            )
        if personal_keys_only is not None:
            services.keys.invalidate()
        changed = {
            name: value
            for name, value in (
                ("personal_keys_only", personal_keys_only),
                ("cmdrs_per_key", cmdrs_per_key),
                ("inara_key", None if inara_key is None else "(hidden)"),
                ("recruit_rank", recruit_rank),
                ("recruit_days", recruit_days),
            )
            if value is not None
        }
        audit(interaction, f"ran /cmdr settings {changed}")
        shown = embed("⚙️ Members settings", "\n".join(settings_lines(self.bot, row)))
        await send(interaction, Reply([shown], ephemeral=True))

    # -- autocomplete -------------------------------------------------------------------------

    @show.autocomplete("cmdr")
    @claim.autocomplete("cmdr")
    @refresh.autocomplete("cmdr")
    async def _cmdrs(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, cmdr_names, current)

    @unlink.autocomplete("cmdr")
    async def _linked(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, members.linked_names, current)


async def setup(bot: Warden) -> None:
    await bot.add_cog(Members(bot))
