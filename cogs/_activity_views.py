"""How `/activity`, `/leaderboard`, `/top5` and `/cz` read: the period with its bounds on every
page, what an empty result says (and a wider period to try), ranked entries and system lines
marked with harm to protected factions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import discord

from bgs.periods import LABELS, NAMED_TICK, Period
from bgs.protected import HarmSummary
from bgs.summaries import (
    CmdrMetrics,
    FactionActivity,
    Metric,
    SystemData,
    ThargoidWar,
    UnvisitedSystem,
)
from cogs._harm import harm_marks
from cogs._render import marked, metric_figures, system_lines
from cogs._ui import Reply, age_text, embed, number, pages, plain, ts

# The next wider period to suggest when one is empty; `all` is always suggested too.
WIDER: Final = {
    "ct": "cw",
    "lt": "cw",
    "cd": "cw",
    "ld": "cw",
    "cw": "cm",
    "lw": "cm",
    "cm": "y",
    "lm": "y",
    "2m": "y",
    "y": "all",
    NAMED_TICK: "all",
}


def period_line(period: Period) -> str:
    """'**Period:** Current tick · Tick zoy-… from 2026-11-26 11:00 UTC (ongoing)'."""
    bounds = period.description
    if not bounds.startswith(period.label):
        bounds = f"{period.label} · {bounds}"
    return f"**Period:** {bounds}"


def empty_text(nothing: str, period: Period) -> str:
    """What an empty result says: what was not found, and a wider period to try."""
    wider = WIDER.get(period.code)
    if wider is None:
        return f"{nothing} Members' BGS-Tally has not sent any such data yet."
    options = [wider] if wider == "all" else [wider, "all"]
    suggestion = " or ".join(f"**{LABELS[code]}** (`{code}`)" for code in options)
    return f"{nothing} Try a wider period: {suggestion}."


def result_reply(
    title: str,
    period: Period,
    lines: Sequence[str],
    *,
    nothing: str,
    header: Sequence[str] = (),
    footer: str | None = None,
    files: Sequence[discord.File] = (),
) -> Reply:
    """The period (and `header`) on every page above `lines`; or, without lines, `nothing`
    and a wider period to try (a chart may still come: it has its own span)."""
    top = "\n".join([period_line(period), *header])
    if not lines:
        embeds = [embed(title, f"{top}\n\n{empty_text(nothing, period)}", footer=footer)]
    else:
        embeds = pages(title, lines, header=top + "\n", footer=footer)
    return Reply(embeds, files=list(files))


def metric_value(metric: Metric, value: int) -> str:
    """A ranked value, exact: '1,500,000 Cr', '+3 INF', '12'."""
    if metric.unit == "INF":
        return f"{value:+,} INF"
    return f"{number(value)} {metric.unit}".rstrip()


def leaderboard_entry(
    place: int, row: CmdrMetrics, metric: Metric, member: str | None = None
) -> str:
    """'**1. Ann** (Wingman) · Ann Smith — 500,000 Cr': the cmdr, their Inara squadron rank,
    the server name of the member they are linked to, the value; then the other figures."""
    rank = f" ({plain(row.squadron_rank)})" if row.squadron_rank else ""
    who = f" · {plain(member)}" if member else ""
    value = metric_value(metric, row.value(metric.key))
    return "\n".join(
        [
            f"**{place}. {plain(row.cmdr)}**{rank}{who} — {value}",
            metric_figures(row),
        ]
    )


def system_entry(data: SystemData) -> str:
    """'• **Alpha** — 25 events · newest <t:…:R> · ⚠️ 1 d 2 h before the tick'."""
    parts = [
        f"• **{plain(data.system)}** — {number(data.events)} "
        + ("event" if data.events == 1 else "events"),
        f"newest {ts(data.newest, 'R')}",
    ]
    age = data.age_at_tick
    if age is not None:
        parts.append("✅ since the tick" if data.fresh else f"⚠️ {age_text(age)} before the tick")
    return " · ".join(parts)


def unvisited_entry(system: UnvisitedSystem) -> str:
    objectives = ", ".join(plain(title) for title in system.objectives)
    return f"• **{plain(system.system)}** — {objectives}"


def marked_systems(
    activity: Sequence[FactionActivity],
    harm: HarmSummary,
    *,
    influence: bool,
    war: Mapping[str, ThargoidWar],
) -> list[str]:
    """Activity by system → faction (with each system's Thargoid-war work), each system marked
    with the harm done there to protected factions; systems with harm but no tallied activity
    are listed after them."""
    marks = harm_marks(harm, by="system")
    lines = system_lines(activity, marks, influence=influence, war=war)
    shown = {row.system for row in activity} | war.keys()
    for system, system_marks in sorted(marks.items(), key=lambda item: item[0] or ""):
        if system not in shown:
            lines.append(marked(f"__{plain(system or 'unknown system')}__", system_marks))
    return lines


def only(
    harm: HarmSummary, *, system: str | None, faction: str | None, cmdr: str | None = None
) -> HarmSummary:
    """The harm rows matching the filters a command was given."""
    return HarmSummary(
        [
            row
            for row in harm.rows
            if (system is None or row.system_name == system)
            and (faction is None or row.faction == faction)
            and (cmdr is None or row.cmdr == cmdr)
        ]
    )
