"""The harm members' events do to protected factions.

`detect_harm` reads the events one request stored and records, for every protected faction,
what harmed it (`HarmKind`), reading only what the events say (parsed by `bgs.events`). An event
harms a faction only if the faction was protected at or before the event's time. Work for a
faction's opponent counts only inside an *active* conflict of the two in `conflict_states`, as
that table stands when the batch is checked."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.conflicts import ConflictStatus
from bgs.events import CZ_SIZES, Envelope, typed_rows
from bgs.ingest import StoredEvent
from bgs.protected.registry import ProtectedInfo, info_of
from db import models
from db.bulk import dialect_insert, dialect_name
from db.models import (
    ConflictState,
    KnownSystem,
    ProtectedFaction,
    ProtectedHarm,
)

log = logging.getLogger(__name__)


DETAIL_MAX: Final = 300  # protected_harms.detail length


class HarmKind(StrEnum):
    """What a member did against a protected faction: `amount`'s unit is in KIND_UNITS, a
    heading for a total in KIND_LABELS."""

    NEGATIVE_INFLUENCE = "negative_influence"  # a completed mission lowered its influence
    OPPONENT_MISSION = "opponent_mission"  # a mission for its opponent in an active conflict
    OPPONENT_SPACE_CZ = "opponent_space_cz"  # a space CZ fought for its opponent
    OPPONENT_GROUND_CZ = "opponent_ground_cz"  # a ground CZ fought for its opponent
    OPPONENT_CZ_OBJECTIVE = "opponent_cz_objective"  # a space-CZ objective for its opponent
    OPPONENT_COMBAT_BONDS = "opponent_combat_bonds"  # combat bonds handed in for its opponent
    KILL_BOND = "kill_bond"  # one of its ships killed in a conflict zone
    MURDER = "murder"  # one of its ships (or people on foot) murdered
    MISSION_FAILED = "mission_failed"  # a mission it gave failed


KIND_UNITS: Final[Mapping[HarmKind, str]] = {
    HarmKind.NEGATIVE_INFLUENCE: "INF",  # negative
    HarmKind.OPPONENT_MISSION: "INF",  # what the opponent gained there (0 when not reported)
    HarmKind.OPPONENT_SPACE_CZ: "CZ",
    HarmKind.OPPONENT_GROUND_CZ: "CZ",
    HarmKind.OPPONENT_CZ_OBJECTIVE: "objective",
    HarmKind.OPPONENT_COMBAT_BONDS: "CR",
    HarmKind.KILL_BOND: "CR",  # the bond's reward
    HarmKind.MURDER: "CR",  # the bounty
    HarmKind.MISSION_FAILED: "CR",  # the fine
}


KIND_LABELS: Final[Mapping[HarmKind, str]] = {
    HarmKind.NEGATIVE_INFLUENCE: "influence lost through missions",
    HarmKind.OPPONENT_MISSION: "missions for the opponent",
    HarmKind.OPPONENT_SPACE_CZ: "space CZs for the opponent",
    HarmKind.OPPONENT_GROUND_CZ: "ground CZs for the opponent",
    HarmKind.OPPONENT_CZ_OBJECTIVE: "CZ objectives for the opponent",
    HarmKind.OPPONENT_COMBAT_BONDS: "combat bonds for the opponent",
    HarmKind.KILL_BOND: "ships killed in conflict zones",
    HarmKind.MURDER: "murders",
    HarmKind.MISSION_FAILED: "failed missions",
}


HARM_EVENTS: Final = frozenset(
    {
        "MissionCompleted",
        "MissionFailed",
        "FactionKillBond",
        "CommitCrime",
        "RedeemVoucher",
        "SyntheticCZ",
        "SyntheticGroundCZ",
        "SyntheticCZObjective",
    }
)


_CONFLICT_EVENTS: Final = HARM_EVENTS - {"MissionFailed", "FactionKillBond", "CommitCrime"}


@dataclass(frozen=True, slots=True)
class HarmRecord:
    """One stored harm: an event of a member against a protected faction."""

    event_id: int
    protected_faction_id: int
    faction: str
    cmdr: str | None
    tickid: str | None
    timestamp: datetime
    system_name: str | None
    kind: HarmKind
    amount: int
    detail: str

    def row(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "protected_faction_id": self.protected_faction_id,
            "cmdr": self.cmdr,
            "tickid": self.tickid,
            "timestamp": self.timestamp,
            "system_name": self.system_name,
            "kind": self.kind.value,
            "amount": self.amount,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class _Harm:
    """What one event did to one faction, before it is tied to its event."""

    faction: ProtectedInfo
    kind: HarmKind
    amount: int
    detail: str
    system_name: str | None


class _Conflicts:
    """The active conflicts of protected factions: whose opponent fights where."""

    def __init__(self, rows: Iterable[Any], protected: Mapping[str, ProtectedInfo]) -> None:
        self._by_name: dict[tuple[str, str], list[tuple[ProtectedInfo, str]]] = defaultdict(list)
        self._by_address: dict[tuple[int, str], list[tuple[ProtectedInfo, str]]] = defaultdict(list)
        for system_name, address, faction1, faction2 in rows:
            for side, opponent in ((faction1, faction2), (faction2, faction1)):
                faction = protected.get(side)
                if faction is None:
                    continue
                self._by_name[system_name, opponent].append((faction, system_name))
                if address is not None:
                    self._by_address[address, opponent].append((faction, system_name))

    def against(
        self, system_name: str | None, address: int | None, opponent: str | None
    ) -> dict[int, tuple[ProtectedInfo, str]]:
        """Protected factions `opponent` is at war with in that system, with the system's name."""
        found: dict[int, tuple[ProtectedInfo, str]] = {}
        if opponent is None:
            return found
        if system_name is not None:
            found.update((f.id, (f, s)) for f, s in self._by_name.get((system_name, opponent), []))
        if address is not None:
            found.update((f.id, (f, s)) for f, s in self._by_address.get((address, opponent), []))
        return found


