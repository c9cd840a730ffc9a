"""A journal FSDJump, Location or CarrierJump event as a validated `SystemSnapshot`, or the reason
it cannot be one (eddn.md §5, §6, §12).

EDDN's gateway type-checks none of the faction, conflict or Powerplay fields, and a member's
plugin sends the journal as the game wrote it, so every field is checked here: a snapshot with
one bad field is refused whole (`SnapshotError`, with a short `reason` for the feed's counts and
a sentence naming the field), never stored in part. Integers must fit a signed 64-bit column
(`SystemAddress` 63 bits), floats must be finite, strings must be valid Unicode (no lone
surrogates, no NUL) and fit their columns, and a timestamp more than `MAX_CLOCK_SKEW` in the
future is refused: the sender's clock is wrong, and its report would hide every true one after
it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from bgs.events import Envelope, parse_instant
from bgs.galaxy.snapshot import ConflictSnapshot, FactionSnapshot, SystemSnapshot
from db.models import NAME
from db.models.galaxy import LABEL

log = logging.getLogger(__name__)

BGS_EVENTS: Final = frozenset({"FSDJump", "Location", "CarrierJump"})
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)
INT64_MAX: Final = 2**63 - 1
MAX_WON_DAYS: Final = 100
MAX_COORDINATE: Final = 1e6  # light years; the galaxy is about 1e5 across

# Why an event is no snapshot: the feed counts them by these names.
OTHER_EVENT: Final = "other_event"
UNPOPULATED: Final = "unpopulated"
FUTURE: Final = "future"
INVALID_SYSTEM: Final = "invalid_system"
INVALID_TIMESTAMP: Final = "invalid_timestamp"
INVALID_FACTIONS: Final = "invalid_factions"
INVALID_CONFLICTS: Final = "invalid_conflicts"
INVALID_POWERPLAY: Final = "invalid_powerplay"
INVALID_NUMBER: Final = "invalid_number"
INVALID_TEXT: Final = "invalid_text"


class SnapshotError(ValueError):
    """The event is no usable snapshot: `reason` is one of the names above, the message says
    which field and why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _fail(reason: str, where: str, value: object, wanted: str) -> SnapshotError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SnapshotError(reason, f"{where} is {shown}, not {wanted}")


