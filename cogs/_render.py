"""Layouts shared by the scheduled posts (cogs.announcements) and the commands that show the
same results on demand (cogs.activity): activity figures, system → faction lines, contributor
rankings, top-five sections and conflict-zone blocks.

Numbers: exact values (counts, tonnage, INF, ranked amounts) carry thousands separators;
credits inside a line of several figures are abbreviated (250K, 1.5M) as BGS-Tally shows them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bgs.summaries import (
    METRIC_KEYS,
    METRICS,
    ActivityCounts,
    CmdrMetrics,
    CZCount,
    FactionActivity,
    FactionInfluence,
    SystemCZs,
    ThargoidWar,
    ranked,
)
from cogs._ui import abbreviate, number, plain

TOP = 5
Marks = Mapping[str | None, Sequence[str]]

# The daily summary's sections (reference.md §5.1); `/top5` shows every metric.
DAILY_SECTIONS = frozenset(
    {
        "trade_volume",
        "missions_completed",
        "influence",
        "bounty_vouchers",
        "combat_bonds",
        "exploration_sales",
        "bounty_fines",
    }
)
ALL_SECTIONS = frozenset(METRIC_KEYS)


def figures(counts: ActivityCounts) -> str:
    """The non-zero counters of a tally, short: 'INF +3 · bounties 250K · space CZ 1 (L0 M0 H1)'."""
    murders = counts.murders_ground + counts.murders_space
    items = [
        (counts.influence, f"INF {counts.influence:+,}"),
        (counts.bounty_vouchers, f"bounties {abbreviate(counts.bounty_vouchers)}"),
        (counts.combat_bonds, f"bonds {abbreviate(counts.combat_bonds)}"),
        (counts.trade_sell_profit, f"trade profit {abbreviate(counts.trade_sell_profit)}"),
        (counts.trade_buy_value, f"bought {abbreviate(counts.trade_buy_value)}"),
        (counts.black_market, f"black market {abbreviate(counts.black_market)}"),
        (counts.exploration, f"exploration {abbreviate(counts.exploration)}"),
        (counts.exobiology, f"exobiology {abbreviate(counts.exobiology)}"),
        (counts.cz_space.total, f"space CZ {sizes(counts.cz_space)}"),
        (counts.cz_ground.total, f"ground CZ {sizes(counts.cz_ground)}"),
        (counts.scenarios, f"scenarios {counts.scenarios}"),
        (counts.mission_fails, f"failed missions {counts.mission_fails}"),
        (murders, f"murders {murders}"),
        (counts.search_rescue, f"S&R {number(counts.search_rescue)}"),
    ]
    return " · ".join(text for value, text in items if value) or "no activity"


def war_figures(war: ThargoidWar) -> str:
    """'Thargoid kills 4 (3 scout, 1 cyclops) · TW rescue 3 · settlements reactivated 1' (the
    non-zero parts)."""
    by_type = ", ".join(f"{n} {kind}" for kind, n in war.kills_by_type())
    items = [
        (war.total_kills, f"Thargoid kills {number(war.total_kills)} ({by_type})"),
        (war.rescue, f"TW rescue {number(war.rescue)}"),
        (war.reactivated, f"settlements reactivated {number(war.reactivated)}"),
    ]
    return " · ".join(text for value, text in items if value)


def metric_figures(row: CmdrMetrics) -> str:
    """A cmdr's non-zero journal metrics, short: 'sold 1.5M · 300 t · profit 150K (11.1%) · …'."""
    profit = f"profit {abbreviate(row.trade_profit)}" + (
        f" ({row.profitability:.1f}%)" if row.profitability is not None else ""
    )
    items = [
        (row.buy_volume, f"bought {abbreviate(row.buy_volume)}"),
        (row.sell_volume, f"sold {abbreviate(row.sell_volume)}"),
        (row.tonnage, f"{number(row.tonnage)} t"),
        (row.trade_profit, profit),
        (row.missions_completed, f"missions {number(row.missions_completed)}"),
        (row.missions_failed, f"failed missions {number(row.missions_failed)}"),
        (row.influence, f"INF {row.influence:+,}"),
        (row.bounty_vouchers, f"bounties {abbreviate(row.bounty_vouchers)}"),
        (row.combat_bonds, f"bonds {abbreviate(row.combat_bonds)}"),
        (row.exploration_sales, f"exploration {abbreviate(row.exploration_sales)}"),
        (row.bounty_fines, f"fines {abbreviate(row.bounty_fines)}"),
        (row.thargoid_kills, f"Thargoid kills {number(row.thargoid_kills)}"),
        (row.search_rescue, f"S&R {number(row.search_rescue)}"),
        (row.tw_rescue, f"TW rescue {number(row.tw_rescue)}"),
    ]
    return " · ".join(text for value, text in items if value) or "no activity"