@dataclass(slots=True)
class _Context:
    protected: Mapping[str, ProtectedInfo]
    conflicts: _Conflicts
    system_names: Mapping[int, str] = field(default_factory=dict)


def _credits(amount: int) -> str:
    return f"{amount:,} CR"


def signed(amount: int) -> str:
    return f"+{amount}" if amount > 0 else f"−{-amount}" if amount < 0 else "0"


def _mission_title(envelope: Envelope, mission: Mapping[str, Any]) -> str:
    title = envelope.data.get("LocalisedName")
    if not isinstance(title, str) or not title:
        title = mission.get("name") or "unnamed"
    return f"“{title}”"


def _cz_phrase(sizes: Mapping[str, int], what: str) -> str:
    """'a high space CZ', or '3 space CZs (2 low, 1 high)' (only positive counts)."""
    fought = {size: sizes[size] for size in CZ_SIZES if sizes[size] > 0}
    if list(fought.values()) == [1]:
        return f"a {next(iter(fought))} {what}"
    parts = ", ".join(f"{count} {size}" for size, count in fought.items())
    return f"{sum(fought.values())} {what}s ({parts})"


def _mission_harm(
    ctx: _Context, envelope: Envelope, rows: Mapping[type[models.Base], list[dict[str, Any]]]
) -> Iterator[_Harm]:
    mission = rows[models.MissionCompleted][0]
    influences = rows.get(models.MissionInfluence, [])
    title = _mission_title(envelope, mission)

    def place(address: int | None) -> tuple[str | None, int | None]:
        """(name, address) of the system an influence lands in, its name when known."""
        if address is None or address == envelope.system_address:
            return envelope.system_name, envelope.system_address
        return ctx.system_names.get(address), address

    losses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for influence in influences:
        if influence["influence"] < 0 and influence["faction"] in ctx.protected:
            losses[influence["faction"]].append(influence)
    for name, lost in losses.items():
        amount = sum(influence["influence"] for influence in lost)
        yield _Harm(
            ctx.protected[name],
            HarmKind.NEGATIVE_INFLUENCE,
            amount,
            f"{signed(amount)} INF from mission {title}",
            place(lost[0]["system_address"])[0],
        )

    giver = mission["faction"]
    gained = [
        (place(influence["system_address"]), influence["influence"])
        for influence in influences
        if influence["faction"] == giver
    ]
    # Where the giver's influence lands is where the mission counts; a mission that reports no
    # effect for its giver counts where it was handed in.
    opposed: dict[int, tuple[ProtectedInfo, str, int]] = {}
    for (system_name, address), inf in gained or [(place(None), 0)]:
        for faction, conflict_system in ctx.conflicts.against(system_name, address, giver).values():
            total = opposed[faction.id][2] if faction.id in opposed else 0
            opposed[faction.id] = (faction, conflict_system, total + inf)
    for faction, conflict_system, amount in opposed.values():
        extra = f" ({signed(amount)} INF)" if amount else ""
        detail = f"completed mission {title} for {giver}{extra}"
        yield _Harm(faction, HarmKind.OPPONENT_MISSION, amount, detail, conflict_system)


