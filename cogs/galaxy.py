"""The galaxy as EDDN and members' jumps show it: `/system show`, `/system find`, `/faction show`
and `/faction chart`, and the galaxy alerts the outbox hands over (`bgs.galaxy.alerts`).

The galaxy tables are shared by every guild (`Database.unscoped()`); only the default faction
of `/faction show` and `/faction chart` comes from the guild's settings.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands

from bgs.galaxy import alerts as galaxy_alerts
from bgs.galaxy.find import (
    STATE_KINDS,
    Filters,
    FindPage,
    faction_names,
    find_systems,
    parse_state,
    power_names,
    system_names,
)
from bgs.galaxy.views import (
    chart_since,
    faction_chart,
    faction_view,
    find_system,
    system_chart,
    system_view,
)
from bgs.outbox import Entry
from cogs._autocomplete import galaxy_choices
from cogs._bot import Warden
from cogs._charts import chart_file, influence_png
from cogs._checks import tenant_of, warden
from cogs._errors import UserError
from cogs._galaxy_alerts import post_alert
from cogs._galaxy_views import (
    UNKNOWN,
    faction_lines,
    found_lines,
    system_lines,
    text,
)
from cogs._outbox import Outcome
from cogs._ui import Pager, Reply, embed, pages, send

log = logging.getLogger(__name__)

DEFAULT_DAYS: Final = 30
STATES: Final = (
    "Boom", "Bust", "CivilLiberty", "CivilUnrest", "CivilWar", "Drought", "Election",
    "Expansion", "Famine", "InfrastructureFailure", "Investment", "Lockdown", "NaturalDisaster",
    "Outbreak", "PirateAttack", "PublicHoliday", "Retreat", "Terrorism", "War",
)  # fmt: skip


class Galaxy(commands.Cog):
    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    system = app_commands.Group(name="system", description="Systems as EDDN and members see them")
    faction = app_commands.Group(name="faction", description="A faction's systems and influence")

    async def cog_load(self) -> None:
        self.bot.outbox.handlers[galaxy_alerts.ALERT_KIND] = self.post_alert

    async def cog_unload(self) -> None:
        del self.bot.outbox.handlers[galaxy_alerts.ALERT_KIND]

    async def post_alert(self, entry: Entry) -> Outcome:
        return await post_alert(self.bot, entry)

    # -- /system ------------------------------------------------------------------------------

    @system.command(name="show", description="A system's factions, influence, states, conflicts")
    @app_commands.describe(system="The system's name")
    async def system_show(self, interaction: discord.Interaction, system: str) -> None:
        async with warden(interaction).services.db.unscoped() as session:
            view = await system_view(session, system)
        if view is None:
            raise UserError(f"The system **{text(system)}** is {UNKNOWN}.")
        header, lines = system_lines(view)
        title = f"🪐 {view.system.name}"
        await send(interaction, Reply(pages(title, lines, header=header)))

    @system.command(name="find", description="Systems matching every filter given")
    @app_commands.describe(
        faction="A faction present in the system",
        controlling_faction="The faction controlling the system",
        power="A power controlling or present in the system",
        state="A state of a faction there (of `faction` if given): Boom, pending:Expansion …",
        conflict="In a current conflict (of `faction` if given), or not",
        population_min="At least this many people",
        population_max="At most this many people",
    )
    async def system_find(
        self,
        interaction: discord.Interaction,
        faction: str | None = None,
        controlling_faction: str | None = None,
        power: str | None = None,
        state: str | None = None,
        conflict: bool | None = None,
        population_min: app_commands.Range[int, 0] | None = None,
        population_max: app_commands.Range[int, 0] | None = None,
    ) -> None:
        if state is not None:
            try:
                parse_state(state)
            except ValueError as exc:
                raise UserError(str(exc)) from None
        filters = Filters(
            faction=faction,
            controlling_faction=controlling_faction,
            power=power,
            state=state,
            conflict=conflict,
            population_min=population_min,
            population_max=population_max,
        )
        db = warden(interaction).services.db

        async def page(index: int) -> FindPage:
            async with db.unscoped() as session:
                return await find_systems(session, filters, index)

        first = await page(0)
        if not first.total:
            raise UserError("No system seen on EDDN or by members matches every filter given.")
        await Pager(interaction.user.id, first.pages, _find_page(page)).send(interaction)

    # -- /faction -----------------------------------------------------------------------------

    def _faction_of(self, interaction: discord.Interaction, faction: str | None) -> str:
        chosen = faction or tenant_of(interaction).faction
        if not chosen:
            raise UserError(
                "Name a faction: this server has no faction set (an officer sets it with "
                "`/config faction`)."
            )
        return chosen

    @faction.command(name="show", description="A faction's systems, most at risk first")
    @app_commands.describe(faction="The faction (default: this server's)")
    async def faction_show(
        self, interaction: discord.Interaction, faction: str | None = None
    ) -> None:
        name = self._faction_of(interaction, faction)
        async with warden(interaction).services.db.unscoped() as session:
            view = await faction_view(session, name)
        if view is None or not view.systems:
            raise UserError(f"The faction **{text(name)}** is {UNKNOWN}.")
        header, lines = faction_lines(view)
        await send(interaction, Reply(pages(f"🏛️ {view.faction}", lines, header=header)))

    @faction.command(name="chart", description="Influence history as a picture")
    @app_commands.describe(
        faction="The faction (default: this server's)",
        system="One system: every faction's influence there (default: the faction's systems)",
        days="How many days back (default 30)",
    )
    async def faction_chart(
        self,
        interaction: discord.Interaction,
        faction: str | None = None,
        system: str | None = None,
        days: app_commands.Range[int, 1, 365] = DEFAULT_DAYS,
    ) -> None:
        name = (
            None
            if system is not None and faction is None
            else self._faction_of(interaction, faction)
        )
        since = chart_since(datetime.now(UTC), days)
        async with warden(interaction).services.db.unscoped() as session:
            if system is not None:
                found = await find_system(session, system)
                if found is None:
                    raise UserError(f"The system **{text(system)}** is {UNKNOWN}.")
                title = f"Influence in {found.name}, last {days} days"
                series = await system_chart(session, found.system_address, since)
            else:
                assert name is not None
                view = await faction_view(session, name)
                if view is None or not view.systems:
                    raise UserError(f"The faction **{text(name)}** is {UNKNOWN}.")
                title = f"{view.faction}: influence, last {days} days"
                series = await faction_chart(session, view, since)
        if not series:
            raise UserError(
                f"No influence history in the last {days} days: history is kept for the "
                "systems a server watches (its factions', objectives' and members' systems)."
            )
        await interaction.response.defer()
        file = await chart_file(
            lambda: influence_png(title, series, highlight=name), "influence.png"
        )
        await send(interaction, Reply(files=[file]))

    # -- autocomplete -------------------------------------------------------------------------

    @system_show.autocomplete("system")
    @faction_chart.autocomplete("system")
    async def _systems(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await galaxy_choices(interaction, system_names, current)

    @faction_show.autocomplete("faction")
    @faction_chart.autocomplete("faction")
    @system_find.autocomplete("faction")
    @system_find.autocomplete("controlling_faction")
    async def _factions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await galaxy_choices(interaction, faction_names, current)

    @system_find.autocomplete("power")
    async def _powers(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await galaxy_choices(interaction, power_names, current)

    @system_find.autocomplete("state")
    async def _states(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        found = [
            state if kind == "active" else f"{kind}:{state}"
            for kind in STATE_KINDS
            for state in STATES
        ]
        return [
            app_commands.Choice(name=value, value=value)
            for value in found
            if typed in value.lower()
        ][:25]


def _find_page(
    page: Callable[[int], Awaitable[FindPage]],
) -> Callable[[int], Awaitable[discord.Embed]]:
    async def shown(index: int) -> discord.Embed:
        found = await page(index)
        return embed(
            "🔭 Systems found",
            f"{found.total} system(s) match; {found.page * found.page_size + 1}–"
            f"{found.page * found.page_size + len(found.systems)} by name\n"
            + "\n".join(found_lines(found)),
            footer=f"page {found.page + 1}/{found.pages}",
        )

    return shown


async def setup(bot: Warden) -> None:
    await bot.add_cog(Galaxy(bot))