def sizes(count: CZCount) -> str:
    """'3 (L1 M1 H1)'."""
    return f"{count.total} (L{count.low} M{count.medium} H{count.high})"


def credits_of(counts: ActivityCounts) -> int:
    return (
        counts.bounty_vouchers
        + counts.combat_bonds
        + counts.trade_sell_profit
        + counts.black_market
        + counts.exploration
        + counts.exobiology
    )


def marked(text: str, marks: Sequence[str]) -> str:
    """`text` followed by its marks (e.g. harm to a protected faction)."""
    return " ".join([text, *marks])


def faction_label(row: FactionActivity, *, influence: bool = False) -> str:
    """'Alpha Defence Force (War)'; with `influence`, 'Alpha Defence Force (War, 45.0%)'."""
    details = [row.state] if row.state and row.state != "None" else []
    if influence and row.influence is not None:
        details.append(f"{row.influence:.1%}")
    name = plain(row.faction)
    return f"{name} ({', '.join(details)})" if details else name


def system_lines(
    activity: Iterable[FactionActivity],
    marks: Marks,
    *,
    influence: bool = False,
    war: Mapping[str, ThargoidWar] | None = None,
) -> list[str]:
    """By system (by name) → faction: '__System__' followed by its marks, the system's
    Thargoid-war work ('• Thargoid kills …', from `war`), then '• Faction (state): …' per
    faction with activity (`influence`: the influence last reported next to the state)."""
    by_system: dict[str, list[FactionActivity]] = defaultdict(list)
    for row in activity:
        by_system[row.system].append(row)
    war = war or {}
    lines = []
    for system in sorted(by_system.keys() | war.keys()):
        lines.append(marked(f"__{plain(system)}__", marks.get(system, ())))
        if system in war:
            lines.append(f"• {war_figures(war[system])}")
        lines += [
            f"• {faction_label(row, influence=influence)}: {figures(row.counts)}"
            for row in by_system[system]
        ]
    return lines


def ranked_contributors(
    counts_by_cmdr: Mapping[str, ActivityCounts],
    marks: Marks,
    limit: int | None = None,
    war: Mapping[str, ThargoidWar] | None = None,
) -> list[str]:
    """Cmdrs ranked by influence, then credits earned, then Thargoid kills:
    '1. Ann ⚠️ — INF +4 · bounties 250K · Thargoid kills 2 (2 scout)'."""
    war = war or {}
    idle, peace = ActivityCounts(), ThargoidWar()

    def rank(cmdr: str) -> tuple[int, int, int, str]:
        counts = counts_by_cmdr.get(cmdr, idle)
        kills = war.get(cmdr, peace).total_kills
        return (-counts.influence, -credits_of(counts), -kills, cmdr.casefold())

    ranking = sorted(counts_by_cmdr.keys() | war.keys(), key=rank)[:limit]
    lines = []
    for place, cmdr in enumerate(ranking, start=1):
        counts, fighting = counts_by_cmdr.get(cmdr), war.get(cmdr)
        parts = [figures(counts)] if counts is not None and counts.any() else []
        parts += [war_figures(fighting)] if fighting is not None else []
        shown = " · ".join(parts) or "no activity"
        lines.append(f"{place}. {marked(plain(cmdr), marks.get(cmdr, ()))} — {shown}")
    return lines