def _event_harm(
    ctx: _Context, envelope: Envelope, rows: Mapping[type[models.Base], list[dict[str, Any]]]
) -> Iterator[_Harm]:
    """Every harm one parsed event does to the protected factions (possibly to several)."""
    here = envelope.system_name

    def for_opponent(faction: str | None) -> Iterable[tuple[ProtectedInfo, str]]:
        """The protected factions `faction` fights here, with the conflict's system name."""
        return ctx.conflicts.against(here, envelope.system_address, faction).values()

    if models.MissionCompleted in rows:
        yield from _mission_harm(ctx, envelope, rows)
    for row in rows.get(models.MissionFailed, []):
        if (faction := ctx.protected.get(row["faction"])) is not None:
            fine = row["fine"]
            extra = f" (fine {_credits(fine)})" if fine else ""
            detail = f"failed mission {_mission_title(envelope, row)}{extra}"
            yield _Harm(faction, HarmKind.MISSION_FAILED, fine, detail, here)
    for row in rows.get(models.FactionKillBond, []):
        if (faction := ctx.protected.get(row["victim_faction"])) is not None:
            awarding = row["awarding_faction"]
            source = f" from {awarding}" if awarding else ""
            detail = f"killed a ship in a conflict zone (bond {_credits(row['reward'])}{source})"
            yield _Harm(faction, HarmKind.KILL_BOND, row["reward"], detail, here)
    for row in rows.get(models.CommitCrime, []):
        if row["is_murder"] and (faction := ctx.protected.get(row["faction"])) is not None:
            victim = "someone on foot" if row["crime_type"].startswith("onFoot") else "a ship"
            detail = f"murdered {victim} (bounty {_credits(row['bounty'])})"
            yield _Harm(faction, HarmKind.MURDER, row["bounty"], detail, here)
    for row in rows.get(models.RedeemVoucher, []):
        if row["type"].lower() == "combatbond" and row["amount"] > 0:
            for faction, system in for_opponent(row["faction"]):
                detail = f"handed in {_credits(row['amount'])} of combat bonds for {row['faction']}"
                yield _Harm(faction, HarmKind.OPPONENT_COMBAT_BONDS, row["amount"], detail, system)
    for model, kind, what in (
        (models.SyntheticCZ, HarmKind.OPPONENT_SPACE_CZ, "space CZ"),
        (models.SyntheticGroundCZ, HarmKind.OPPONENT_GROUND_CZ, "ground CZ"),
    ):
        for row in rows.get(model, []):
            fought = sum(row[size] for size in CZ_SIZES)
            if fought <= 0:  # a correction or a ground CZ re-classified upwards: nothing new
                continue
            settlement = row.get("settlement")
            at = f" at {settlement}" if settlement else ""
            for faction, system in for_opponent(row["faction"]):
                detail = f"fought {_cz_phrase(row, what)}{at} for {row['faction']}"
                yield _Harm(faction, kind, fought, detail, system)
    for row in rows.get(models.SyntheticCZObjective, []):
        count = row["count"]
        if count <= 0:
            continue
        named = f"{row['type']} " if row["type"] else ""
        what = (
            f"a {named}space-CZ objective" if count == 1 else f"{count} {named}space-CZ objectives"
        )
        for faction, system in for_opponent(row["faction"]):
            detail = f"completed {what} for {row['faction']}"
            yield _Harm(faction, HarmKind.OPPONENT_CZ_OBJECTIVE, count, detail, system)


