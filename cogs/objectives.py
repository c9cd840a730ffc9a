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
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bgs.names import faction_names, system_names
from bgs.objectives import (
    GROUND_CZ,
    INFLUENCE,
    MAX_PRIORITY,
    OBJECTIVE_TYPES,
    TARGET_TYPES,
    TITLE_LENGTH,
    UNCHANGED,
    VISIT,
    Keep,
    ObjectiveProgress,
    TargetProgress,
    add_settlement,
    add_target,
    check_name,
    create_objective,
    delete_objective,
    edit_objective,
    get_objective,
    is_complete,
    list_objectives,
    objective_choices,
    remove_settlement,
    remove_target,
    settlement_choices,
    target_choices,
)
from cogs._autocomplete import name_choices
from cogs._checks import audit, officer_only, tenant_of, warden
from cogs._errors import UserError
from cogs._ui import Confirm, Reply, abbreviate, clip, pages, progress_bar, send, ts

if TYPE_CHECKING:
    from bot import WardenBot

log = logging.getLogger(__name__)

TOP_CONTRIBUTORS: Final = 5
CONFIRM_TIMEOUT: Final = 120.0  # seconds an officer has to confirm /objective delete
DESCRIPTION_LENGTH: Final = 1000  # what /objective create and edit take; longer is cut when shown
ID_DIGITS: Final = 18  # a longer "id" cannot be a database id (BIGINT)
DATE_FORMAT: Final = "%Y-%m-%d"
DATE_TIME_FORMAT: Final = "%Y-%m-%d %H:%M"
DATE_FORMS: Final = "YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC)"

OBJECTIVE_TYPE_CHOICES: Final = [
    app_commands.Choice(name=f"{label} ({key})", value=key)
    for key, label in OBJECTIVE_TYPES.items()
]
TARGET_TYPE_CHOICES: Final = [
    app_commands.Choice(name=f"{kind.label} ({key})", value=key)
    for key, kind in TARGET_TYPES.items()
]


# --------------------------------------------------------------------------------------------
# Rendering (shared with the post-tick summary)
# --------------------------------------------------------------------------------------------


def stars(priority: int) -> str:
    """`[★★★☆☆]`, as the plugin shows a priority."""
    filled = max(0, min(MAX_PRIORITY, priority))
    return f"[{'★' * filled}{'☆' * (MAX_PRIORITY - filled)}]"


def _amount(value: int, unit: str) -> str:
    return f"{abbreviate(value)} {unit}".rstrip()


def _bracket(target_type: str, progress: int, goal: int, unit: str, complete: bool) -> str:
    """`[✓]` / `[•]` for a visit; else `[250K / 1M CR]`, `[✓ 3 / 3 wins]`, `[12 / ∞ INF]`."""
    if target_type == VISIT:
        return "[✓]" if progress else "[•]"
    figures = f"{abbreviate(progress)} / {abbreviate(goal) if goal else '∞'} {unit}".rstrip()
    return f"[✓ {figures}]" if complete else f"[{figures}]"


def target_line(target: TargetProgress) -> str:
    """'[250K / 1M CR] Bounty vouchers · Alpha Defence Force · Test System Alpha'."""
    bracket = _bracket(
        target.type, target.progress, target.target_overall, target.kind.unit, target.complete
    )
    undermine = " (undermine)" if target.type == INFLUENCE and target.target_overall < 0 else ""
    return f"{bracket} {target.label}{undermine}"


def overall_bar(objective: ObjectiveProgress) -> str:
    """The mean completion of the measurable targets as a bar."""
    share = objective.completion
    if share is not None:
        return progress_bar(share, 1)
    return "open-ended" if objective.targets else "no targets yet"


def headline(objective: ObjectiveProgress) -> str:
    """'[★★★☆☆] **Win the war** ▰▰▰▱▱▱▱▱▱▱ 30%'."""
    return f"{stars(objective.priority)} **{escape_markdown(objective.title)}** " + overall_bar(
        objective
    )


def progress_lines(objectives: Iterable[ObjectiveProgress]) -> list[str]:
    """Each objective's headline and one line per target (the post-tick summary's section)."""
    lines: list[str] = []
    for objective in objectives:
        lines.append(headline(objective))
        lines += [f"• {target_line(target)}" for target in objective.targets]
    return lines


def _state(objective: ObjectiveProgress, now: datetime) -> str:
    if objective.complete:
        return " · ✅ done"
    if objective.starts_at > now:
        return f" · starts {ts(objective.starts_at, 'R')}"
    if objective.ends_at is not None and objective.ends_at < now:
        return " · ended"
    return ""


