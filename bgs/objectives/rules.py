"""What objectives and targets are: their types, how progress counts as complete, and the checks
every value officers give goes through."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from bgs.errors import DomainError
from db import models

OBJECTIVE_TYPES: Final[Mapping[str, str]] = {
    "recon": "Recon Mission",
    "win_war": "Win a War",
    "draw_war": "Draw a War",
    "win_election": "Win an Election",
    "draw_election": "Draw an Election",
    "boost": "Boost a Faction",
    "expand": "Expand from a System",
    "reduce": "Reduce a Faction",
    "retreat": "Retreat a Faction from a System",
    "equalise": "Equalise two Factions",
}


@dataclass(frozen=True, slots=True)
class TargetKind:
    """How a target type is named and in which unit its progress counts."""

    label: str
    unit: str


TARGET_TYPES: Final[Mapping[str, TargetKind]] = {
    "visit": TargetKind("Visit", ""),
    "inf": TargetKind("Influence", "INF"),
    "bv": TargetKind("Bounty vouchers", "CR"),
    "cb": TargetKind("Combat bonds", "CR"),
    "expl": TargetKind("Exploration data", "CR"),
    "trade_prof": TargetKind("Trade profit", "CR"),
    "bm_prof": TargetKind("Black-market profit", "CR"),
    "ground_cz": TargetKind("Ground CZs", "wins"),
    "space_cz": TargetKind("Space CZs", "wins"),
    "murder": TargetKind("Murders", "kills"),
    "mission_fail": TargetKind("Failed missions", "fails"),
}


VISIT = "visit"


INFLUENCE = "inf"


GROUND_CZ = "ground_cz"


MAX_PRIORITY = 5


MAX_TARGETS = 25  # per objective, and settlements per target: one embed's fields in Discord


TITLE_LENGTH = 200


NAME_LENGTH = models.NAME


API_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class ObjectiveError(DomainError):
    """A request about objectives that cannot be done; the message is shown to the user."""


class ObjectiveNotFoundError(ObjectiveError):
    """No such objective, target or settlement in this guild."""


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(values)


def check_objective_type(value: str) -> str:
    if value not in OBJECTIVE_TYPES:
        raise ObjectiveError(
            f"'{value}' is not an objective type. Use one of: {_allowed(OBJECTIVE_TYPES)}."
        )
    return value


def check_target_type(value: str) -> str:
    if value not in TARGET_TYPES:
        raise ObjectiveError(
            f"'{value}' is not a target type. Use one of: {_allowed(TARGET_TYPES)}."
        )
    return value


def check_priority(value: int) -> int:
    if not 0 <= value <= MAX_PRIORITY:
        raise ObjectiveError(f"The priority must be a whole number from 0 to {MAX_PRIORITY}.")
    return value


def check_title(value: str) -> str:
    title = value.strip()
    if not title:
        raise ObjectiveError("The title cannot be empty.")
    if len(title) > TITLE_LENGTH:
        raise ObjectiveError(f"The title is too long: at most {TITLE_LENGTH} characters.")
    return title


def check_name(value: str | None, what: str) -> str | None:
    """A system, faction, station or settlement name: trimmed; empty means none."""
    name = (value or "").strip()
    if len(name) > NAME_LENGTH:
        raise ObjectiveError(f"The {what} name is too long: at most {NAME_LENGTH} characters.")
    return name or None


def check_window(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise ObjectiveError(
            f"The end ({api_date(ends_at)}) must be after the start ({api_date(starts_at)})."
        )


def check_target_values(target_type: str, target_overall: int, target_individual: int) -> None:
    """Negative goals mean "undermine", which only influence can be."""
    if target_type != INFLUENCE and (target_overall < 0 or target_individual < 0):
        raise ObjectiveError(
            "Goals cannot be negative, except on inf targets, where a negative goal means "
            "undermine the faction."
        )


def check_station(target_type: str, station: str | None) -> None:
    if station is not None and target_type != VISIT:
        raise ObjectiveError(
            f"A station can only be set on a visit target, not on a {target_type} target."
        )


def check_settlement_target(target_type: str) -> None:
    if target_type != GROUND_CZ:
        raise ObjectiveError(
            f"Settlements can only be added to ground_cz targets; this is a {target_type} target."
        )


def check_settlement_values(target_overall: int, target_individual: int) -> None:
    if target_overall < 0 or target_individual < 0:
        raise ObjectiveError("Settlement goals cannot be negative.")


def is_complete(target_type: str, progress: int, target_overall: int) -> bool:
    """Done: a visit once made; else the goal reached (≤ it when negative); 0 = open-ended."""
    if target_type == VISIT:
        return progress > 0
    if target_overall > 0:
        return progress >= target_overall
    if target_overall < 0:
        return progress <= target_overall
    return False


def completion(target_type: str, progress: int, target_overall: int) -> float | None:
    """How far along, 0.0-1.0 (for progress bars); None when open-ended."""
    if target_type == VISIT:
        return 1.0 if progress > 0 else 0.0
    if target_overall == 0:
        return None
    return max(0.0, min(1.0, progress / target_overall))


def target_label(
    target_type: str, system: str | None, faction: str | None, station: str | None
) -> str:
    """A short description: 'Combat bonds · Alpha Defence Force · Test System Alpha'."""
    if target_type == VISIT:
        where = f"{station} in {system or 'no system'}" if station else system or "no system"
        return f"Visit {where}"
    parts = [TARGET_TYPES[target_type].label, faction or "any faction", system or "any system"]
    return " · ".join(parts)


def api_date(instant: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the only form the plugin parses."""
    return instant.astimezone(UTC).strftime(API_DATE_FORMAT)