def _parsed(stored: StoredEvent) -> dict[type[models.Base], list[dict[str, Any]]]:
    rows: dict[type[models.Base], list[dict[str, Any]]] = defaultdict(list)
    for model, row in typed_rows(stored.envelope, stored.id):
        rows[model].append(row)
    return rows


async def _protected_factions(session: AsyncSession) -> dict[str, ProtectedInfo]:
    rows = (await session.execute(select(ProtectedFaction))).scalars()
    return {row.name: info_of(row) for row in rows}


async def _context(
    session: AsyncSession,
    protected: Mapping[str, ProtectedInfo],
    events: Sequence[tuple[StoredEvent, Mapping[type[models.Base], list[dict[str, Any]]]]],
) -> _Context:
    """Active conflicts and the names of far systems, queried only when the events need them."""
    conflict_rows: Sequence[Any] = []
    if any(stored.envelope.event in _CONFLICT_EVENTS for stored, _ in events):
        names = list(protected)
        conflict_rows = (
            await session.execute(
                select(
                    ConflictState.system_name,
                    ConflictState.system_address,
                    ConflictState.faction1,
                    ConflictState.faction2,
                ).where(
                    ConflictState.status == ConflictStatus.ACTIVE.value,
                    or_(ConflictState.faction1.in_(names), ConflictState.faction2.in_(names)),
                )
            )
        ).all()
    ctx = _Context(protected, _Conflicts(conflict_rows, protected))
    # A mission's influence can land in another system than the one it is handed in.
    far = {
        influence["system_address"]
        for stored, rows in events
        for influence in rows.get(models.MissionInfluence, [])
        if influence["system_address"] not in (None, stored.envelope.system_address)
        and influence["influence"] < 0
        and influence["faction"] in protected
    }
    if far:
        found = await session.execute(
            select(KnownSystem.address, KnownSystem.name).where(KnownSystem.address.in_(far))
        )
        ctx.system_names = dict(found.all())
    return ctx


async def detect_harm(
    session: AsyncSession, stored_events: Sequence[StoredEvent]
) -> list[HarmRecord]:
    """Find and store the harm the given stored events did to the guild's protected factions.

    Returns the harm newly stored, in event order; running it again on the same events stores
    and returns nothing. Costs one small query when the guild protects nothing.
    """
    candidates = [stored for stored in stored_events if stored.envelope.event in HARM_EVENTS]
    if not candidates:
        return []
    protected = await _protected_factions(session)
    if not protected:
        return []
    events = [(stored, _parsed(stored)) for stored in candidates]
    ctx = await _context(session, protected, events)
    found: dict[tuple[int, int, str], HarmRecord] = {}
    for stored, rows in events:
        envelope = stored.envelope
        for harm in _event_harm(ctx, envelope, rows):
            if harm.faction.created_at > envelope.timestamp:
                continue
            record = HarmRecord(
                event_id=stored.id,
                protected_faction_id=harm.faction.id,
                faction=harm.faction.name,
                cmdr=envelope.cmdr,
                tickid=envelope.tickid,
                timestamp=envelope.timestamp,
                system_name=harm.system_name,
                kind=harm.kind,
                amount=harm.amount,
                detail=harm.detail[:DETAIL_MAX],
            )
            found.setdefault((record.event_id, record.protected_faction_id, record.kind), record)
    if not found:
        return []
    statement = (
        dialect_insert(dialect_name(session), ProtectedHarm)
        .on_conflict_do_nothing(index_elements=["event_id", "protected_faction_id", "kind"])
        .returning(ProtectedHarm.event_id, ProtectedHarm.protected_faction_id, ProtectedHarm.kind)
    )
    inserted = set((await session.execute(statement, [r.row() for r in found.values()])).all())
    new = [record for key, record in sorted(found.items()) if key in inserted]
    if new:
        log.info("%d new harm(s) to protected factions", len(new))
    return new
