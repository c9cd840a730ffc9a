"""Objectives in Discord: `/objective list|show` for everyone; `create`, `edit`, `delete`,
`target-add|target-remove` and `settlement-add|settlement-remove` for officers (the group is
visible to members, the officer subcommands are refused at run time).

Progress is computed by `bgs.objectives` from members' events; this module only lays it out,
the way BGS-Tally shows objectives in game (`bgstally-api.md` §7.4): priority as `[★★★☆☆]`,
each target as `[overall / goal unit] label`, `[✓]` once done, `[•]` for a visit not made yet,
`∞` for an open-ended goal, numbers abbreviated (250K, 1.2M). The post-tick summary
(`cogs.announcements`) uses the same lines through `progress_lines`.

Option values are parsed before anything is read or written: an objective, target or
settlement is chosen from autocomplete (its id is the value), dates are `YYYY-MM-DD` or
`YYYY-MM-DD HH:MM` in UTC. What the domain refuses (`ObjectiveError`) is shown verbatim and
ephemerally by the tree's error handler. Every change is logged with who made it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bgs.names import faction_names, system_names
from bgs.objectives import (
    MAX_PRIORITY,
    OBJECTIVE_TYPES,
    TARGET_TYPES,
    TITLE_LENGTH,
    add_settlement,
    add_target,
    check_name,
    create_objective,
    delete_objective,
    edit_objective,
    get_objective,
    list_objectives,
    objective_choices,
    remove_settlement,
    remove_target,
    settlement_choices,
    target_choices,
)
from bgs.unchanged import UNCHANGED, Keep
from cogs._autocomplete import name_choices
from cogs._bot import Warden
from cogs._checks import audit, officer_only, tenant_of, warden
from cogs._errors import UserError
from cogs._objective_views import DESCRIPTION_LENGTH, list_embeds, show_embeds
from cogs._options import DATE_FORMS, describe_changes, id_of, parse_id, parse_instant
from cogs._ui import Confirm, Reply, plain, send

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT: Final = 120.0  # seconds an officer has to confirm /objective delete

OBJECTIVE_TYPE_CHOICES: Final = [
    app_commands.Choice(name=f"{label} ({key})", value=key)
    for key, label in OBJECTIVE_TYPES.items()
]
TARGET_TYPE_CHOICES: Final = [
    app_commands.Choice(name=f"{kind.label} ({key})", value=key)
    for key, kind in TARGET_TYPES.items()
]


# --------------------------------------------------------------------------------------------
# The cog
# --------------------------------------------------------------------------------------------


class Objectives(commands.Cog):
    objective = app_commands.Group(
        name="objective", description="Squadron objectives: progress for all, changes by officers"
    )

    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    async def _changed(
        self, interaction: discord.Interaction, objective_id: int, text: str
    ) -> None:
        """Answer an officer's change: what was done, and the objective as it is now."""
        now = datetime.now(UTC)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(tenant.guild_id) as session:
            objective = await get_objective(session, objective_id, now=now)
        embeds = show_embeds(objective, now)
        await send(interaction, Reply(embeds, content=text, ephemeral=True))

    # -- reading ------------------------------------------------------------------------------

    @objective.command(name="list", description="Objectives with their overall progress")
    @app_commands.describe(
        active="Only objectives running now (default: yes)",
        system="Only objectives about this system",
        faction="Only objectives about this faction",
    )
    async def list_command(
        self,
        interaction: discord.Interaction,
        active: bool = True,
        system: str | None = None,
        faction: str | None = None,
    ) -> None:
        system_name = check_name(system, "system")
        faction_name = check_name(faction, "faction")
        await interaction.response.defer()
        now = datetime.now(UTC)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(tenant.guild_id) as session:
            objectives = await list_objectives(
                session, now=now, active_only=active, system=system_name, faction=faction_name
            )
        embeds = list_embeds(
            objectives, now, active=active, system=system_name, faction=faction_name
        )
        await send(interaction, Reply(embeds))

    @objective.command(name="show", description="One objective: targets, progress, top cmdrs")
    @app_commands.describe(objective="The objective (type part of its title)")
    async def show(self, interaction: discord.Interaction, objective: str) -> None:
        # Not deferred: an unknown objective must be answered ephemerally, and one objective's
        # progress is a single indexed query (bench/objectives.py).
        objective_id = parse_id(objective, "objective")
        now = datetime.now(UTC)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(tenant.guild_id) as session:
            progress = await get_objective(session, objective_id, now=now)
        await send(interaction, Reply(show_embeds(progress, now)))

    # -- officers: the objective --------------------------------------------------------------

    @officer_only
    @objective.command(name="create", description="Create an objective (officers)")
    @app_commands.rename(objective_type="type")
    @app_commands.choices(objective_type=OBJECTIVE_TYPE_CHOICES)
    @app_commands.describe(
        title="Headline members see in Discord and in game",
        objective_type="What the squadron is to achieve",
        system="Default system of its targets",
        faction="Default faction of its targets",
        priority=f"0-{MAX_PRIORITY}, shown as stars; higher comes first (default 0)",
        start=f"Start: {DATE_FORMS}; default now",
        end=f"End: {DATE_FORMS}; a bare date lasts all day; default none",
        description="A sentence shown under the title",
    )
    async def create(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, TITLE_LENGTH],
        objective_type: str,
        system: str | None = None,
        faction: str | None = None,
        priority: app_commands.Range[int, 0, MAX_PRIORITY] = 0,
        start: str | None = None,
        end: str | None = None,
        description: app_commands.Range[str, 1, DESCRIPTION_LENGTH] | None = None,
    ) -> None:
        starts_at = parse_instant(start, "start") if start is not None else None
        ends_at = parse_instant(end, "end", end_of_day=True) if end is not None else None
        await interaction.response.defer(ephemeral=True)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            objective_id = await create_objective(
                session,
                title=title,
                objective_type=objective_type,
                system=system,
                faction=faction,
                priority=priority,
                starts_at=starts_at,
                ends_at=ends_at,
                description=description,
                created_by=interaction.user.id,
            )
        audit(
            interaction,
            f"created objective #{objective_id} ({title!r}, {objective_type}, system {system!r}, "
            f"faction {faction!r}, priority {priority}, {starts_at or 'now'} → {ends_at})",
        )
        await self._changed(
            interaction,
            objective_id,
            "Objective created. Add what counts towards it with `/objective target-add`.",
        )

    @officer_only
    @objective.command(name="edit", description="Change an objective's fields (officers)")
    @app_commands.rename(objective_type="type")
    @app_commands.choices(objective_type=OBJECTIVE_TYPE_CHOICES)
    @app_commands.describe(
        objective="The objective (type part of its title)",
        title="New headline",
        objective_type="New objective type",
        system="New default system of its targets",
        faction="New default faction of its targets",
        priority=f"New priority, 0-{MAX_PRIORITY}",
        start=f"New start: {DATE_FORMS}",
        end=f"New end: {DATE_FORMS}; a bare date lasts all day",
        description="New description",
        clear_end="Remove the end date: the objective runs until deleted",
        clear_description="Remove the description",
    )
    async def edit(
        self,
        interaction: discord.Interaction,
        objective: str,
        title: app_commands.Range[str, 1, TITLE_LENGTH] | None = None,
        objective_type: str | None = None,
        system: str | None = None,
        faction: str | None = None,
        priority: app_commands.Range[int, 0, MAX_PRIORITY] | None = None,
        start: str | None = None,
        end: str | None = None,
        description: app_commands.Range[str, 1, DESCRIPTION_LENGTH] | None = None,
        clear_end: bool = False,
        clear_description: bool = False,
    ) -> None:
        objective_id = parse_id(objective, "objective")
        if end is not None and clear_end:
            raise UserError("Give a new end or clear_end, not both; nothing was changed.")
        if description is not None and clear_description:
            raise UserError(
                "Give a new description or clear_description, not both; nothing was changed."
            )
        given: dict[str, Any] = {
            "title": title,
            "objective_type": objective_type,
            "system": system,
            "faction": faction,
            "priority": priority,
            "starts_at": parse_instant(start, "start") if start is not None else None,
            "ends_at": parse_instant(end, "end", end_of_day=True) if end is not None else None,
            "description": description,
        }
        changes = {field: value for field, value in given.items() if value is not None}
        if clear_end:
            changes["ends_at"] = None
        if clear_description:
            changes["description"] = None
        if not changes:
            raise UserError(
                "Nothing to change: give at least one new value (title, type, system, faction, "
                "priority, start, end, description) or clear_end / clear_description."
            )
        await interaction.response.defer(ephemeral=True)
        tenant = tenant_of(interaction)
        keep: dict[str, Keep] = {field: UNCHANGED for field in given if field not in changes}
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            await edit_objective(session, objective_id, **changes, **keep)
        audit(interaction, f"edited objective #{objective_id}: {describe_changes(changes)}")
        await self._changed(interaction, objective_id, "Objective updated.")

    @officer_only
    @objective.command(name="delete", description="Delete an objective (officers; asks first)")
    @app_commands.describe(objective="The objective (type part of its title)")
    async def delete(self, interaction: discord.Interaction, objective: str) -> None:
        objective_id = parse_id(objective, "objective")
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(tenant.guild_id) as session:
            progress = await get_objective(session, objective_id, now=datetime.now(UTC))
        count = len(progress.targets)
        targets = f"its {count} target{'' if count == 1 else 's'}" if count else "no targets"
        title = plain(progress.title)

        async def delete_it(pressed: discord.Interaction) -> str:
            async with warden(pressed).services.db.tenant_write(tenant.guild_id) as session:
                deleted = await delete_objective(session, objective_id)
            audit(pressed, f"deleted objective #{objective_id} ({deleted!r})")
            return (
                f"Deleted the objective **{plain(deleted)}** with its targets; "
                "the plugin drops it at its next poll."
            )

        view = Confirm(
            interaction,
            verb="Delete",
            command="/objective delete",
            action=delete_it,
            cancelled=f"Nothing was deleted: **{title}** stays.",
            timed_out=f"No answer in time; nothing was deleted: **{title}** stays. "
            "Run /objective delete again to delete it.",
            timeout=CONFIRM_TIMEOUT,
        )
        await interaction.response.send_message(
            f"Delete the objective **{title}** ({targets})? Members stop seeing it in "
            "Discord and in game.",
            view=view,
            ephemeral=True,
        )

    # -- officers: targets and settlements ----------------------------------------------------

    @officer_only
    @objective.command(name="target-add", description="Add a target to an objective (officers)")
    @app_commands.rename(target_type="type")
    @app_commands.choices(target_type=TARGET_TYPE_CHOICES)
    @app_commands.describe(
        objective="The objective (type part of its title)",
        target_type="What counts towards the target",
        system="Its system (default: the objective's)",
        faction="Its faction (default: the objective's)",
        station="visit targets only: dock at this station",
        overall="Squadron goal; 0 = open-ended; negative inf = undermine",
        individual="Goal per cmdr; 0 = the squadron goal",
    )
    async def target_add(
        self,
        interaction: discord.Interaction,
        objective: str,
        target_type: str,
        system: str | None = None,
        faction: str | None = None,
        station: str | None = None,
        overall: int = 0,
        individual: int = 0,
    ) -> None:
        objective_id = parse_id(objective, "objective")
        await interaction.response.defer(ephemeral=True)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            target_id = await add_target(
                session,
                objective_id,
                target_type=target_type,
                system=system,
                faction=faction,
                station=station,
                target_overall=overall,
                target_individual=individual,
            )
        audit(
            interaction,
            f"added target #{target_id} to objective #{objective_id} ({target_type}, system "
            f"{system!r}, faction {faction!r}, station {station!r}, overall {overall}, "
            f"individual {individual})",
        )
        await self._changed(interaction, objective_id, f"Target #{target_id} added.")

    @officer_only
    @objective.command(
        name="target-remove", description="Remove a target from an objective (officers)"
    )
    @app_commands.describe(
        objective="The objective (type part of its title)", target="The target to remove"
    )
    async def target_remove(
        self, interaction: discord.Interaction, objective: str, target: str
    ) -> None:
        objective_id = parse_id(objective, "objective")
        target_id = parse_id(target, "target")
        await interaction.response.defer(ephemeral=True)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            await remove_target(session, objective_id, target_id)
        audit(interaction, f"removed target #{target_id} from objective #{objective_id}")
        await self._changed(interaction, objective_id, f"Target #{target_id} removed.")

    @officer_only
    @objective.command(
        name="settlement-add", description="Add a settlement to a ground_cz target (officers)"
    )
    @app_commands.describe(
        objective="The objective (type part of its title)",
        target="Its ground_cz target",
        name="The settlement's in-game name",
        overall="Squadron goal in wins; 0 = open-ended",
        individual="Goal per cmdr; 0 = the squadron goal",
    )
    async def settlement_add(
        self,
        interaction: discord.Interaction,
        objective: str,
        target: str,
        name: str,
        overall: int = 0,
        individual: int = 0,
    ) -> None:
        objective_id = parse_id(objective, "objective")
        target_id = parse_id(target, "target")
        await interaction.response.defer(ephemeral=True)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            settlement_id = await add_settlement(
                session,
                objective_id,
                target_id,
                name=name,
                target_overall=overall,
                target_individual=individual,
            )
        audit(
            interaction,
            f"added settlement #{settlement_id} ({name!r}, overall {overall}, individual "
            f"{individual}) to target #{target_id} of objective #{objective_id}",
        )
        await self._changed(interaction, objective_id, f"Settlement “{plain(name.strip())}” added.")

    @officer_only
    @objective.command(
        name="settlement-remove", description="Remove a settlement from a target (officers)"
    )
    @app_commands.describe(
        objective="The objective (type part of its title)", settlement="The settlement to remove"
    )
    async def settlement_remove(
        self, interaction: discord.Interaction, objective: str, settlement: str
    ) -> None:
        objective_id = parse_id(objective, "objective")
        settlement_id = parse_id(settlement, "settlement")
        await interaction.response.defer(ephemeral=True)
        tenant = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(tenant.guild_id) as session:
            await remove_settlement(session, objective_id, settlement_id)
        audit(interaction, f"removed settlement #{settlement_id} from objective #{objective_id}")
        await self._changed(interaction, objective_id, f"Settlement #{settlement_id} removed.")

    # -- autocomplete -------------------------------------------------------------------------

    @show.autocomplete("objective")
    @edit.autocomplete("objective")
    @delete.autocomplete("objective")
    @target_add.autocomplete("objective")
    @target_remove.autocomplete("objective")
    @settlement_add.autocomplete("objective")
    @settlement_remove.autocomplete("objective")
    async def _objectives(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            found = await objective_choices(session, current)
        return [app_commands.Choice(name=label, value=str(key)) for key, label in found]

    @target_remove.autocomplete("target")
    @settlement_add.autocomplete("target")
    async def _targets(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        objective_id = id_of(str(interaction.namespace.objective or ""))
        if objective_id is None or interaction.guild_id is None:
            return []
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            found = await target_choices(session, objective_id, current)
        return [app_commands.Choice(name=label, value=str(key)) for key, label in found]

    @settlement_remove.autocomplete("settlement")
    async def _settlements(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        objective_id = id_of(str(interaction.namespace.objective or ""))
        if objective_id is None or interaction.guild_id is None:
            return []
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            found = await settlement_choices(session, objective_id, current)
        return [app_commands.Choice(name=label, value=str(key)) for key, label in found]

    @list_command.autocomplete("system")
    @create.autocomplete("system")
    @edit.autocomplete("system")
    @target_add.autocomplete("system")
    async def _systems(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, system_names, current)

    @list_command.autocomplete("faction")
    @create.autocomplete("faction")
    @edit.autocomplete("faction")
    @target_add.autocomplete("faction")
    async def _factions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, faction_names, current)


async def setup(bot: Warden) -> None:
    await bot.add_cog(Objectives(bot))
