"""Protected factions: /protected add, edit, remove and list, and the harm alerts posted when a
member's work hurts one (`cogs._harm` lays out harm for every cog).

Alerts: after each stored batch the services hand this cog the (protected faction, cmdr, tick)
alerts that gained harm. Each is one message in the faction's channel (or the guild's alerts
channel), posted the first time and edited in place through the post ledger as more harm of
that cmdr arrives in that tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import tenants
from bgs.outbox import Entry
from bgs.periods import latest_ticks
from bgs.protected import (
    ALERT_KIND,
    AlertRef,
    HarmAlert,
    HarmSummary,
    ProtectedInfo,
    add_protected,
    edit_protected,
    faction_choices,
    get_protected,
    harm_alert,
    harm_summary,
    list_protected,
    remove_protected,
)
from bgs.skips import Destination
from bgs.unchanged import UNCHANGED, Keep
from cogs._autocomplete import name_choices
from cogs._bot import Warden
from cogs._channels import missing_permissions
from cogs._checks import audit, officer_only, tenant_of, warden
from cogs._errors import UserError
from cogs._harm import cmdr_label, total_text
from cogs._outbox import Outcome
from cogs._posting import post_or_edit
from cogs._ui import (
    DESCRIPTION_LIMIT,
    Confirm,
    EmbedField,
    Reply,
    embed,
    pages,
    plain,
    send,
    ts,
)
from db.models import Tenant
from settings import ChannelKind

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT: Final = 120.0  # seconds an officer has to confirm /protected remove
HARM_WEEK: Final = timedelta(days=7)  # the window of /protected list's longer harm count
ALERT_COLOUR: Final = discord.Colour.red()
ALERT_FOOTER: Final = "Protected faction alert · updated as more harm arrives this tick"
HARM_LINES_SPACE: Final = DESCRIPTION_LIMIT - 300  # room left for the description and tick

# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _tick_text(tickid: str | None, ticktime: datetime | None) -> str:
    if ticktime is not None:
        return f"Tick of {ts(ticktime)}"
    return f"Tick `{tickid}`" if tickid else "Tick unknown"


def alert_embed(alert: HarmAlert) -> discord.Embed:
    """The alert message: who, which tick, each harm (time, system, what, how much), totals."""
    header = [f"*{plain(alert.description)}*"] if alert.description else []
    header.append(_tick_text(alert.tickid, alert.ticktime))
    lines: list[str] = []
    used = 0
    for index, harm in enumerate(alert.harms):
        line = (
            f"{ts(harm.timestamp, 't')} **{plain(harm.system_name or 'unknown system')}** — "
            + plain(harm.detail)
        )
        if used + len(line) + 1 > HARM_LINES_SPACE:
            lines.append(f"… and {len(alert.harms) - index} more (counted in the totals)")
            break
        lines.append(line)
        used += len(line) + 1
    totals = "\n".join(total_text(kind, total) for kind, total in alert.totals.items())
    return embed(
        f"⚠️ {cmdr_label(alert.cmdr)} harmed {plain(alert.faction)}",
        "\n".join([*header, "", *lines]),
        [EmbedField("Totals", totals)],
        footer=ALERT_FOOTER,
        colour=ALERT_COLOUR,
    )


def _alerts_destination(channel_id: int | None, tenant: Tenant) -> str | None:
    """Where a faction's alerts go: its channel, the alerts channel, or None (nowhere)."""
    if channel_id is not None:
        return f"<#{channel_id}>"
    return "the alerts channel" if tenants.channel_of(tenant, ChannelKind.ALERTS) else None


def _where_alerts_go(info: ProtectedInfo, tenant: Tenant) -> str:
    destination = _alerts_destination(info.channel_id, tenant)
    if destination is not None:
        return f"Alerts go to {destination}."
    return (
        "⚠️ No alerts channel is set, so its alerts cannot be posted: set one with "
        "`/config channel kind:alerts`, or give this faction a channel with `/protected edit`."
    )


