"""The systems, factions and cmdrs the guild's data names, kept current for autocomplete and
status: what one event mentions, the rows to upsert, and what was written lately (so that a busy
stream does not rewrite the same names in every transaction)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, func
from sqlalchemy.orm import Session

from bgs.events import Envelope, faction_names, star_pos
from db import models
from db.bulk import dialect_insert, dialect_name, table_of

NAME_REFRESH_SECONDS = 60.0
MAX_RECENT_NAMES = 100_000
PILOTS_FEDERATION = "Pilots' Federation Local Branch"


@dataclass(frozen=True, slots=True)
class Mentions:
    """The names one event mentions: its system (address, name, coordinates), its factions and
    its cmdr."""

    system: tuple[int, str, tuple[float, float, float] | None] | None
    factions: frozenset[str]
    cmdr: str | None


def mentions(envelope: Envelope) -> Mentions:
    """What one event names, for the known systems, factions and cmdrs."""
    system = None
    if envelope.system_address is not None and envelope.system_name:
        system = (envelope.system_address, envelope.system_name, star_pos(envelope.data))
    factions = frozenset(name[:128] for name in faction_names(envelope.data))
    return Mentions(system, factions - {PILOTS_FEDERATION}, envelope.cmdr)


@dataclass(slots=True)
class Names:
    """The systems (rows by address), factions and cmdrs that events mention."""

    systems: dict[int, dict[str, Any]] = field(default_factory=dict)
    factions: set[str] = field(default_factory=set)
    cmdrs: set[str] = field(default_factory=set)


def collect_names(events: Iterable[Mentions], seen_at: datetime) -> Names:
    """The names to keep current for these events; a system's coordinates where any gives them."""
    systems: dict[int, dict[str, Any]] = {}
    factions: set[str] = set()
    cmdrs: set[str] = set()
    for event in events:
        if event.system is not None:
            address, name, pos = event.system
            known = systems.get(address)
            if known is None or (pos is not None and known["x"] is None):
                x, y, z = pos if pos is not None else (None, None, None)
                systems[address] = {
                    "address": address,
                    "name": name,
                    "x": x,
                    "y": y,
                    "z": z,
                    "last_seen": seen_at,
                }
        factions |= event.factions
        if event.cmdr:
            cmdrs.add(event.cmdr)
    return Names(systems, factions, cmdrs)


class RecentNames:
    """The names one guild's batches wrote lately, so that a busy stream does not rewrite the
    same systems, factions and cmdrs in every transaction.

    A known name's `last_seen` is refreshed at most every `refresh` seconds; a new name, and a
    system's first coordinates, are written at once. Only committed writes are remembered.
    """

    def __init__(self, refresh: float = NAME_REFRESH_SECONDS) -> None:
        self._refresh = refresh
        self._systems: dict[int, tuple[float, bool]] = {}  # address -> (written, has position)
        self._factions: dict[str, float] = {}
        self._cmdrs: dict[str, float] = {}

    def unwritten(self, names: Names) -> Names:
        """The part of `names` that is new or due for a refresh."""
        due = time.monotonic() - self._refresh
        systems = {}
        for address, row in names.systems.items():
            written, has_position = self._systems.get(address, (due, False))
            if written <= due or (row["x"] is not None and not has_position):
                systems[address] = row
        return Names(
            systems,
            {name for name in names.factions if self._factions.get(name, due) <= due},
            {name for name in names.cmdrs if self._cmdrs.get(name, due) <= due},
        )

    def remember(self, names: Names) -> None:
        """Note names whose write was committed."""
        now = time.monotonic()
        if len(self._systems) + len(self._factions) + len(self._cmdrs) > MAX_RECENT_NAMES:
            self._systems.clear()
            self._factions.clear()
            self._cmdrs.clear()
        for address, row in names.systems.items():
            had_position = self._systems.get(address, (now, False))[1]
            self._systems[address] = (now, had_position or row["x"] is not None)
        self._factions.update(dict.fromkeys(names.factions, now))
        self._cmdrs.update(dict.fromkeys(names.cmdrs, now))


# The upserts of known names, built once: rebuilding them costs more than running them. They
# insert into tables rather than ORM entities (much less overhead per row); the tenant session
# stamps `guild_id` on those just the same.


@cache
def _last_seen_upsert(dialect: str, model: type[models.Base], key: str) -> Insert:
    statement = dialect_insert(dialect, table_of(model))
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=["guild_id", key], set_={"last_seen": statement.excluded.last_seen}
    )
    return upsert


@cache
def _systems_upsert(dialect: str) -> Insert:
    statement = dialect_insert(dialect, table_of(models.KnownSystem))
    excluded = statement.excluded
    table = models.KnownSystem.__table__.c
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=["guild_id", "address"],
        set_={
            "name": excluded.name,
            "last_seen": excluded.last_seen,
            "x": func.coalesce(excluded.x, table.x),
            "y": func.coalesce(excluded.y, table.y),
            "z": func.coalesce(excluded.z, table.z),
        },
    )
    return upsert


def remember_names(session: Session, names: Names, seen_at: datetime) -> None:
    """Keep the guild's known systems, factions and cmdrs current (for autocomplete, status).

    Rows go in a fixed order (by key), so concurrent writers lock them in the same order.
    Coordinates, once known, are never forgotten.
    """
    dialect = dialect_name(session)
    if names.systems:
        rows = sorted(names.systems.values(), key=lambda row: row["address"])
        session.execute(_systems_upsert(dialect), rows)
    if names.factions:
        session.execute(
            _last_seen_upsert(dialect, models.KnownFaction, "name"),
            [{"name": name, "last_seen": seen_at} for name in sorted(names.factions)],
        )
    if names.cmdrs:
        session.execute(
            _last_seen_upsert(dialect, models.Cmdr, "name"),
            [
                {"name": name, "first_seen": seen_at, "last_seen": seen_at}
                for name in sorted(names.cmdrs)
            ],
        )