@dataclass(frozen=True, slots=True)
class Section:
    """One top-five list: a title and its numbered lines."""

    title: str
    lines: list[str]


def numbered(items: Iterable[str]) -> list[str]:
    return [f"{place}. {text}" for place, text in enumerate(items, start=1)]


# The top-five lists after the influence ones: (title, metric), each value with its unit.
AMOUNT_SECTIONS: Final = (
    ("💰 Bounty vouchers", "bounty_vouchers"),
    ("⚔️ Combat bonds", "combat_bonds"),
    ("🔭 Exploration data", "exploration_sales"),
    ("🚨 Bounties and fines", "bounty_fines"),
    ("👾 Thargoid kills", "thargoid_kills"),
    ("🛟 Search and rescue", "search_rescue"),
    ("🛟 Thargoid war rescue", "tw_rescue"),
)
UNITS: Final = {metric.key: metric.unit for metric in METRICS}


def amount(metric: str) -> Callable[[CmdrMetrics], str]:
    """How a top-five list shows a cmdr's value of `metric`: '250,000 Cr', '12'."""
    return lambda row: f"{number(row.value(metric))} {UNITS[metric]}".rstrip()


def top_sections(
    rows: Sequence[CmdrMetrics],
    by_faction: Sequence[FactionInfluence],
    faction: str | None,
    metrics: Collection[str] = DAILY_SECTIONS,
) -> list[Section]:
    """The reference's top-five lists: market, missions, influence by faction and for the
    guild's faction, bounties, bonds, exploration, fines (and, among `metrics`, trade profit,
    failed missions, Thargoid kills and rescues); five cmdrs each, empty ones left out."""

    def top(metric: str, text: Callable[[CmdrMetrics], str]) -> list[str]:
        if metric not in metrics:
            return []
        best = [row for row in ranked(rows, metric) if row.value(metric) > 0][:TOP]
        return numbered(f"{plain(row.cmdr)} — {text(row)}" for row in best)

    sections = [
        Section(
            "📦 Market",
            top(
                "trade_volume",
                lambda r: f"{number(r.trade_volume)} Cr · {number(r.tonnage)} t",
            ),
        ),
        Section("📈 Trade profit", top("trade_profit", amount("trade_profit"))),
        Section("📜 Missions completed", top("missions_completed", amount("missions_completed"))),
        Section("📉 Missions failed", top("missions_failed", amount("missions_failed"))),
        Section(
            "🗳️ Influence by faction",
            numbered(
                f"{plain(row.cmdr)} — {plain(row.faction)} {row.influence:+,}"
                for row in by_faction
                if row.influence > 0
            ),
        ),
    ]
    if faction:
        sections.append(
            Section(
                f"🗳️ Influence for {plain(faction)}",
                top("influence", lambda r: f"{r.influence:+,}"),
            )
        )
    sections += [Section(title, top(metric, amount(metric))) for title, metric in AMOUNT_SECTIONS]
    return [section for section in sections if section.lines]


def section_lines(sections: Sequence[Section]) -> list[str]:
    """Sections one after the other: bold title, numbered lines, a blank line between."""
    lines: list[str] = []
    for section in sections:
        lines += [f"**{section.title}**", *section.lines, ""]
    return lines[:-1]


def cz_lines(czs: SystemCZs) -> list[str]:
    """One system's conflict zones: the total by size, for which factions, the settlements
    (ground CZs) and the cmdrs."""
    lines = [f"**Total: {sizes(czs.total)}**", "", "**Fought for**"]
    lines += [
        f"• {plain(row.name or 'unknown faction')}: {sizes(row.count)}" for row in czs.factions
    ]
    if czs.settlements:
        lines += ["", "**Settlements**"]
        lines += [
            f"• {plain(row.name or 'unknown settlement')}: {row.count.total}"
            for row in czs.settlements
        ]
    lines += ["", "**Cmdrs**"]
    lines += numbered(
        f"{plain(row.name or 'unknown cmdr')} — {sizes(row.count)}" for row in czs.cmdrs
    )
    return lines


def cz_system(czs: SystemCZs) -> str:
    return czs.system or "unknown system"
