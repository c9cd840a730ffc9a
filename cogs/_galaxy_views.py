"""How the galaxy looks in Discord: `/system show`, `/faction show`, `/system find`, the
influence section of the post-tick summary and the galaxy alerts.

Every name from the galaxy data (systems, factions, powers, states) comes from other players'
journals through EDDN: it is shown through `text()`, which escapes Discord markdown and
mentions (`cogs._ui.plain`, the one escape helper the cogs share for outside text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bgs.galaxy.find import FindPage
from bgs.galaxy.snapshot import ConflictSnapshot
from bgs.galaxy.views import (
    FactionPresence,
    FactionSystem,
    FactionView,
    SystemInfo,
    SystemView,
)
from cogs._ui import number, plain, ts

SOURCES = {"eddn": "EDDN", "member": "a member's jump"}
WAR_TYPES = {"war": "war", "civilwar": "civil war", "election": "election"}
UNKNOWN = "not seen yet on EDDN or by members"


def text(value: str | None) -> str:
    """A name from the galaxy data, safe in Discord markdown ('?' when missing)."""
    return plain(value) if value else "?"


def label(value: str | None) -> str:
    """'$government_Democracy;' → 'Democracy', '$SYSTEM_SECURITY_medium;' → 'Medium'."""
    if not value:
        return "?"
    if value.startswith("$") and value.endswith(";"):
        value = value[1:-1].rsplit("_", 1)[-1]
    return text(value[:1].upper() + value[1:])


def percent(value: float) -> str:
    return f"{value:.1f} %"


def signed(value: float | None) -> str:
    """'+1.3', '−0.8', '±0.0'; '' when unknown."""
    if value is None:
        return ""
    if round(value, 1) == 0:
        return "±0.0"
    return f"{value:+.1f}".replace("-", "−")


def _change(value: float | None) -> str:
    return f" ({signed(value)})" if value is not None else ""


def states_text(presence: FactionPresence) -> str:
    """'Boom, War · pending Expansion · recovering Election' (empty when at peace)."""
    parts = []
    active = [name for name in presence.active_states if name != "None"]
    if not active and presence.state and presence.state != "None":
        active = [presence.state]
    if active:
        parts.append(", ".join(text(name) for name in active))
    if presence.pending_states:
        parts.append("pending " + ", ".join(text(name) for name in presence.pending_states))
    if presence.recovering_states:
        parts.append("recovering " + ", ".join(text(name) for name in presence.recovering_states))
    return " · ".join(parts)


def conflict_line(conflict: ConflictSnapshot, subject: str | None = None) -> str:
    """'⚔️ war (active): **A** 2 – 1 B · stakes X / Y', the subject's side first."""
    first = (conflict.faction1, conflict.won_days1, conflict.stake1)
    second = (conflict.faction2, conflict.won_days2, conflict.stake2)
    if subject is not None and conflict.faction2 == subject:
        first, second = second, first
    status = conflict.status or "decided"
    stakes = " / ".join(text(stake) if stake else "none" for stake in (first[2], second[2]))
    return (
        f"⚔️ {WAR_TYPES.get(conflict.war_type, text(conflict.war_type))} ({status}): "
        f"**{text(first[0])}** {first[1]} – {second[1]} {text(second[0])} · stakes {stakes}"
    )


def data_age(system: SystemInfo, tick_at: datetime | None) -> str:
    """'Data from <t:…:R> (EDDN)', marked when older than the current tick."""
    stale = (
        " ⚠️ before the last tick" if tick_at is not None and system.observed_at < tick_at else ""
    )
    source = SOURCES.get(system.source, text(system.source))
    return f"Data from {ts(system.observed_at, 'R')} ({source}){stale}"


def powerplay_line(system: SystemInfo) -> str | None:
    parts = []
    if system.controlling_power:
        parts.append(f"**{text(system.controlling_power)}**")
    if system.powerplay_state:
        parts.append(text(system.powerplay_state))
    if system.powerplay_control_progress is not None:
        parts.append(f"control {system.powerplay_control_progress * 100:.0f} %")
    if system.powerplay_reinforcement is not None:
        parts.append(f"reinforcement {number(system.powerplay_reinforcement)}")
    if system.powerplay_undermining is not None:
        parts.append(f"undermining {number(system.powerplay_undermining)}")
    others = [power for power in system.powers if power != system.controlling_power]
    if others:
        parts.append("also " + ", ".join(text(power) for power in others))
    return "Powerplay: " + " · ".join(parts) if parts else None


