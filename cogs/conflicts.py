"""Conflicts: `/conflicts [scope]`, and how conflicts look in the digest and change posts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bgs.conflicts import (
    ChangeKind,
    ConflictChange,
    ConflictStatus,
    ConflictView,
    DigestEntry,
    Scope,
    Side,
    current_conflicts,
    watched_factions,
)
from bgs.ticks import latest_tick
from cogs._checks import tenant_of, warden
from cogs._errors import UserError
from cogs._ui import COLOUR, Reply, embed, pages, send, ts

if TYPE_CHECKING:
    from bot import WardenBot

log = logging.getLogger(__name__)

WAR_TYPES = {"war": "war", "civilwar": "civil war", "election": "election"}
WON = discord.Colour.green()
LOST = discord.Colour.red()


def war_label(war_type: str) -> str:
    return WAR_TYPES.get(war_type, war_type)


def _stakes(first: Side, second: Side) -> str:
    return f"Stakes: {first.stake or 'none'} · {second.stake or 'none'}"


def _score(first: Side, second: Side) -> str:
    """'**Alpha Defence Force** 2 – 1 Alpha Pirates' (days won)."""
    return f"**{first.name}** {first.won_days} – {second.won_days} {second.name}"


def _conflict_lines(view: ConflictView) -> list[str]:
    """Where, what, the score and the stakes."""
    return [
        f"**{view.system_name}** — {war_label(view.war_type)}, {view.status.value}",
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
                f"Cmdrs: {', '.join(entry.cmdrs) or 'nobody yet'}",
                f"Data from {ts(entry.conflict.last_seen, 'R')}",
            ]
        )
        + "\n"
        for entry in entries
    ]
    return pages(f"🛡️ {faction}: conflicts this tick", blocks)


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
        war=war_label(change.war_type), system=change.system_name, result=_result(change)
    )
    lines = []
    if not change.guild_faction:
        lines.append(f"🛡️ Protected faction **{change.subject.name}**")
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
    reporter = f"CMDR {change.cmdr}" if change.cmdr else "a member"
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


class Conflicts(commands.Cog):
    def __init__(self, bot: WardenBot) -> None:
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
        guild = tenant_of(interaction)
        if chosen is Scope.OURS and not guild.faction:
            raise UserError(
                "This server has no faction set, so it has no conflicts of its own. An officer "
                "can set it with `/config faction`; `/conflicts scope:all` shows every conflict."
            )
        await interaction.response.defer()
        db = warden(interaction).services.db
        now = datetime.now(UTC)
        async with db.unscoped() as session:
            tick = await latest_tick(session)
        async with db.tenant(guild.guild_id) as session:
            faction, protected = await watched_factions(session)
            views = await current_conflicts(session, chosen, faction, protected, now)
        titles = {
            Scope.OURS: f"Conflicts of {faction}",
            Scope.PROTECTED: "Conflicts of protected factions",
            Scope.ALL: "Every current conflict seen",
        }
        if not views:
            if chosen is Scope.PROTECTED and not protected:
                text = "No factions are protected yet; officers add them with `/protected add`."
            else:
                text = (
                    "No current conflicts in members' data. Conflicts are read from members' "
                    "jumps into systems (FSDJump, Location, CarrierJump)."
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


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(Conflicts(bot))
