"""The setup checklist: what a guild still lacks, one line per thing, each ✅ or a one-line fix
that names the command (or, for the listener, the setting) that does it.

A line is an async function of a `Setup` returning its `Check`s, and `LINES` lists them in
order: a feature adds its line by adding its function there. The lines claim only what they
checked. Whether the bot can post in a channel is Discord's to say, so the cog checks each
configured channel and passes the answers in `Setup.channels`; a configured channel missing
there is shown as not checked (❔), never as fine.

`Check.text` may hold `{name}` (an outside name: a faction, a cmdr) and `{at}` (an instant),
which the cog fills in: the name shown as written, the instant in each reader's time zone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bgs import apikeys, tenants
from bgs.galaxy.feed import feed_line, feed_status
from bgs.listener_address import ListenerAddress
from bgs.status import plugin_data
from bgs.ticks import OVERDUE_AFTER, tick_status
from db.database import Database
from db.models import Tenant
from settings import ChannelKind

DATA_WINDOW = timedelta(hours=24)  # plugin data older than this means members' plugins are off

# What a channel kind carries: what is skipped while it has no channel.
CHANNEL_POSTS: Mapping[ChannelKind, str] = {
    ChannelKind.TICK: "new-tick posts",
    ChannelKind.SUMMARY: "the post-tick, daily and CZ summaries",
    ChannelKind.CONFLICT: "our faction's conflict changes and digest",
    ChannelKind.ALERTS: "alerts on protected factions without a channel of their own",
    ChannelKind.RECRUITS: "the weekly recruits list",
}
# Channel kinds a squadron may leave unset: their line is not a problem to fix.
OPTIONAL_CHANNELS = frozenset({ChannelKind.RECRUITS})


@dataclass(frozen=True, slots=True)
class Check:
    """One line: `ok` True (✅, `text` says what is set), False (`text` is the fix naming the
    command) or None (not checked; `text` says why)."""

    label: str
    ok: bool | None
    text: str
    name: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    """What Discord says about a configured channel: whether it exists, what the bot lacks."""

    exists: bool
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Setup:
    """What the lines look at: the guild's settings, the databases, the listener's address,
    the configured channels the cog checked (by channel id), and whether the deployment
    consumes the EDDN feed (EDDN_RELAY)."""

    db: Database
    tenant: Tenant
    listener: ListenerAddress
    now: datetime
    channels: Mapping[int, ChannelAccess] = field(default_factory=dict)
    eddn_enabled: bool = True


Line = Callable[[Setup], Awaitable[list[Check]]]


async def faction_line(setup: Setup) -> list[Check]:
    if setup.tenant.faction:
        return [Check("Faction", True, "{name}", name=setup.tenant.faction)]
    fix = "not set: `/config faction` (our faction's conflicts, digest and influence need it)"
    return [Check("Faction", False, fix)]


def channel_check(kind: ChannelKind, channel_id: int | None, access: ChannelAccess | None) -> Check:
    """The line of one channel kind, from its setting and what Discord said about it."""
    label = f"{kind.value.title()} channel"
    other = f"`/config channel kind:{kind.value}`"
    if channel_id is None:
        if kind in OPTIONAL_CHANNELS:
            return Check(
                label, None, f"not set (optional), so {CHANNEL_POSTS[kind]} is not posted: {other}"
            )
        return Check(label, False, f"not set, so {CHANNEL_POSTS[kind]} are skipped: {other}")
    if access is None:
        return Check(label, None, f"<#{channel_id}>, not checked (the server is not in my cache)")
    if not access.exists:
        return Check(label, False, f"<#{channel_id}> no longer exists: choose another with {other}")
    if access.missing:
        return Check(
            label,
            False,
            f"I cannot post in <#{channel_id}> (missing {', '.join(access.missing)}): grant "
            f"that in the channel's permissions, or choose another with {other}",
        )
    return Check(label, True, f"<#{channel_id}>")


async def channel_lines(setup: Setup) -> list[Check]:
    checks = []
    for kind in ChannelKind:
        channel_id = tenants.channel_of(setup.tenant, kind)
        access = setup.channels.get(channel_id) if channel_id is not None else None
        checks.append(channel_check(kind, channel_id, access))
    return checks


async def officer_role_line(setup: Setup) -> list[Check]:
    roles = tenants.officer_role_ids(setup.tenant)
    if roles:
        return [Check("Officer roles", True, ", ".join(f"<@&{role}>" for role in roles))]
    fix = "none, so only members with Manage Server are officers: `/config officer-role add`"
    return [Check("Officer roles", False, fix)]


async def listener_line(setup: Setup) -> list[Check]:
    address = setup.listener
    if address.reachable:
        return [Check("Listener URL", True, f"`{address.url}`")]
    return [Check("Listener URL", False, f"members cannot reach `{address.url}`: {address.fix}")]


async def api_key_line(setup: Setup) -> list[Check]:
    async with setup.db.tenant(setup.tenant.guild_id) as session:
        keys = await apikeys.list_keys(session)
    active = sum(1 for key in keys if key.revoked_at is None)
    if active:
        return [Check("API keys", True, f"{active} active")]
    fix = (
        "none active: members run `/connect` (or an officer runs `/apikey create`), then paste "
        "the key with the listener URL into BGS-Tally"
    )
    return [Check("API keys", False, fix)]


async def plugin_data_line(setup: Setup) -> list[Check]:
    label = "BGS-Tally data (24 h)"
    async with setup.db.tenant(setup.tenant.guild_id) as session:
        data = await plugin_data(session)
    if data is None:
        fix = (
            "nothing received yet: members paste the listener URL and their key from `/connect` "
            "into BGS-Tally (EDMC → File → Settings → BGS-Tally → API)"
        )
        return [Check(label, False, fix)]
    if setup.now - data.received_at <= DATA_WINDOW:
        text = f"{{at}} from CMDR {{name}} ({data.cmdrs} cmdr(s) so far)"
        return [Check(label, True, text, name=data.cmdr, at=data.received_at)]
    fix = (
        "none since {at} (CMDR {name}): check members' BGS-Tally URL and key "
        "(`/apikey list` shows when each key was last used)"
    )
    return [Check(label, False, fix, name=data.cmdr, at=data.received_at)]


async def tick_line(setup: Setup) -> list[Check]:
    status = await tick_status(setup.db, setup.now, setup.tenant.guild_id)
    commands = "`/tick refresh` polls the sources, `/tick set` records one by hand"
    if status.latest is None:
        return [Check("Galaxy tick", False, f"none seen yet: {commands}")]
    at = status.latest.tick_time
    if status.overdue:
        hours = OVERDUE_AFTER.total_seconds() / 3600
        fix = f"none for over {hours:.0f} h (last {{at}}), the sources may be down: {commands}"
        return [Check("Galaxy tick", False, fix, at=at)]
    return [Check("Galaxy tick", True, "{at}", at=at)]


async def eddn_line(setup: Setup) -> list[Check]:
    ok, text, at = feed_line(await feed_status(setup.db, setup.eddn_enabled, setup.now))
    return [Check("EDDN feed", ok, text, at=at)]


LINES: tuple[Line, ...] = (
    faction_line,
    channel_lines,
    officer_role_line,
    listener_line,
    api_key_line,
    plugin_data_line,
    tick_line,
    eddn_line,
)


async def checklist(setup: Setup) -> list[Check]:
    """Every line of the checklist, in order."""
    return [check for line in LINES for check in await line(setup)]
