"""Recruits: /recruits (officers) and the weekly recruits post.

A recruit is a cmdr whose Inara squadron rank is the guild's recruit rank (`/cmdr settings`,
default "Recruit"), or one first seen within the guild's last `recruit_days` days; each comes
with first seen, days since, last active and all-time totals, newest first.

The weekly post goes to the guild's recruits channel (`/config channel kind:recruits`) on
Mondays: tried at :05 every hour of the day, so a restart or a failed send is made up for;
the post ledger (kind "recruits", key the ISO week) keeps it to one post a week.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import discord
from apscheduler.triggers.cron import CronTrigger
from discord import app_commands
from discord.ext import commands

from bgs import members
from bgs.members import Recruit
from bgs.skips import destination_of
from bgs.summaries import reading
from cogs._bot import Warden
from cogs._checks import officer_only, tenant_of, warden
from cogs._jobs import for_each_tenant, posted, schedule, unschedule
from cogs._member_views import cmdr_text
from cogs._posting import deliver
from cogs._ui import Reply, abbreviate, embed, number, pages, plain, send, ts
from db.models import Tenant
from settings import ChannelKind

log = logging.getLogger(__name__)

KIND: Final = "recruits"  # the post ledger's kind
RECRUITS_POST: Final = "recruits-post"  # the scheduler's job


def week_key(now: datetime) -> str:
    """The ISO week of `now`, e.g. '2026-W48'."""
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def recruit_entry(recruit: Recruit) -> str:
    """'**CMDR Ann** · Ann Smith · Recruit', when seen, and the seven totals."""
    member = f" · {plain(recruit.member)}" if recruit.member else ""
    why = f" · {plain(recruit.squadron_rank or '')}" if recruit.by_rank else " · newly seen"
    totals = recruit.totals
    figures = "no activity yet"
    if totals is not None:
        figures = " · ".join(
            [
                f"{number(totals.tonnage)} t",
                f"missions {number(totals.missions_completed)}",
                f"bounties {abbreviate(totals.bounty_vouchers)}",
                f"bonds {abbreviate(totals.combat_bonds)}",
                f"exploration {abbreviate(totals.exploration_sales)}",
                f"fines {abbreviate(totals.bounty_fines)}",
                f"INF {totals.influence:+,}",
            ]
        )
    days = "today" if recruit.days == 0 else f"{recruit.days} d ago"
    return (
        f"**{cmdr_text(recruit.cmdr)}**{member}{why}\n"
        f"first seen {ts(recruit.first_seen, 'd')} ({days}) · last active "
        f"{ts(recruit.last_seen, 'R')}\n{figures}"
    )


def recruit_embeds(tenant: Tenant, found: Sequence[Recruit]) -> list[discord.Embed]:
    header = (
        f"Inara squadron rank **{plain(tenant.recruit_rank)}**, or first seen within "
        f"{tenant.recruit_days} days · newest first · totals of all time\n"
    )
    return pages(
        "🧭 Recruits",
        [recruit_entry(recruit) + "\n" for recruit in found],
        header=header,
        footer=f"{len(found)} cmdr(s)",
    )


class Recruits(commands.Cog):
    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        schedule(
            self.bot.services.scheduler,
            self.recruits_posts,
            RECRUITS_POST,
            CronTrigger(day_of_week="mon", minute=5, timezone=UTC),
        )

    async def cog_unload(self) -> None:
        unschedule(self.bot.services.scheduler, [RECRUITS_POST])

    @officer_only
    @app_commands.command(
        name="recruits", description="Recruits and newly seen cmdrs, with their totals"
    )
    async def recruits_report(self, interaction: discord.Interaction) -> None:
        tenant = tenant_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with reading(warden(interaction).services.db, tenant.guild_id) as session:
            found = await members.recruits(session, tenant, datetime.now(UTC))
        if not found:
            text = (
                f"No recruit: no cmdr has the Inara squadron rank "
                f"**{plain(tenant.recruit_rank)}**, and none was first seen within "
                f"{tenant.recruit_days} days."
            )
            await send(interaction, Reply([embed("🧭 Recruits", text)], ephemeral=True))
            return
        await send(interaction, Reply(recruit_embeds(tenant, found), ephemeral=True))

    async def recruits_posts(self, now: datetime | None = None) -> None:
        """The weekly recruits post of every guild with a recruits channel."""
        now = now or datetime.now(UTC)
        key = week_key(now)

        async def post(tenant: Tenant) -> None:
            destination = destination_of(tenant, ChannelKind.RECRUITS)
            if destination.channel_id is None:  # the recruits post is optional: no notice
                return
            if await posted(self.bot, tenant.guild_id, KIND, key):
                return
            async with reading(self.bot.services.db, tenant.guild_id) as session:
                found = await members.recruits(session, tenant, now)
            if not found:
                log.info("guild %s: no recruits; no recruits post for %s", tenant.guild_id, key)
                return
            embeds = recruit_embeds(tenant, found)
            await deliver(self.bot, tenant.guild_id, KIND, key, destination, embeds)

        await for_each_tenant(self.bot, "recruits post", post)


async def setup(bot: Warden) -> None:
    await bot.add_cog(Recruits(bot))
