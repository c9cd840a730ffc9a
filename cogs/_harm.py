"""How harm to protected factions reads: totals, and the short marks other layouts append to a
system or a cmdr (activity, summaries)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Final, Literal

from bgs.protected import KIND_LABELS, KIND_UNITS, HarmKind, HarmSummary, KindTotal, signed
from cogs._ui import abbreviate, number, plain

# How a mark names the work it counts (one, several); the kinds not listed are amounts.
_MARK_NOUNS: Final[Mapping[HarmKind, tuple[str, str]]] = {
    HarmKind.OPPONENT_MISSION: ("mission for its opponent", "missions for its opponent"),
    HarmKind.OPPONENT_SPACE_CZ: ("space CZ for its opponent", "space CZs for its opponent"),
    HarmKind.OPPONENT_GROUND_CZ: ("ground CZ for its opponent", "ground CZs for its opponent"),
    HarmKind.OPPONENT_CZ_OBJECTIVE: (
        "CZ objective for its opponent",
        "CZ objectives for its opponent",
    ),
    HarmKind.KILL_BOND: ("ship killed", "ships killed"),
    HarmKind.MURDER: ("murder", "murders"),
    HarmKind.MISSION_FAILED: ("failed mission", "failed missions"),
}
_COUNTED_UNITS: Final = frozenset({"CZ", "objective"})  # units whose amount is a number of things


def cmdr_label(cmdr: str | None) -> str:
    return f"CMDR {plain(cmdr)}" if cmdr else "An unknown cmdr"


def total_text(kind: HarmKind, total: KindTotal) -> str:
    """'murders: 2 (20,000 CR)', 'influence lost through missions: 1 (−3 INF)',
    'space CZs for the opponent: 3'."""
    unit = KIND_UNITS[kind]
    if unit in _COUNTED_UNITS:
        return f"{KIND_LABELS[kind]}: {number(total.amount)}"
    amount = signed(total.amount) if unit == "INF" else number(total.amount)
    extra = f" ({amount} {unit})" if total.amount else ""
    return f"{KIND_LABELS[kind]}: {total.count}{extra}"


def _mark_part(kind: HarmKind, total: KindTotal) -> str:
    if kind is HarmKind.NEGATIVE_INFLUENCE:
        return f"{signed(total.amount)} INF"
    if kind is HarmKind.OPPONENT_COMBAT_BONDS:
        return f"{abbreviate(total.amount)} CR of bonds for its opponent"
    how_many = total.amount if KIND_UNITS[kind] in _COUNTED_UNITS else total.count
    one, several = _MARK_NOUNS[kind]
    return f"{how_many} {one if how_many == 1 else several}"


def harm_marks(
    summary: HarmSummary, by: Literal["system", "cmdr"] = "system"
) -> dict[str | None, list[str]]:
    """Short marks of the harm in `summary`, for other cogs to append to their lines.

    `by="system"`: system name → one mark per protected faction harmed there, e.g.
    "⚠️ harmed Alpha Traders (−3 INF, 1 murder)"; `by="cmdr"`: cmdr → one mark per protected
    faction that cmdr harmed (all systems together). Keys without harm are absent.
    """
    grouped: defaultdict[str | None, defaultdict[str, dict[HarmKind, KindTotal]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for row in summary.rows:
        kinds = grouped[row.system_name if by == "system" else row.cmdr][row.faction]
        before = kinds.get(row.kind, KindTotal(0, 0))
        kinds[row.kind] = KindTotal(before.count + row.count, before.amount + row.amount)
    return {
        key: [
            f"⚠️ harmed {plain(faction)} ("
            + ", ".join(_mark_part(kind, kinds[kind]) for kind in HarmKind if kind in kinds)
            + ")"
            for faction, kinds in sorted(factions.items())
        ]
        for key, factions in grouped.items()
    }
