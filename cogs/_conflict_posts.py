"""How conflicts look: in `/conflicts`, in the scheduled digest and in the change posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bgs.conflicts import (
    ChangeKind,
    ConflictChange,
    ConflictStatus,
    ConflictView,
    DigestEntry,
    Side,
)
from cogs._ui import COLOUR, embed, pages, plain, ts

WAR_TYPES = {"war": "war", "civilwar": "civil war", "election": "election"}
WON = discord.Colour.green()
LOST = discord.Colour.red()


def war_label(war_type: str) -> str:
    return WAR_TYPES.get(war_type) or plain(war_type)


def _stakes(first: Side, second: Side) -> str:
    return f"Stakes: {plain(first.stake or 'none')} · {plain(second.stake or 'none')}"


def _score(first: Side, second: Side) -> str:
    """'**Alpha Defence Force** 2 – 1 Alpha Pirates' (days won)."""
    return f"**{plain(first.name)}** {first.won_days} – {second.won_days} {plain(second.name)}"


def _conflict_lines(view: ConflictView) -> list[str]:
    """Where, what, the score and the stakes."""
    return [
        f"**{plain(view.system_name)}** — {war_label(view.war_type)}, {view.status.value}",
        _score(view.side1, view.side2),
        _stakes(view.side1, view.side2),
    ]


def conflict_block(view: ConflictView, tick_time: datetime | None) -> str:
    """One conflict of `/conflicts`, with the age of its data."""
    stale = (
        " ⚠️ before the last tick" if tick_time is not None and view.last_seen < tick_time else ""
    )
    return "\n".join([*_conflict_lines(view), f"Data from {ts(view.last_seen, 'R')}{stale}"])


def digest_embeds(faction: str, entries: Sequence[DigestEntry]) -> list[discord.Embed]:
    """The scheduled digest: the faction's conflicts in the current tick, with the cmdrs."""
    blocks = [
        "\n".join(
            [
                *_conflict_lines(entry.conflict),
                f"Cmdrs: {', '.join(plain(cmdr) for cmdr in entry.cmdrs) or 'nobody yet'}",
                f"Data from {ts(entry.conflict.last_seen, 'R')}",
            ]
        )
        + "\n"
        for entry in entries
    ]
    return pages(f"🛡️ {plain(faction)}: conflicts this tick", blocks)


_TITLES = {
    ChangeKind.NEW: "⚔️ New {war} in {system}",
    ChangeKind.ACTIVATED: "⚔️ The {war} in {system} has started",
    ChangeKind.DAY_WON: "✅ Day won in the {war} in {system}",
    ChangeKind.DAY_LOST: "❌ Day lost in the {war} in {system}",
    ChangeKind.DAYS: "⚖️ Both sides won days in the {war} in {system}",
    ChangeKind.ENDED: "🏁 The {war} in {system} ended: {result}",
    ChangeKind.GONE: "🏁 The {war} in {system} is over: {result}",
}


def _result(change: ConflictChange) -> str:
    ours, theirs = change.subject.won_days, change.opponent.won_days
    return "won" if ours > theirs else "lost" if ours < theirs else "a draw"


def change_embed(change: ConflictChange) -> discord.Embed:
    """The post for one conflict change (the guild's faction's, or a protected faction's)."""
    title = _TITLES[change.kind].format(
        war=war_label(change.war_type), system=plain(change.system_name), result=_result(change)
    )
    lines = []
    if not change.guild_faction:
        lines.append(f"🛡️ Protected faction **{plain(change.subject.name)}**")
    lines.append(_score(change.subject, change.opponent))
    if change.previous_days is not None and change.kind in (
        ChangeKind.DAY_WON,
        ChangeKind.DAY_LOST,
        ChangeKind.DAYS,
    ):
        lines.append(f"Before: {change.previous_days[0]} – {change.previous_days[1]}")
    lines.append(_stakes(change.subject, change.opponent))
    if change.kind is ChangeKind.GONE:
        lines.append("The game no longer lists it; the score is the last one seen.")
    elif change.status is ConflictStatus.PENDING:
        lines.append("Status: pending (fighting starts after the next tick)")
    if change.source == "eddn":
        lines.append(f"Seen on EDDN {ts(change.observed_at, 'R')}")
    else:
        reporter = f"CMDR {plain(change.cmdr)}" if change.cmdr else "a member"
        lines.append(f"Seen by {reporter} {ts(change.observed_at, 'R')}")
    return embed(title, "\n".join(lines), colour=_colour(change))


def _colour(change: ConflictChange) -> discord.Colour:
    if change.kind is ChangeKind.DAY_WON:
        return WON
    if change.kind is ChangeKind.DAY_LOST:
        return LOST
    if change.kind in (ChangeKind.ENDED, ChangeKind.GONE):
        return {"won": WON, "lost": LOST}.get(_result(change), COLOUR)
    return COLOUR
