"""What the squadron did, on demand: /activity summary|cmdr|systems, /leaderboard, /top5 and
/cz space|ground.

Every command takes a period (`bgs.periods`, default the current tick) and shows it with its
exact bounds. Option values are checked first, so a wrong one gets an ephemeral answer; then
the reply is deferred (the queries can take a moment on a big guild) and posted in the channel
for the squadron to see, paginated when long. The layouts the scheduled posts also use come
from `cogs._render`; charts from `cogs._charts`, drawn off the event loop.

`/activity cmdr` without a cmdr shows the member's own cmdrs (those linked to them, `bgs.members`);
for a member with none linked, and with `cmdr:*`, it lists every cmdr. Leaderboard entries show
the server name of the member a cmdr is linked to.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.members import members_of, my_cmdrs
from bgs.names import cmdr_names, faction_names, system_names
from bgs.periods import DEFAULT_PERIOD, Period, period_choices, resolve_period
from bgs.protected import HarmSummary, harm_in
from bgs.summaries import (
    DEFAULT_METRIC,
    METRIC_KEYS,
    METRICS,
    FactionActivity,
    UnknownMetricError,
    activity_per_cmdr,
    activity_summary,
    cmdr_activity,
    faction_activity_by_tick,
    ground_czs,
    influence_by_faction,
    leaderboard,
    objective_systems_not_visited,
    ranked,
    reading,
    space_czs,
    systems_worked,
    thargoid_war,
    war_totals,
)
from bgs.ticks import galaxy_tick, guild_tick
from cogs._activity_views import (
    leaderboard_entry,
    marked_systems,
    only,
    result_reply,
    system_entry,
    unvisited_entry,
)
from cogs._autocomplete import choices, name_choices
from cogs._bot import Warden
from cogs._charts import MAX_BARS, chart_file, faction_ticks_png, leaderboard_png
from cogs._checks import tenant_of, warden
from cogs._errors import UserError
from cogs._harm import harm_marks
from cogs._member_views import cmdr_text
from cogs._render import (
    ALL_SECTIONS,
    TOP,
    cz_lines,
    cz_system,
    metric_figures,
    ranked_contributors,
    section_lines,
    top_sections,
)
from cogs._ui import Reply, plain, send, when

log = logging.getLogger(__name__)

EVERY_CMDR: Final = "*"  # /activity cmdr's value for every cmdr
CHART_TICKS: Final = 10  # ticks shown by /activity summary's chart
METRIC_CHOICES: Final = [
    app_commands.Choice(name=metric.label, value=metric.key) for metric in METRICS
]
METRIC_BY_KEY: Final = {metric.key: metric for metric in METRICS}
PERIOD_HELP: Final = "Which period, or a tick from the list (default: the current tick)"


def _option(text: str | None) -> str | None:
    """A text option, trimmed; blank means not given."""
    return (text or "").strip() or None


async def begin(interaction: discord.Interaction, session: AsyncSession, period: str) -> Period:
    """Resolve the period (an ephemeral error if unknown), then defer the public reply."""
    resolved = await resolve_period(session, period)
    await interaction.response.defer()
    return resolved


async def everyone(session: AsyncSession, period: Period, harm: HarmSummary) -> Reply:
    """Every cmdr's tallied activity, ranked."""
    counts = await activity_per_cmdr(session, period)
    by_cmdr = war_totals(await thargoid_war(session, period), lambda row: row.cmdr)
    cmdrs = len(counts.keys() | by_cmdr.keys())
    return result_reply(
        "👥 Activity by cmdr",
        period,
        ranked_contributors(counts, harm_marks(harm, by="cmdr"), war=by_cmdr),
        nothing="No cmdr's activity was reported in this period.",
        footer=f"{cmdrs} cmdr(s) · one cmdr's details: /activity cmdr cmdr:<name>",
    )