def _window(objective: ObjectiveProgress, style: str) -> str:
    end = ts(objective.ends_at, style) if objective.ends_at is not None else "no end date"
    return f"{ts(objective.starts_at, style)} → {end}"


def list_line(objective: ObjectiveProgress, now: datetime) -> str:
    """One objective of /objective list."""
    return f"{headline(objective)} · {_window(objective, 'd')}{_state(objective, now)}"


def list_embeds(
    objectives: Sequence[ObjectiveProgress],
    now: datetime,
    *,
    active: bool,
    system: str | None,
    faction: str | None,
) -> list[discord.Embed]:
    filters = [f"system {system}" if system else "", f"faction {faction}" if faction else ""]
    about = " and ".join(filter(None, filters))
    header = f"About {about}." if about else ""
    if not objectives:
        which = "running objective" if active else "objective"
        more = (
            " `/objective list active:False` shows ended and upcoming ones too." if active else ""
        )
        lines = [f"No {which} found.{more}"]
    else:
        lines = [list_line(objective, now) for objective in objectives]
    count = f"{len(objectives)} objective{'' if len(objectives) == 1 else 's'}"
    return pages(
        "Running objectives" if active else "Objectives",
        lines,
        header=header,
        footer=f"{count} · /objective show for targets and contributors",
    )


def _contributor_lines(target: TargetProgress) -> list[str]:
    top = target.contributors[:TOP_CONTRIBUTORS]
    if not top:
        return ["No contributions yet."]
    if target.type == VISIT:
        return ["Visited by " + ", ".join(escape_markdown(c.cmdr) for c in top)]
    goal = target.target_individual or target.target_overall
    return [
        f"{place}. {escape_markdown(c.cmdr)} — {_amount(c.amount, target.kind.unit)}"
        + (" ✓" if is_complete(target.type, c.amount, goal) else "")
        for place, c in enumerate(top, start=1)
    ]


def target_block(target: TargetProgress) -> list[str]:
    """One target of /objective show: its line, bar and per-cmdr goal, settlements, top cmdrs."""
    lines = ["", f"**{target_line(target)}**"]
    details = []
    if target.type != VISIT and target.completion is not None:
        details.append(progress_bar(target.completion, 1))
    if target.target_individual:
        details.append(f"per cmdr {_amount(target.target_individual, target.kind.unit)}")
    if details:
        lines.append(" · ".join(details))
    unit = TARGET_TYPES[GROUND_CZ].unit
    for s in target.settlements:
        bar = f" {progress_bar(s.completion, 1)}" if s.completion is not None else ""
        bracket = _bracket(GROUND_CZ, s.progress, s.target_overall, unit, s.complete)
        lines.append(f"› {bracket} {escape_markdown(s.name)}{bar}")
    return lines + _contributor_lines(target)


def show_embeds(objective: ObjectiveProgress, now: datetime) -> list[discord.Embed]:
    """/objective show: the objective's facts (repeated on every page), then each target."""
    header = []
    if objective.description:
        header.append(f"› {clip(escape_markdown(objective.description), DESCRIPTION_LENGTH)}")
    where = [objective.faction or "any faction", objective.system or "any system"]
    header += [
        " · ".join([f"**{objective.type_label}**", *where]),
        _window(objective, "f") + _state(objective, now),
        f"Overall {overall_bar(objective)}",
    ]
    lines = [line for target in objective.targets for line in target_block(target)]
    if not lines:
        lines = ["", "No targets yet: officers add them with `/objective target-add`."]
    return pages(
        f"{stars(objective.priority)} {objective.title}",
        lines,
        header="\n".join(header),
        footer=f"Objective #{objective.id} · live progress from members' BGS-Tally data",
    )


# --------------------------------------------------------------------------------------------
# Parsing options
# --------------------------------------------------------------------------------------------


def _id(value: str) -> int | None:
    text = value.strip().removeprefix("#")
    if text.isascii() and text.isdigit() and len(text) <= ID_DIGITS:
        return int(text)
    return None


def parse_id(value: str, what: str) -> int:
    """The id an autocomplete choice carries; anything else is refused with what to do."""
    found = _id(value)
    if found is None:
        raise UserError(
            f"Pick the {what} from the list that appears as you type; “{value}” is not one."
        )
    return found


