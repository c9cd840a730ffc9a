"""What members' (and, through them, the journal's) jump events report about conflicts.

A jump or location event in a populated system carries `Factions` and, when the system has
conflicts, a `Conflicts` list; each entry has `WarType`, `Status` and `Faction1`/`Faction2` with
`Name`, `Stake` and `WonDays`. `Status` is `pending` (announced, not yet fought), `active`, or
empty once the conflict is decided (it stays listed with the final score while the factions
recover). A populated system without conflicts has no `Conflicts` key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bgs.events import Envelope, as_int, as_name
from bgs.ingest import StoredEvent
from db.models import NAME, ConflictState

JUMP_EVENTS = frozenset({"FSDJump", "Location", "CarrierJump"})


class ConflictStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Side:
    """One faction of a conflict."""

    name: str
    stake: str | None
    won_days: int


@dataclass(frozen=True, slots=True)
class ReportedConflict:
    """One conflict as an event reports it; sides in name order."""

    war_type: str
    status: ConflictStatus
    side1: Side
    side2: Side


@dataclass(frozen=True, slots=True)
class SystemReport:
    """Every conflict of one system at one moment, as one event reports them."""

    system_name: str
    system_address: int | None
    timestamp: datetime
    tickid: str | None
    cmdr: str | None
    conflicts: dict[tuple[str, str], ReportedConflict]
    source: str = "member"  # or "eddn": the galaxy feed (bgs.galaxy.alerts)


def parse_status(value: object) -> ConflictStatus:
    if value == ConflictStatus.ACTIVE.value:
        return ConflictStatus.ACTIVE
    if value == ConflictStatus.PENDING.value:
        return ConflictStatus.PENDING
    return ConflictStatus.ENDED


def _side(value: object) -> Side | None:
    if not isinstance(value, Mapping):
        return None
    name = as_name(value.get("Name"))
    if name is None:
        return None
    stake = value.get("Stake")
    return Side(
        name=name[:NAME],
        stake=stake[:NAME] if isinstance(stake, str) and stake else None,
        won_days=as_int(value.get("WonDays")),
    )


def parse_conflicts(data: Mapping[str, Any]) -> list[ReportedConflict] | None:
    """Every conflict an event lists; None when the event says nothing about conflicts."""
    conflicts = data.get("Conflicts")
    if not isinstance(conflicts, list):
        return [] if isinstance(data.get("Factions"), list) else None
    found: list[ReportedConflict] = []
    for entry in conflicts:
        if not isinstance(entry, Mapping):
            continue
        one, two = _side(entry.get("Faction1")), _side(entry.get("Faction2"))
        if one is None or two is None or one.name == two.name:
            continue
        first, second = (one, two) if one.name < two.name else (two, one)
        war_type = entry.get("WarType")
        found.append(
            ReportedConflict(
                war_type=war_type[:32] if isinstance(war_type, str) and war_type else "unknown",
                status=parse_status(entry.get("Status")),
                side1=first,
                side2=second,
            )
        )
    return found


def system_report(envelope: Envelope) -> SystemReport | None:
    """The conflicts of a jump/location event's system; None for any other event."""
    if envelope.event not in JUMP_EVENTS or envelope.system_name is None:
        return None
    conflicts = parse_conflicts(envelope.data)
    if conflicts is None:
        return None
    return SystemReport(
        system_name=envelope.system_name,
        system_address=envelope.system_address,
        timestamp=envelope.timestamp,
        tickid=envelope.tickid,
        cmdr=envelope.cmdr,
        conflicts={(c.side1.name, c.side2.name): c for c in conflicts},
    )


class NewestReports:
    """The newest observation of each system among the stored events added: by event time, then
    the event stored last. What the after-ingest step applies to the conflict states."""

    def __init__(self) -> None:
        self._newest: dict[str, tuple[datetime, int, SystemReport]] = {}

    def add(self, stored: StoredEvent) -> None:
        """Keep the event's observation if it is its system's newest (any other event is
        ignored)."""
        observation = system_report(stored.envelope)
        if observation is None:
            return
        known = self._newest.get(observation.system_name)
        if known is None or (observation.timestamp, stored.id) > known[:2]:
            self._newest[observation.system_name] = (observation.timestamp, stored.id, observation)

    def newest(self) -> dict[str, SystemReport]:
        return {system: observation for system, (*_, observation) in self._newest.items()}

    def __bool__(self) -> bool:
        return bool(self._newest)


def subject_of(
    first: str, second: str, guild_faction: str | None, protected: frozenset[str]
) -> tuple[str, bool] | None:
    """The faction an alert is about: the guild's own first, then a protected one."""
    for name in (first, second):
        if name == guild_faction:
            return name, True
    for name in (first, second):
        if name in protected:
            return name, False
    return None


def oriented(side1: Side, side2: Side, subject: str) -> tuple[Side, Side]:
    return (side1, side2) if side1.name == subject else (side2, side1)


def sides_of(row: ConflictState) -> tuple[Side, Side]:
    return (
        Side(row.faction1, row.stake1, row.won_days1),
        Side(row.faction2, row.stake2, row.won_days2),
    )