def system_lines(view: SystemView) -> tuple[str, list[str]]:
    """`/system show`: the header (system facts) and one line per faction and conflict."""
    system = view.system
    facts = [
        f"Controlling faction: **{text(system.controlling_faction)}**",
        f"Population {number(system.population or 0)} · {label(system.security)} security · "
        f"{label(system.economy)} economy · {label(system.government)} · "
        f"{label(system.allegiance)}",
    ]
    powerplay = powerplay_line(system)
    if powerplay:
        facts.append(powerplay)
    facts.append(data_age(system, view.tick_at))
    lines = ["", "**Factions** (influence, change since the last tick)"]
    for presence in view.factions:
        crown = " 👑" if presence.name == system.controlling_faction else ""
        states = states_text(presence)
        lines.append(
            f"`{percent(presence.influence):>7}`{_change(presence.change)} "
            f"**{text(presence.name)}**{crown}" + (f" — {states}" if states else "")
        )
    if not view.factions:
        lines.append("No factions (unpopulated, or not reported).")
    if view.conflicts:
        lines += ["", "**Conflicts**", *(conflict_line(item) for item in view.conflicts)]
    return "\n".join(facts) + "\n", lines


def faction_system_line(item: FactionSystem, tick_at: datetime | None) -> str:
    """One system of `/faction show`."""
    presence = item.presence
    parts = [
        f"**{text(item.system.name)}** `{percent(presence.influence)}`{_change(presence.change)}"
    ]
    if item.controlling:
        lead = "alone" if item.lead is None else f"lead {item.lead:.1f} over {text(item.runner_up)}"
        parts.append(f"👑 {lead}")
    elif item.runner_up is not None and item.lead is not None:
        parts.append(f"{signed(item.lead)} vs {text(item.runner_up)}")
    states = states_text(presence)
    if states:
        parts.append(states)
    line = " · ".join(parts)
    for conflict in item.conflicts:
        line += "\n  " + conflict_line(conflict, presence.name)
    stale = " ⚠️" if tick_at is not None and item.system.observed_at < tick_at else ""
    return line + f"\n  data {ts(item.system.observed_at, 'R')}{stale}"


def faction_lines(view: FactionView) -> tuple[str, list[str]]:
    controlled = sum(1 for item in view.systems if item.controlling)
    header = (
        f"{len(view.systems)} system(s), controls {controlled}; most at risk first (smallest "
        "lead where it controls, lowest influence elsewhere)\n"
    )
    return header, [faction_system_line(item, view.tick_at) for item in view.systems]


def found_lines(found: FindPage) -> list[str]:
    """One page of `/system find`."""
    lines = []
    for item in found.systems:
        system = item.system
        parts = [f"**{text(system.name)}**", f"pop {number(system.population or 0)}"]
        if item.influence is not None:
            parts.append(percent(item.influence))
        parts.append(f"controlled by {text(system.controlling_faction)}")
        if system.controlling_power:
            parts.append(text(system.controlling_power))
        if item.in_conflict:
            parts.append("⚔️")
        parts.append(ts(system.observed_at, "R"))
        lines.append(" · ".join(parts))
    return lines


def influence_section(faction: str, systems: Sequence[FactionSystem]) -> list[str]:
    """The post-tick summary's influence section: the faction's systems, most at risk first."""
    if not systems:
        return []
    lines = ["", f"**Influence of {text(faction)}** (most at risk first)"]
    for item in systems:
        presence = item.presence
        crown = " 👑" if item.controlling else ""
        lead = f", lead {item.lead:.1f}" if item.controlling and item.lead is not None else ""
        states = states_text(presence)
        lines.append(
            f"• {text(item.system.name)}{crown}: {percent(presence.influence)}"
            f"{_change(presence.change)}{lead}" + (f" — {states}" if states else "")
        )
    return lines


def joined(values: Iterable[str]) -> str:
    return ", ".join(values)