async def cmdr_lines(
    session: AsyncSession, period: Period, faction: str | None, name: str, harm: HarmSummary
) -> list[str]:
    """One cmdr's totals and tallies by system (marked with harm)."""
    metrics = await leaderboard(session, period, faction, cmdr=name)
    lines = ["**Totals**", metric_figures(metrics[0])] if metrics else []
    activity = [
        FactionActivity(tally.system, tally.faction, None, None, tally.counts)
        for tally in await cmdr_activity(session, period, name)
    ]
    war = war_totals(await thargoid_war(session, period, cmdr=name), lambda row: row.system)
    mine = only(harm, system=None, faction=None, cmdr=name)
    by_system = marked_systems(activity, mine, influence=False, war=war)
    if by_system:
        lines += [*([""] if lines else []), "**By system** (BGS-Tally)", *by_system]
    return lines


def own_cmdrs(period: Period, sections: dict[str, list[str]]) -> Reply:
    """One cmdr's lines, or several cmdrs' (a member's own), each under its name."""
    if len(sections) == 1:
        [(name, lines)] = sections.items()
        return result_reply(
            f"👤 CMDR {plain(name)}",
            period,
            lines,
            nothing=f"Nothing from CMDR {plain(name)} in this period.",
        )
    lines = []
    for name, section in sections.items():
        if section:
            lines += [f"__**{cmdr_text(name)}**__", *section, ""]
    listed = ", ".join(cmdr_text(name) for name in sections)
    return result_reply(
        "👤 Your cmdrs", period, lines[:-1], nothing=f"Nothing from {listed} in this period."
    )


# --------------------------------------------------------------------------------------------
# The cog
# --------------------------------------------------------------------------------------------