def _entry(info: ProtectedInfo, tenant: Tenant, this_tick: int, this_week: int) -> str:
    """One faction of /protected list."""
    about = f" — {plain(info.description)}" if info.description else ""
    destination = _alerts_destination(info.channel_id, tenant) or "nowhere (no channel is set)"
    return "\n".join(
        [
            f"**{plain(info.name)}**{about}",
            f"Alerts: {destination} · protected since {ts(info.created_at, 'D')}",
            f"Harm: {this_tick} this tick · {this_week} in the last 7 days",
            "",
        ]
    )


def _harm_counts(summary: HarmSummary) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in summary.rows:
        counts[row.faction] += row.count
    return counts


async def protected_names(session: AsyncSession, current: str) -> list[str]:
    return await faction_choices(session, current, protected_only=True)


def _check_channel(channel: discord.TextChannel | None) -> None:
    if channel is None:
        return
    missing = missing_permissions(channel, channel.guild.me)
    if missing:
        raise UserError(
            f"I cannot post in {channel.mention}: I am missing {', '.join(missing)}. "
            "Grant them in the channel's permissions and try again; nothing was changed."
        )


# --------------------------------------------------------------------------------------------
# The cog
# --------------------------------------------------------------------------------------------


class Protected(commands.Cog):
    protected = app_commands.Group(
        name="protected", description="Allied factions the squadron must not work against"
    )

    def __init__(self, bot: Warden) -> None:
        self.bot = bot
        # One guild's alerts are loaded and posted one at a time, so an older rendering of an
        # alert can never overwrite a newer one when two batches are handled at once.
        self._alert_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def cog_load(self) -> None:
        self.bot.outbox.handlers[ALERT_KIND] = self.post_alert_entry

    async def cog_unload(self) -> None:
        del self.bot.outbox.handlers[ALERT_KIND]

    # -- commands -----------------------------------------------------------------------------

    @officer_only
    @protected.command(name="add", description="Protect a faction: alert when members harm it")
    @app_commands.describe(
        faction="The faction's in-game name",
        description="Why it is protected, shown in its alerts (up to 200 characters)",
        channel="Post its alerts here instead of the alerts channel",
        force="Add it although no member's data has named it yet (check the spelling)",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        faction: str,
        description: str | None = None,
        channel: discord.TextChannel | None = None,
        force: bool = False,
    ) -> None:
        _check_channel(channel)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            info = await add_protected(
                session,
                faction,
                description=description,
                channel_id=channel.id if channel else None,
                created_by=interaction.user.id,
                force=force,
            )
        audit(
            interaction,
            f"protected faction {info.name!r} (#{info.id}, channel {info.channel_id}, "
            f"force {force})",
        )
        text = f"**{plain(info.name)}** is now protected. {_where_alerts_go(info, tenant)}"
        await send(interaction, Reply(content=text, ephemeral=True))

    @officer_only
    @protected.command(
        name="edit", description="Change a protected faction's description or channel"
    )
    @app_commands.describe(
        faction="The protected faction",
        description="New description (up to 200 characters)",
        channel="Post its alerts here instead of the alerts channel",
        clear_description="Remove the description",
        clear_channel="Post its alerts in the alerts channel again",
    )
    async def edit(
        self,
        interaction: discord.Interaction,
        faction: str,
        description: str | None = None,
        channel: discord.TextChannel | None = None,
        clear_description: bool = False,
        clear_channel: bool = False,
    ) -> None:
        if description is not None and clear_description:
            raise UserError("Give a new description or clear_description, not both.")
        if channel is not None and clear_channel:
            raise UserError("Give a new channel or clear_channel, not both.")
        _check_channel(channel)
        new_description: str | Keep | None = (
            None if clear_description else UNCHANGED if description is None else description
        )
        new_channel: int | Keep | None = (
            None if clear_channel else UNCHANGED if channel is None else channel.id
        )
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            info = await edit_protected(
                session, faction, description=new_description, channel_id=new_channel
            )
        audit(
            interaction,
            f"edited protected faction {info.name!r} (#{info.id}): description "
            f"{info.description!r}, channel {info.channel_id}",
        )
        shown = f"“{plain(info.description)}”" if info.description else "none"
        text = f"**{plain(info.name)}** — description: {shown}. {_where_alerts_go(info, tenant)}"
        await send(interaction, Reply(content=text, ephemeral=True))

    @officer_only
    @protected.command(name="remove", description="Stop protecting a faction (asks to confirm)")
    @app_commands.describe(faction="The protected faction")
    async def remove(self, interaction: discord.Interaction, faction: str) -> None:
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(tenant.guild_id) as session:
            info = await get_protected(session, faction)
            recorded = _harm_counts(await harm_summary(session))[info.name]
        harm = (
            f"its {recorded} recorded harm(s) are deleted with it"
            if recorded
            else ("no harm is recorded for it")
        )
        name, shown = info.name, plain(info.name)

        async def remove_it(pressed: discord.Interaction) -> str:
            async with warden(pressed).services.db.tenant_write(tenant.guild_id) as session:
                removed = await remove_protected(session, name)
            audit(pressed, f"removed protected faction {removed.name!r} (#{removed.id})")
            return (
                f"**{plain(removed.name)}** is no longer protected; its recorded harm was deleted."
            )

        view = Confirm(
            interaction,
            verb="Remove",
            command="/protected remove",
            action=remove_it,
            cancelled=f"Nothing was removed: **{shown}** stays protected.",
            timed_out=f"No answer in time; nothing was removed: **{shown}** stays protected. "
            "Run /protected remove again to remove it.",
            timeout=CONFIRM_TIMEOUT,
        )
        await interaction.response.send_message(
            f"Remove **{shown}** from the protected list? No more alerts are raised for it, "
            f"and {harm}.",
            view=view,
            ephemeral=True,
        )

    @protected.command(name="list", description="The protected factions and recent harm to them")
    async def list_command(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        tenant = tenant_of(interaction)
        now = datetime.now(UTC)
        async with warden(interaction).services.db.tenant(tenant.guild_id) as session:
            factions = await list_protected(session)
            ticks = await latest_ticks(session, 1) if factions else []
            this_tick = (
                _harm_counts(await harm_summary(session, tickids=[ticks[0].tickid]))
                if ticks
                else Counter[str]()
            )
            this_week = (
                _harm_counts(await harm_summary(session, since=now - HARM_WEEK))
                if factions
                else Counter[str]()
            )
        if not factions:
            reply = Reply(
                content="No faction is protected yet. Officers add one with `/protected add`.",
                ephemeral=True,
            )
        else:
            lines = [
                _entry(info, tenant, this_tick[info.name], this_week[info.name])
                for info in factions
            ]
            reply = Reply(
                pages(
                    "Protected factions",
                    lines,
                    footer=f"{len(factions)} protected · members are alerted when work harms one",
                ),
                ephemeral=True,
            )
        await send(interaction, reply)

    @add.autocomplete("faction")
    async def _any_faction(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, faction_choices, current)

    @edit.autocomplete("faction")
    @remove.autocomplete("faction")
    async def _protected_faction(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, protected_names, current)

    # -- alerts -------------------------------------------------------------------------------

    async def post_alert_entry(self, entry: Entry) -> Outcome:
        """The outbox's harm alerts: post or update each one's message."""
        return await self.post_alert(entry.guild_id, AlertRef.from_payload(entry.payload))

    async def post_alert(self, guild_id: int, ref: AlertRef) -> Outcome:
        """Post or edit the message of one (protected faction, cmdr, tick)."""
        async with self._alert_locks[guild_id]:
            async with self.bot.services.db.tenant(guild_id) as session:
                alert = await harm_alert(session, ref.protected_faction_id, ref.cmdr, ref.tickid)
                tenant = await tenants.get_tenant(session)
            if alert is None:
                log.info("guild %s: harm alert %r has nothing to show; skipped", guild_id, ref.key)
                return Outcome.NO_CHANNEL
            alerts = Destination(
                alert.channel_id
                or (tenants.channel_of(tenant, ChannelKind.ALERTS) if tenant is not None else None),
                ChannelKind.ALERTS,
                protected=True,
            )
            return await post_or_edit(
                self.bot, guild_id, ALERT_KIND, alert.key, alerts, alert_embed(alert)
            )


async def setup(bot: Warden) -> None:
    await bot.add_cog(Protected(bot))