def parse_instant(value: str, what: str, *, end_of_day: bool = False) -> datetime:
    """`YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (UTC); a bare end date means the end of that day."""
    text = value.strip()
    for fmt in (DATE_TIME_FORMAT, DATE_FORMAT):
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if fmt == DATE_FORMAT and end_of_day:
            parsed += timedelta(days=1, seconds=-1)
        return parsed
    raise UserError(
        f"“{value}” is not a {what} I can read: use {DATE_FORMS}, e.g. 2026-11-20 or "
        "2026-11-20 18:00. Nothing was changed."
    )


def _given(changes: dict[str, Any]) -> str:
    return ", ".join(f"{field} {value!r}" for field, value in changes.items())


# --------------------------------------------------------------------------------------------
# The cog
# --------------------------------------------------------------------------------------------


class Objectives(commands.Cog):
    objective = app_commands.Group(
        name="objective", description="Squadron objectives: progress for all, changes by officers"
    )

    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot

    async def _changed(
        self, interaction: discord.Interaction, objective_id: int, text: str
    ) -> None:
        """Answer an officer's change: what was done, and the objective as it is now."""
        now = datetime.now(UTC)
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(guild.guild_id) as session:
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
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(guild.guild_id) as session:
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
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(guild.guild_id) as session:
            progress = await get_objective(session, objective_id, now=now)
        await send(interaction, Reply(show_embeds(progress, now)))

    # -- officers: the objective --------------------------------------------------------------

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
    @officer_only()
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
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(guild.guild_id) as session:
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
    @officer_only()
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
        guild = tenant_of(interaction)
        keep: dict[str, Keep] = {field: UNCHANGED for field in given if field not in changes}
        async with warden(interaction).services.db.tenant_write(guild.guild_id) as session:
            await edit_objective(session, objective_id, **changes, **keep)
        audit(interaction, f"edited objective #{objective_id}: {_given(changes)}")
        await self._changed(interaction, objective_id, "Objective updated.")

    @objective.command(name="delete", description="Delete an objective (officers; asks first)")
    @app_commands.describe(objective="The objective (type part of its title)")
    @officer_only()
    async def delete(self, interaction: discord.Interaction, objective: str) -> None:
        objective_id = parse_id(objective, "objective")
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant(guild.guild_id) as session:
            progress = await get_objective(session, objective_id, now=datetime.now(UTC))
        count = len(progress.targets)
        targets = f"its {count} target{'' if count == 1 else 's'}" if count else "no targets"
        title = escape_markdown(progress.title)

        async def delete_it(pressed: discord.Interaction) -> str:
            async with warden(pressed).services.db.tenant_write(guild.guild_id) as session:
                deleted = await delete_objective(session, objective_id)
            audit(pressed, f"deleted objective #{objective_id} ({deleted!r})")
            return (
                f"Deleted the objective **{escape_markdown(deleted)}** with its targets; "
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
    @officer_only()
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
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(guild.guild_id) as session:
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

    @objective.command(
        name="target-remove", description="Remove a target from an objective (officers)"
    )
    @app_commands.describe(
        objective="The objective (type part of its title)", target="The target to remove"
    )
    @officer_only()
    async def target_remove(
        self, interaction: discord.Interaction, objective: str, target: str
    ) -> None:
        objective_id = parse_id(objective, "objective")
        target_id = parse_id(target, "target")
        await interaction.response.defer(ephemeral=True)
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(guild.guild_id) as session:
            await remove_target(session, objective_id, target_id)
        audit(interaction, f"removed target #{target_id} from objective #{objective_id}")
        await self._changed(interaction, objective_id, f"Target #{target_id} removed.")

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
    @officer_only()
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
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(guild.guild_id) as session:
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
        await self._changed(interaction, objective_id, f"Settlement “{name.strip()}” added.")

    @objective.command(
        name="settlement-remove", description="Remove a settlement from a target (officers)"
    )
    @app_commands.describe(
        objective="The objective (type part of its title)", settlement="The settlement to remove"
    )
    @officer_only()
    async def settlement_remove(
        self, interaction: discord.Interaction, objective: str, settlement: str
    ) -> None:
        objective_id = parse_id(objective, "objective")
        settlement_id = parse_id(settlement, "settlement")
        await interaction.response.defer(ephemeral=True)
        guild = tenant_of(interaction)
        async with warden(interaction).services.db.tenant_write(guild.guild_id) as session:
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
        objective_id = _id(str(interaction.namespace.objective or ""))
        if objective_id is None or interaction.guild_id is None:
            return []
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            found = await target_choices(session, objective_id, current)
        return [app_commands.Choice(name=label, value=str(key)) for key, label in found]

    @settlement_remove.autocomplete("settlement")
    async def _settlements(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        objective_id = _id(str(interaction.namespace.objective or ""))
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


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(Objectives(bot))