class Activity(commands.Cog):
    activity = app_commands.Group(name="activity", description="What the squadron did")
    cz = app_commands.Group(name="cz", description="Conflict zones fought by members")

    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    # -- /activity ----------------------------------------------------------------------------

    @activity.command(name="summary", description="Squadron totals by system → faction")
    @app_commands.describe(
        period=PERIOD_HELP,
        system="Only this system",
        faction="Only this faction",
        chart="Attach a chart of our faction's activity over the last ticks",
    )
    async def summary(
        self,
        interaction: discord.Interaction,
        period: str = DEFAULT_PERIOD,
        system: str | None = None,
        faction: str | None = None,
        chart: bool = False,
    ) -> None:
        tenant = tenant_of(interaction)
        system, faction = _option(system), _option(faction)
        if chart and not tenant.faction:
            raise UserError(
                "The chart shows our faction's activity, and this server has no faction set. "
                "An officer can set it with `/config faction`; leave `chart` off meanwhile."
            )
        async with reading(warden(interaction).services.db, tenant.guild_id) as session:
            resolved = await begin(interaction, session, period)
            rows = await activity_summary(session, resolved, system, faction)
            war = [] if faction else await thargoid_war(session, resolved, system=system)
            harm = only(await harm_in(session, resolved), system=system, faction=faction)
            ticks = (
                await faction_activity_by_tick(session, tenant.faction, CHART_TICKS)
                if chart and tenant.faction
                else []
            )
        files = []
        if ticks and tenant.faction:
            draw = partial(faction_ticks_png, tenant.faction, ticks)
            files.append(await chart_file(draw, "activity.png"))
        where = "".join(
            [f" in {plain(system)}" if system else "", f" for {plain(faction)}" if faction else ""]
        )
        by_system = war_totals(war, lambda row: row.system)
        systems = {row.system for row in rows} | by_system.keys()
        notes = [f"{len(systems)} system(s), {len(rows)} faction(s)"]
        notes.append("state and influence as members last reported them")
        if chart and not ticks:
            notes.append("no chart: no tick is known yet")
        reply = result_reply(
            f"📊 Squadron activity{where}",
            resolved,
            marked_systems(rows, harm, influence=True, war=by_system),
            nothing=f"No activity{where} reported by members in this period.",
            footer=" · ".join(notes),
            files=files,
        )
        await send(interaction, reply)

    @activity.command(name="cmdr", description="One cmdr's contributions (default: yours)")
    @app_commands.describe(
        cmdr="The cmdr (default: your own; * lists every cmdr)", period=PERIOD_HELP
    )
    async def cmdr(
        self,
        interaction: discord.Interaction,
        cmdr: str | None = None,
        period: str = DEFAULT_PERIOD,
    ) -> None:
        tenant = tenant_of(interaction)
        name = _option(cmdr)
        async with reading(warden(interaction).services.db, tenant.guild_id) as session:
            resolved = await begin(interaction, session, period)
            if name is None:
                names = await my_cmdrs(session, interaction.user.id)
            else:
                names = [] if name == EVERY_CMDR else [name]
            harm = await harm_in(session, resolved)
            if names:
                lines = {
                    one: await cmdr_lines(session, resolved, tenant.faction, one, harm)
                    for one in names
                }
                reply = own_cmdrs(resolved, lines)
            else:
                reply = await everyone(session, resolved, harm)
        await send(interaction, reply)

    @activity.command(
        name="systems",
        description="Systems worked, data age, unvisited objective systems",
    )
    @app_commands.describe(period=PERIOD_HELP)
    async def systems(self, interaction: discord.Interaction, period: str = DEFAULT_PERIOD) -> None:
        tenant = tenant_of(interaction)
        db = warden(interaction).services.db
        own = await guild_tick(db, tenant.guild_id, await galaxy_tick(db))
        tick_time = own.tick_time if own else None
        async with reading(db, tenant.guild_id) as session:
            resolved = await begin(interaction, session, period)
            worked = await systems_worked(session, resolved, tick_time)
            unvisited = await objective_systems_not_visited(session, tick_time, datetime.now(UTC))
        since = "since the tick" if tick_time else "yet"
        lines = []
        if worked or unvisited:
            lines = [f"**Systems worked** ({len(worked)})"]
            lines += [system_entry(data) for data in worked] or ["None in this period."]
            if unvisited:
                lines += ["", f"**Objective systems nobody visited {since}**"]
                lines += [unvisited_entry(system) for system in unvisited]
        tick = f"**Galaxy tick:** {when(tick_time)}" if tick_time else "**Galaxy tick:** not known"
        reply = result_reply(
            "🗺️ Systems",
            resolved,
            lines,
            nothing="No member reported from any system in this period.",
            header=[tick],
        )
        await send(interaction, reply)

    # -- /leaderboard and /top5 ---------------------------------------------------------------

    @app_commands.command(
        name="leaderboard", description="Cmdrs ranked by one metric, with a chart"
    )
    @app_commands.describe(
        period=PERIOD_HELP, metric="Rank by (default: trade volume)", system="Only this system"
    )
    @app_commands.choices(metric=METRIC_CHOICES)
    async def leaderboard_command(
        self,
        interaction: discord.Interaction,
        period: str = DEFAULT_PERIOD,
        metric: str = DEFAULT_METRIC,
        system: str | None = None,
    ) -> None:
        tenant = tenant_of(interaction)
        system = _option(system)
        if metric not in METRIC_KEYS:
            raise UnknownMetricError(metric)
        chosen = METRIC_BY_KEY[metric]
        if metric == "influence" and not tenant.faction:
            raise UserError(
                "Influence is counted for our faction, and this server has no faction set. An "
                "officer can set it with `/config faction`."
            )
        async with reading(warden(interaction).services.db, tenant.guild_id) as session:
            resolved = await begin(interaction, session, period)
            rows = await leaderboard(session, resolved, tenant.faction, system=system)
            names = await members_of(session, {row.cmdr for row in rows})
        rows = ranked(rows, metric)
        where = f" in {plain(system)}" if system else ""
        chart_where = f" in {system}" if system else ""  # matplotlib draws it literally
        bars = [(row.cmdr, float(row.value(metric))) for row in rows if row.value(metric)]
        files = []
        if bars:
            unit = f" ({chosen.unit})" if chosen.unit else ""
            title = f"{chosen.label}{chart_where} · {resolved.label}"
            draw = partial(leaderboard_png, title, chosen.label + unit, bars)
            files.append(await chart_file(draw, "leaderboard.png"))
        header = [f"**Ranked by:** {chosen.label}"]
        if rows and not bars:
            header.append(f"Nobody has any {chosen.label.lower()} in this period: no chart.")
        footer = f"{len(rows)} cmdr(s)"
        if len(bars) > MAX_BARS:
            footer += f" · the chart shows the top {MAX_BARS}"
        reply = result_reply(
            f"🏆 Leaderboard{where}",
            resolved,
            [
                leaderboard_entry(place, row, chosen, names.get(row.cmdr))
                for place, row in enumerate(rows, start=1)
            ],
            nothing=f"No cmdr did anything{where} in this period.",
            header=header,
            footer=footer,
            files=files,
        )
        await send(interaction, reply)

    @app_commands.command(name="top5", description="The five best cmdrs of every metric")
    @app_commands.describe(period=PERIOD_HELP)
    async def top5(self, interaction: discord.Interaction, period: str = DEFAULT_PERIOD) -> None:
        tenant = tenant_of(interaction)
        async with reading(warden(interaction).services.db, tenant.guild_id) as session:
            resolved = await begin(interaction, session, period)
            rows = await leaderboard(session, resolved, tenant.faction)
            by_faction = await influence_by_faction(session, resolved, limit=TOP)
        sections = top_sections(rows, by_faction, tenant.faction, ALL_SECTIONS)
        reply = result_reply(
            "🏅 Top 5",
            resolved,
            section_lines(sections),
            nothing="No cmdr did anything in this period.",
        )
        await send(interaction, reply)

    # -- /cz ----------------------------------------------------------------------------------

    @cz.command(name="space", description="Space CZs by type, faction and cmdr")
    @app_commands.describe(period=PERIOD_HELP, system="Only this system")
    async def cz_space(
        self,
        interaction: discord.Interaction,
        period: str = DEFAULT_PERIOD,
        system: str | None = None,
    ) -> None:
        await self._czs(interaction, period, _option(system), ground=False)

    @cz.command(name="ground", description="Ground CZs by type, settlement and cmdr")
    @app_commands.describe(period=PERIOD_HELP, system="Only this system")
    async def cz_ground(
        self,
        interaction: discord.Interaction,
        period: str = DEFAULT_PERIOD,
        system: str | None = None,
    ) -> None:
        await self._czs(interaction, period, _option(system), ground=True)

    async def _czs(
        self, interaction: discord.Interaction, period: str, system: str | None, *, ground: bool
    ) -> None:
        tenant = tenant_of(interaction)
        async with reading(warden(interaction).services.db, tenant.guild_id) as session:
            resolved = await begin(interaction, session, period)
            systems = (
                await ground_czs(session, resolved, system)
                if ground
                else await space_czs(session, resolved, system)
            )
        kind, title = ("ground CZs", "🪖 Ground CZs") if ground else ("space CZs", "🚀 Space CZs")
        where = f" in {plain(system)}" if system else ""
        blocks = [
            "\n".join([f"__{plain(cz_system(czs))}__", *cz_lines(czs), ""]) for czs in systems
        ]
        reply = result_reply(
            title + where, resolved, blocks, nothing=f"No {kind}{where} in this period."
        )
        await send(interaction, reply)

    # -- autocomplete -------------------------------------------------------------------------

    @summary.autocomplete("period")
    @cmdr.autocomplete("period")
    @systems.autocomplete("period")
    @leaderboard_command.autocomplete("period")
    @top5.autocomplete("period")
    @cz_space.autocomplete("period")
    @cz_ground.autocomplete("period")
    async def _periods(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(interaction, period_choices, current)

    @summary.autocomplete("system")
    @leaderboard_command.autocomplete("system")
    @cz_space.autocomplete("system")
    @cz_ground.autocomplete("system")
    async def _systems(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, system_names, current)

    @summary.autocomplete("faction")
    async def _factions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, faction_names, current)

    @cmdr.autocomplete("cmdr")
    async def _cmdrs(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await name_choices(interaction, cmdr_names, current)
        if current.strip() in ("", EVERY_CMDR):
            choices = [app_commands.Choice(name="* every cmdr", value=EVERY_CMDR), *choices[:24]]
        return choices


async def setup(bot: Warden) -> None:
    await bot.add_cog(Activity(bot))