def _text(value: object, where: str, reason: str, limit: int) -> str:
    """A non-empty string that is valid Unicode and fits `limit` characters."""
    if not isinstance(value, str) or not value:
        raise _fail(reason, where, value, "a non-empty string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(INVALID_TEXT, where, value, "valid Unicode (a lone surrogate)") from None
    if "\x00" in value:  # PostgreSQL stores no NUL character in text
        raise _fail(INVALID_TEXT, where, value, "text without a NUL character")
    if len(value) > limit:
        raise _fail(INVALID_TEXT, where, value, f"at most {limit} characters")
    return value


def _optional_text(
    data: Mapping[str, Any], key: str, where: str, reason: str, limit: int = LABEL
) -> str | None:
    """An optional label: absent, null or "" are None."""
    value = data.get(key)
    if value is None or value == "":
        return None
    return _text(value, f"{where}{key}", reason, limit)


def _integer(value: object, where: str, reason: str, low: int = 0, high: int = INT64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(reason, where, value, f"an integer from {low} to {high}")
    return value


def _number(value: object, where: str, reason: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(reason, where, value, f"a number from {low:g} to {high:g}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise _fail(reason, where, value, f"a number from {low:g} to {high:g}")
    return number


def _list(data: Mapping[str, Any], key: str, where: str, reason: str) -> list[Any]:
    """An optional array: absent is empty, anything but a list (null included) is refused."""
    if key not in data:
        return []
    value = data[key]
    if not isinstance(value, list):
        raise _fail(reason, f"{where}{key}", value, "a list")
    return value


def _object(value: object, where: str, reason: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _fail(reason, where, value, "an object")
    return value


def _states(data: Mapping[str, Any], key: str, where: str, trend: bool) -> tuple[str, ...]:
    names = []
    for index, entry in enumerate(_list(data, key, where, INVALID_FACTIONS)):
        at = f"{where}{key}[{index}]"
        state = _object(entry, at, INVALID_FACTIONS)
        names.append(_text(state.get("State"), f"{at}.State", INVALID_FACTIONS, LABEL))
        if trend:
            _number(state.get("Trend"), f"{at}.Trend", INVALID_FACTIONS, -1e9, 1e9)
    return tuple(names)


def _faction(entry: object, where: str) -> FactionSnapshot:
    data = _object(entry, where, INVALID_FACTIONS)
    prefix = f"{where}."
    return FactionSnapshot(
        name=_text(data.get("Name"), f"{prefix}Name", INVALID_FACTIONS, NAME),
        influence=_number(data.get("Influence"), f"{prefix}Influence", INVALID_FACTIONS, 0, 1),
        state=_optional_text(data, "FactionState", prefix, INVALID_FACTIONS),
        active_states=_states(data, "ActiveStates", prefix, trend=False),
        pending_states=_states(data, "PendingStates", prefix, trend=True),
        recovering_states=_states(data, "RecoveringStates", prefix, trend=True),
        government=_optional_text(data, "Government", prefix, INVALID_FACTIONS),
        allegiance=_optional_text(data, "Allegiance", prefix, INVALID_FACTIONS),
        happiness=_optional_text(data, "Happiness", prefix, INVALID_FACTIONS),
    )


def _factions(event: Mapping[str, Any]) -> tuple[FactionSnapshot, ...]:
    factions = tuple(
        _faction(entry, f"Factions[{index}]")
        for index, entry in enumerate(_list(event, "Factions", "", INVALID_FACTIONS))
    )
    names = [faction.name for faction in factions]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise _fail(INVALID_FACTIONS, "Factions", repeated, "a list of distinct factions")
    return factions


def _side(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, str | None, int]:
    side = _object(entry.get(key), f"{where}.{key}", INVALID_CONFLICTS)
    name = _text(side.get("Name"), f"{where}.{key}.Name", INVALID_CONFLICTS, NAME)
    stake = _optional_text(side, "Stake", f"{where}.{key}.", INVALID_CONFLICTS, NAME)
    won = _integer(
        side.get("WonDays"), f"{where}.{key}.WonDays", INVALID_CONFLICTS, 0, MAX_WON_DAYS
    )
    return name, stake, won


def _conflicts(event: Mapping[str, Any]) -> tuple[ConflictSnapshot, ...]:
    conflicts = []
    pairs: set[frozenset[str]] = set()
    for index, entry in enumerate(_list(event, "Conflicts", "", INVALID_CONFLICTS)):
        where = f"Conflicts[{index}]"
        data = _object(entry, where, INVALID_CONFLICTS)
        name1, stake1, won1 = _side(data, "Faction1", where)
        name2, stake2, won2 = _side(data, "Faction2", where)
        pair = frozenset((name1, name2))
        if len(pair) != 2 or pair in pairs:
            raise _fail(INVALID_CONFLICTS, where, sorted(pair), "two factions in no other conflict")
        pairs.add(pair)
        status = data.get("Status")
        if status != "":
            status = _text(status, f"{where}.Status", INVALID_CONFLICTS, 32)
        conflicts.append(
            ConflictSnapshot(
                war_type=_text(data.get("WarType"), f"{where}.WarType", INVALID_CONFLICTS, 32),
                status=status,
                faction1=name1,
                stake1=stake1,
                won_days1=won1,
                faction2=name2,
                stake2=stake2,
                won_days2=won2,
            )
        )
    return tuple(conflicts)


def _powers(event: Mapping[str, Any]) -> tuple[str, ...]:
    powers = tuple(
        _text(power, f"Powers[{index}]", INVALID_POWERPLAY, LABEL)
        for index, power in enumerate(_list(event, "Powers", "", INVALID_POWERPLAY))
    )
    if len(set(powers)) != len(powers):
        raise _fail(INVALID_POWERPLAY, "Powers", list(powers), "a list of distinct powers")
    return powers


def _conflict_progress(event: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    progress = []
    key = "PowerplayConflictProgress"
    for index, entry in enumerate(_list(event, key, "", INVALID_POWERPLAY)):
        where = f"{key}[{index}]"
        data = _object(entry, where, INVALID_POWERPLAY)
        power = _text(data.get("Power"), f"{where}.Power", INVALID_POWERPLAY, LABEL)
        value = _number(
            data.get("ConflictProgress"), f"{where}.ConflictProgress", INVALID_POWERPLAY, 0, 1e6
        )
        progress.append((power, value))
    return tuple(progress)


def _optional_integer(event: Mapping[str, Any], key: str, reason: str) -> int | None:
    value = event.get(key)
    return None if value is None else _integer(value, key, reason)


def _optional_number(event: Mapping[str, Any], key: str, reason: str) -> float | None:
    value = event.get(key)
    return None if value is None else _number(value, key, reason, 0, 1e6)


def _star_pos(event: Mapping[str, Any]) -> tuple[float, float, float] | None:
    value = event.get("StarPos")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 3:
        raise _fail(INVALID_SYSTEM, "StarPos", value, "three coordinates")
    x, y, z = (
        _number(v, f"StarPos[{i}]", INVALID_SYSTEM, -MAX_COORDINATE, MAX_COORDINATE)
        for i, v in enumerate(value)
    )
    return x, y, z


def _observed_at(event: Mapping[str, Any], now: datetime) -> datetime:
    value = event.get("timestamp")
    observed_at = parse_instant(value)
    if observed_at is None:
        raise _fail(INVALID_TIMESTAMP, "timestamp", value, "an RFC 3339 time")
    if observed_at > now + MAX_CLOCK_SKEW:
        raise _fail(FUTURE, "timestamp", value, f"a time before {now:%Y-%m-%d %H:%M} UTC")
    return observed_at


def _controlling(event: Mapping[str, Any]) -> tuple[str, str | None]:
    where = "SystemFaction"
    data = _object(event.get(where), where, INVALID_FACTIONS)
    name = _text(data.get("Name"), f"{where}.Name", INVALID_FACTIONS, NAME)
    return name, _optional_text(data, "FactionState", f"{where}.", INVALID_FACTIONS)


def parse_snapshot(event: Mapping[str, Any], now: datetime) -> SystemSnapshot:
    """The snapshot an FSDJump, Location or CarrierJump journal event reports (as EDDN relays
    it or a member's plugin sends it); raises `SnapshotError` for any other event, one without
    factions (an unpopulated system: nothing for the background simulation), or a bad field."""
    name = event.get("event")
    if name not in BGS_EVENTS:
        raise _fail(OTHER_EVENT, "event", name, "FSDJump, Location or CarrierJump")
    if "Factions" not in event:
        raise SnapshotError(UNPOPULATED, "no Factions: the system has no minor factions")
    address = _integer(event.get("SystemAddress"), "SystemAddress", INVALID_SYSTEM)
    controlling, controlling_state = _controlling(event)
    factions = _factions(event)
    if not factions:
        raise SnapshotError(INVALID_FACTIONS, "Factions is empty, but SystemFaction is given")
    return SystemSnapshot(
        system_address=address,
        name=_text(event.get("StarSystem"), "StarSystem", INVALID_SYSTEM, NAME),
        observed_at=_observed_at(event, now),
        star_pos=_star_pos(event),
        population=_optional_integer(event, "Population", INVALID_NUMBER),
        security=_optional_text(event, "SystemSecurity", "", INVALID_SYSTEM),
        economy=_optional_text(event, "SystemEconomy", "", INVALID_SYSTEM),
        second_economy=_optional_text(event, "SystemSecondEconomy", "", INVALID_SYSTEM),
        government=_optional_text(event, "SystemGovernment", "", INVALID_SYSTEM),
        allegiance=_optional_text(event, "SystemAllegiance", "", INVALID_SYSTEM),
        controlling_faction=controlling,
        controlling_faction_state=controlling_state,
        controlling_power=_optional_text(event, "ControllingPower", "", INVALID_POWERPLAY),
        powers=_powers(event),
        powerplay_state=_optional_text(event, "PowerplayState", "", INVALID_POWERPLAY),
        powerplay_control_progress=_optional_number(
            event, "PowerplayStateControlProgress", INVALID_POWERPLAY
        ),
        powerplay_reinforcement=_optional_integer(
            event, "PowerplayStateReinforcement", INVALID_POWERPLAY
        ),
        powerplay_undermining=_optional_integer(
            event, "PowerplayStateUndermining", INVALID_POWERPLAY
        ),
        powerplay_conflict_progress=_conflict_progress(event),
        factions=factions,
        conflicts=_conflicts(event),
    )


def member_snapshot(envelope: Envelope, now: datetime) -> SystemSnapshot | None:
    """A member's FSDJump, Location or CarrierJump as a snapshot (the plugin may send
    `SystemAddress` as a string: the envelope's parsed address is used); None for another
    event, an unpopulated system, or a bad field (logged: the event itself is stored)."""
    data = envelope.data
    if envelope.system_address is not None and data.get("SystemAddress") != envelope.system_address:
        data = {**data, "SystemAddress": envelope.system_address}
    try:
        return parse_snapshot(data, now)
    except SnapshotError as exc:
        if exc.reason not in (OTHER_EVENT, UNPOPULATED):
            log.info("a member's %s gives no galaxy snapshot: %s", envelope.event, exc)
        return None
