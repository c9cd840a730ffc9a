"""Posting the galaxy alerts the outbox holds (`bgs.galaxy.alerts`): the guild's faction's to
its alerts channel, a protected faction's to that faction's channel, else the alerts channel;
once each, through the post ledger (kind `galaxy_alert`)."""

from __future__ import annotations

import discord

from bgs import tenants
from bgs.galaxy.alerts import ALERT_KIND, AlertKind, GalaxyAlert
from bgs.outbox import Entry
from bgs.protected import list_protected
from bgs.skips import Destination, destination_of
from cogs._bot import Warden
from cogs._galaxy_views import label, percent, signed, text
from cogs._outbox import Outcome
from cogs._posting import deliver
from cogs._ui import COLOUR, embed, ts
from settings import ChannelKind

WARNING = discord.Colour.red()
STATE_NAMES = {"CivilWar": "civil war"}


def _title(alert: GalaxyAlert) -> str:
    system, faction = text(alert.system_name), text(alert.faction)
    if alert.kind is AlertKind.LEAD:
        return f"⚠️ {faction}'s lead in {system} is under {alert.threshold:g} points"
    if alert.kind is AlertKind.DROP:
        return f"📉 {faction} lost influence in {system}"
    if alert.kind is AlertKind.RETREAT:
        return f"🚨 {faction} risks retreat from {system}"
    state = STATE_NAMES.get(alert.state or "", label(alert.state).lower())
    return f"⏳ {faction}: {state} pending in {system}"


def alert_embed(alert: GalaxyAlert) -> discord.Embed:
    """The post for one galaxy alert."""
    lines = []
    if not alert.guild_faction:
        lines.append(f"🛡️ Protected faction **{text(alert.faction)}**")
    lines.append(f"Influence {percent(alert.influence)}")
    if alert.kind is AlertKind.LEAD and alert.lead is not None:
        lines.append(f"Lead over {text(alert.runner_up)}: {alert.lead:.1f} points")
    if alert.kind is AlertKind.DROP and alert.previous is not None:
        change = signed(alert.influence - alert.previous)
        lines.append(f"Last tick {percent(alert.previous)}: {change} points")
    if alert.kind is AlertKind.RETREAT:
        lines.append(f"Under {alert.threshold:g} % a faction retreats from the system.")
    lines.append(f"Seen on EDDN {ts(alert.observed_at, 'R')}")
    colour = COLOUR if alert.kind is AlertKind.PENDING else WARNING
    return embed(_title(alert), "\n".join(lines), colour=colour)


async def post_alert(bot: Warden, entry: Entry) -> Outcome:
    """The outbox's galaxy alerts (`ALERT_KIND`)."""
    alert = GalaxyAlert.from_payload(entry.payload)
    async with bot.services.db.tenant(entry.guild_id) as session:
        tenant = await tenants.get_tenant(session)
        protected = {info.name: info.channel_id for info in await list_protected(session)}
    if tenant is None or tenant.left_at is not None:
        return Outcome.NO_CHANNEL
    alerts = destination_of(tenant, ChannelKind.ALERTS)
    if alert.guild_faction:
        destination = alerts
    else:
        channel_id = protected.get(alert.faction) or alerts.channel_id
        destination = Destination(channel_id, ChannelKind.ALERTS, protected=True)
    return await deliver(
        bot, entry.guild_id, ALERT_KIND, entry.key, destination, [alert_embed(alert)]
    )
