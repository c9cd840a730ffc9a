"""Where automatic posts go, and what the guild is told when one cannot go there.

A post's `Destination` is its channel and the setting that chose it. A post skipped for want of
a channel, or because the bot may not post in the channel (or it is gone), is logged with the
command that fixes it; the first such skip of each kind of post and reason also leaves the guild
a notice that `/status` shows, once across restarts and processes (the post ledger's kind
`skip`, key `<post kind>:<reason>`, recorded in the notice's own transaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bgs import ledger, tenants
from bgs.protected import ALERT_KIND
from db.database import Database
from db.models import Tenant
from settings import ChannelKind

SKIP_KIND: Final = "skip"  # the post ledger's kind of "the guild was told"

# What each kind of post (the post ledger's kinds) is called in a notice.
POSTS: Final[Mapping[str, str]] = {
    "tick": "New galaxy tick posts",
    "post_tick": "Post-tick summaries",
    "daily": "Daily summaries",
    "cz_space": "Space CZ summaries",
    "cz_ground": "Ground CZ summaries",
    "conflict_digest": "Conflict digests",
    "conflict_change": "Conflict changes",
    ALERT_KIND: "Protected-faction alerts",
    "checklist": "The setup checklist",
    "recruits": "Weekly recruits posts",
    "galaxy_alert": "Galaxy alerts (influence, lead, pending states)",
}


class SkipReason(StrEnum):
    NO_CHANNEL = "no-channel"  # no channel is set
    NO_ACCESS = "no-access"  # Discord refused: the bot lacks a permission there
    GONE = "gone"  # the channel no longer exists


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a post goes: the channel (None when none is set) and the guild setting that chose
    it; `protected` when a protected faction's own channel may stand in for that setting."""

    channel_id: int | None
    setting: ChannelKind | None
    protected: bool = False

    @property
    def fix(self) -> str:
        """The command that sets the channel: '`/config channel kind:tick`'."""
        commands = ["`/protected edit` (the faction's channel)"] if self.protected else []
        if self.setting is not None:
            commands.append(f"`/config channel kind:{self.setting.value}`")
        return " or ".join(commands)


def destination_of(tenant: Tenant, setting: ChannelKind) -> Destination:
    """The guild's channel of a kind, as a destination."""
    return Destination(tenants.channel_of(tenant, setting), setting)


def skip_text(kind: str, destination: Destination, reason: SkipReason) -> str:
    """The sentence that says what was skipped, why, and the command that fixes it."""
    posts, fix = POSTS.get(kind, kind), destination.fix
    where = f"<#{destination.channel_id}>"
    if reason is SkipReason.NO_CHANNEL:
        setting = f"{destination.setting.value} " if destination.setting else ""
        return f"{posts} are skipped: no {setting}channel is set." + (
            f" Set one with {fix}." if fix else ""
        )
    if reason is SkipReason.NO_ACCESS:
        return (
            f"{posts} could not be posted in {where}: Discord refused (I lack View Channel, Send "
            "Messages, Embed Links or Attach Files there). Grant them in the channel's "
            "permissions" + (f", or choose another channel with {fix}." if fix else ".")
        )
    return f"{posts} could not be posted: {where} no longer exists." + (
        f" Choose another channel with {fix}." if fix else ""
    )


async def tell_once(db: Database, guild_id: int, kind: str, reason: SkipReason, text: str) -> bool:
    """Leave the guild the notice `text` unless it was told of this kind and reason before;
    True when it was told now."""
    async with db.tenant_write(guild_id) as session:
        first = await ledger.mark_in(session, SKIP_KIND, f"{kind}:{reason.value}")
        if first:
            await tenants.add_notice(session, text)
    return first
