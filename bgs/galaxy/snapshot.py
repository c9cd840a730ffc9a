"""What one journal event tells about a system's background simulation: the shared shape of
the galaxy feed (EDDN) and of members' own jumps, validated before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FactionSnapshot:
    """One faction's presence in a system at the snapshot's time."""

    name: str
    influence: float  # a 0..1 fraction, as the journal writes it
    state: str | None
    active_states: tuple[str, ...]
    pending_states: tuple[str, ...]
    recovering_states: tuple[str, ...]
    government: str | None
    allegiance: str | None
    happiness: str | None


@dataclass(frozen=True, slots=True)
class ConflictSnapshot:
    """A war, civil war or election between two factions of a system."""

    war_type: str  # war, civilwar, election
    status: str  # pending, active, "" (over)
    faction1: str
    stake1: str | None
    won_days1: int
    faction2: str
    stake2: str | None
    won_days2: int

    def involves(self, faction: str) -> bool:
        return faction in (self.faction1, self.faction2)


@dataclass(frozen=True, slots=True)
class SystemSnapshot:
    """A system's state as one FSDJump, Location or CarrierJump reported it."""

    system_address: int
    name: str
    observed_at: datetime  # the journal timestamp
    star_pos: tuple[float, float, float] | None
    population: int | None
    security: str | None
    economy: str | None
    second_economy: str | None
    government: str | None
    allegiance: str | None
    controlling_faction: str | None
    controlling_faction_state: str | None
    controlling_power: str | None
    powers: tuple[str, ...]
    powerplay_state: str | None
    powerplay_control_progress: float | None
    powerplay_reinforcement: int | None
    powerplay_undermining: int | None
    powerplay_conflict_progress: tuple[tuple[str, float], ...]  # (power, progress)
    factions: tuple[FactionSnapshot, ...]
    conflicts: tuple[ConflictSnapshot, ...]


@dataclass(frozen=True, slots=True)
class SystemChange:
    """A snapshot that was newer than what was stored, with the state it replaced (None for a
    system seen for the first time): what alerts compare."""

    before: SystemSnapshot | None
    after: SystemSnapshot
