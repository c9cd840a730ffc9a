"""How objectives read, the way BGS-Tally shows them in game (`bgstally-api.md` §7.4): priority as
`[★★★☆☆]`, each target as `[overall / goal unit] label`, `[✓]` once done, `[•]` for a visit not
made yet, `∞` for an open-ended goal, numbers abbreviated (250K, 1.2M). `/objective list` and
`show` are laid out here, and the post-tick summary uses the same lines (`progress_lines`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

import discord

from bgs.objectives import (
    GROUND_CZ,
    INFLUENCE,
    MAX_PRIORITY,
    TARGET_TYPES,
    VISIT,
    ObjectiveProgress,
    TargetProgress,
    is_complete,
    target_label,
)
from cogs._ui import abbreviate, clip, pages, plain, progress_bar, ts


def stars(priority: int) -> str:
    """`[★★★☆☆]`, as the plugin shows a priority."""
    filled = max(0, min(MAX_PRIORITY, priority))
    return f"[{'★' * filled}{'☆' * (MAX_PRIORITY - filled)}]"


def amount_text(value: int, unit: str) -> str:
    return f"{abbreviate(value)} {unit}".rstrip()


def progress_bracket(target_type: str, progress: int, goal: int, unit: str, complete: bool) -> str:
    """`[✓]` / `[•]` for a visit; else `[250K / 1M CR]`, `[✓ 3 / 3 wins]`, `[12 / ∞ INF]`."""
    if target_type == VISIT:
        return "[✓]" if progress else "[•]"
    figures = f"{abbreviate(progress)} / {abbreviate(goal) if goal else '∞'} {unit}".rstrip()
    return f"[✓ {figures}]" if complete else f"[{figures}]"


def target_line(target: TargetProgress) -> str:
    """'[250K / 1M CR] Bounty vouchers · Alpha Defence Force · Test System Alpha'."""
    bracket = progress_bracket(
        target.type, target.progress, target.target_overall, target.kind.unit, target.complete
    )
    undermine = " (undermine)" if target.type == INFLUENCE and target.target_overall < 0 else ""
    label = target_label(
        target.type,
        _named(target.effective_system),
        _named(target.effective_faction),
        _named(target.station),
    )
    return f"{bracket} {label}{undermine}"


def _named(name: str | None) -> str | None:
    """A name from members' data or an officer, escaped; None stays None."""
    return None if name is None else plain(name)


def overall_bar(objective: ObjectiveProgress) -> str:
    """The mean completion of the measurable targets as a bar."""
    share = objective.completion
    if share is not None:
        return progress_bar(share, 1)
    return "open-ended" if objective.targets else "no targets yet"


def headline(objective: ObjectiveProgress) -> str:
    """'[★★★☆☆] **Win the war** ▰▰▰▱▱▱▱▱▱▱ 30%'."""
    return f"{stars(objective.priority)} **{plain(objective.title)}** " + overall_bar(objective)


def progress_lines(objectives: Iterable[ObjectiveProgress]) -> list[str]:
    """Each objective's headline and one line per target (the post-tick summary's section)."""
    lines: list[str] = []
    for objective in objectives:
        lines.append(headline(objective))
        lines += [f"• {target_line(target)}" for target in objective.targets]
    return lines


TOP_CONTRIBUTORS: Final = 5
DESCRIPTION_LENGTH: Final = 1000  # what /objective create and edit take; longer is cut when shown


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
    filters = [
        f"system {plain(system)}" if system else "",
        f"faction {plain(faction)}" if faction else "",
    ]
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
        return ["Visited by " + ", ".join(plain(c.cmdr) for c in top)]
    goal = target.target_individual or target.target_overall
    return [
        f"{place}. {plain(c.cmdr)} — {amount_text(c.amount, target.kind.unit)}"
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
        details.append(f"per cmdr {amount_text(target.target_individual, target.kind.unit)}")
    if details:
        lines.append(" · ".join(details))
    unit = TARGET_TYPES[GROUND_CZ].unit
    for s in target.settlements:
        bar = f" {progress_bar(s.completion, 1)}" if s.completion is not None else ""
        bracket = progress_bracket(GROUND_CZ, s.progress, s.target_overall, unit, s.complete)
        lines.append(f"› {bracket} {plain(s.name)}{bar}")
    return lines + _contributor_lines(target)


def show_embeds(objective: ObjectiveProgress, now: datetime) -> list[discord.Embed]:
    """/objective show: the objective's facts (repeated on every page), then each target."""
    header = []
    if objective.description:
        header.append(f"› {clip(plain(objective.description), DESCRIPTION_LENGTH)}")
    where = [plain(objective.faction or "any faction"), plain(objective.system or "any system")]
    header += [
        " · ".join([f"**{objective.type_label}**", *where]),
        _window(objective, "f") + _state(objective, now),
        f"Overall {overall_bar(objective)}",
    ]
    lines = [line for target in objective.targets for line in target_block(target)]
    if not lines:
        lines = ["", "No targets yet: officers add them with `/objective target-add`."]
    return pages(
        f"{stars(objective.priority)} {plain(objective.title)}",
        lines,
        header="\n".join(header),
        footer=f"Objective #{objective.id} · live progress from members' BGS-Tally data",
    )
