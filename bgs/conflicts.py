"""Conflicts (wars, civil wars, elections) from members' FSDJump, Location and CarrierJump events.

What the journal tells us. A jump or location event in a populated system carries `Factions`
and, when the system has conflicts, a `Conflicts` list; each entry has `WarType`, `Status` and
`Faction1`/`Faction2` with `Name`, `Stake` and `WonDays`. `Status` is `pending` (announced, not
yet fought), `active`, or empty once the conflict is decided (it stays listed with the final
score while the factions recover). A populated system without conflicts has no `Conflicts` key.

How we read it (fixing reference.md §7 and §11 #19):

* every entry of the list counts, not only the first;
* factions match by exact name, never by substring;
* status: `active` → active, `pending` → pending, anything else (the empty string) → ended;
* an event carries conflict information only when it has a `Conflicts` or a `Factions` list;
  an event with neither (an unpopulated system, or a stripped event) changes nothing;
* per system, the newest event by its own timestamp wins: an event older than what the state
  already reflects (the newest `last_seen` of the system's rows, or a newer jump event stored
  for the system) changes nothing;
* a known conflict that the system's newer event no longer lists is **gone** (the game dropped
  it: ended) and is marked ended;
* a conflict whose score went down, or an ended one listed as pending or active again, is a new
  conflict between the same factions.

Every conflict seen is stored (`conflict_states`, one row per system and faction pair in name
order) for `/conflicts all`; changes are returned only for conflicts that involve the guild's
faction or a protected faction, and only when something changed: new, pending → active, a day
won or lost, ended (the game reports the final score) or gone. Each update is a compare-and-set
on the row's previous status and score and each insert is `ON CONFLICT DO NOTHING`, so
concurrent transactions applying the same event (PostgreSQL) report the change once. On SQLite
one process's writers are serialized by `Database`; a second process writing the same file at
the same moment fails with "database is locked" instead of reporting twice. A conflict seen
again unchanged (most jumps into a system at war) only moves its `last_seen` on, never back,
in one statement for the whole batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.events import Envelope, as_int, as_name
from bgs.ingest import StoredEvent, _dialect_insert
from db.models import NAME, ConflictState, Event, Guild, ProtectedFaction
from db.session import Database

log = logging.getLogger(__name__)

JUMP_EVENTS = frozenset({"FSDJump", "Location", "CarrierJump"})


class ConflictStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    ENDED = "ended"


class ChangeKind(StrEnum):
    """A change worth an alert, seen from the side of the guild's (or a protected) faction."""

    NEW = "new"  # a conflict we did not know (or a new one between the same factions)
    ACTIVATED = "activated"  # pending → active
    DAY_WON = "day_won"  # only our side's won days went up
    DAY_LOST = "day_lost"  # only the other side's won days went up
    DAYS = "days"  # both went up since the last observation (a day was missed)
    ENDED = "ended"  # the game lists it as decided, with the final score
    GONE = "gone"  # the system's newer event no longer lists it


class Scope(StrEnum):
    """`/conflicts [scope]`."""

    OURS = "ours"
    PROTECTED = "protected"
    ALL = "all"


CURRENT = (ConflictStatus.PENDING.value, ConflictStatus.ACTIVE.value)


@dataclass(frozen=True, slots=True)
class Side:
    """One faction of a conflict."""

    name: str
    stake: str | None
    won_days: int


@dataclass(frozen=True, slots=True)
class Observed:
    """One conflict as an event reports it; sides in name order."""

    war_type: str
    status: ConflictStatus
    side1: Side
    side2: Side


@dataclass(frozen=True, slots=True)
class Observation:
    """Every conflict of one system at one moment, as one event reports them."""

    system_name: str
    system_address: int | None
    timestamp: datetime
    tickid: str | None
    cmdr: str | None
    conflicts: dict[tuple[str, str], Observed]


@dataclass(frozen=True, slots=True)
class ConflictChange:
    """A change worth an alert. `subject` is the guild's faction (or a protected faction)."""

    kind: ChangeKind
    system_name: str
    system_address: int | None
    war_type: str
    status: ConflictStatus
    previous_status: ConflictStatus | None
    subject: Side
    opponent: Side
    previous_days: tuple[int, int] | None  # (subject, opponent) before the change
    guild_faction: bool  # True: subject is the guild's faction; False: a protected faction
    first_seen: datetime
    observed_at: datetime
    cmdr: str | None
    tickid: str | None

    @property
    def scored_by(self) -> tuple[str, ...]:
        """The factions whose won days went up with this change."""
        if self.previous_days is None:
            return ()
        before_subject, before_opponent = self.previous_days
        return tuple(
            side.name
            for side, before in ((self.subject, before_subject), (self.opponent, before_opponent))
            if side.won_days > before
        )

    @property
    def ledger_key(self) -> str:
        """A post-ledger key (≤ 200 characters) that names exactly this change."""
        first, second = sorted((self.subject.name, self.opponent.name))
        parts = (
            self.system_name,
            first,
            second,
            self.first_seen.isoformat(),
            self.kind.value,
            self.status.value,
            f"{self.subject.won_days}-{self.opponent.won_days}",
        )
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
        return f"{self.kind.value}:{digest}"


@dataclass(frozen=True, slots=True)
class ConflictView:
    """A stored conflict for display; `side1` is the subject faction when one is involved."""

    system_name: str
    system_address: int | None
    war_type: str
    status: ConflictStatus
    side1: Side
    side2: Side
    subject: str | None
    first_seen: datetime
    last_seen: datetime
    tickid: str | None
    age: timedelta


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One conflict of the guild's faction for the scheduled digest."""

    conflict: ConflictView
    cmdrs: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Reading events
# --------------------------------------------------------------------------------------------


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


def parse_conflicts(data: Mapping[str, Any]) -> list[Observed] | None:
    """Every conflict an event lists; None when the event says nothing about conflicts."""
    conflicts = data.get("Conflicts")
    if not isinstance(conflicts, list):
        return [] if isinstance(data.get("Factions"), list) else None
    found: list[Observed] = []
    for entry in conflicts:
        if not isinstance(entry, Mapping):
            continue
        one, two = _side(entry.get("Faction1")), _side(entry.get("Faction2"))
        if one is None or two is None or one.name == two.name:
            continue
        first, second = (one, two) if one.name < two.name else (two, one)
        war_type = entry.get("WarType")
        found.append(
            Observed(
                war_type=war_type[:32] if isinstance(war_type, str) and war_type else "unknown",
                status=parse_status(entry.get("Status")),
                side1=first,
                side2=second,
            )
        )
    return found


def observe(envelope: Envelope) -> Observation | None:
    """The conflicts of a jump/location event's system; None for any other event."""
    if envelope.event not in JUMP_EVENTS or envelope.system_name is None:
        return None
    conflicts = parse_conflicts(envelope.data)
    if conflicts is None:
        return None
    return Observation(
        system_name=envelope.system_name,
        system_address=envelope.system_address,
        timestamp=envelope.timestamp,
        tickid=envelope.tickid,
        cmdr=envelope.cmdr,
        conflicts={(c.side1.name, c.side2.name): c for c in conflicts},
    )


class Observations:
    """The newest observation of each system among the stored events added: by event time, then
    the event stored last. What the after-ingest step applies to the conflict states."""

    def __init__(self, stored: Iterable[StoredEvent] = ()) -> None:
        self._newest: dict[str, tuple[datetime, int, Observation]] = {}
        for item in stored:
            self.add(item)

    def add(self, stored: StoredEvent) -> None:
        """Keep the event's observation if it is its system's newest (any other event is
        ignored)."""
        observation = observe(stored.envelope)
        if observation is None:
            return
        known = self._newest.get(observation.system_name)
        if known is None or (observation.timestamp, stored.id) > known[:2]:
            self._newest[observation.system_name] = (observation.timestamp, stored.id, observation)

    def newest(self) -> dict[str, Observation]:
        return {system: observation for system, (*_, observation) in self._newest.items()}

    def __bool__(self) -> bool:
        return bool(self._newest)


# --------------------------------------------------------------------------------------------
# Applying observations
# --------------------------------------------------------------------------------------------


def _subject(
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


def _orient(side1: Side, side2: Side, subject: str) -> tuple[Side, Side]:
    return (side1, side2) if side1.name == subject else (side2, side1)


def _sides(row: ConflictState) -> tuple[Side, Side]:
    return (
        Side(row.faction1, row.stake1, row.won_days1),
        Side(row.faction2, row.stake2, row.won_days2),
    )


class _Applier:
    """Applies one batch's observations inside the caller's tenant transaction."""

    def __init__(
        self, session: AsyncSession, guild_faction: str | None, protected: frozenset[str]
    ) -> None:
        self.session = session
        self.guild_faction = guild_faction
        self.protected = protected
        self.changes: list[ConflictChange] = []
        self._seen_again: list[dict[str, Any]] = []  # unchanged rows: only last seen moves on

    def _subject_of(self, first: str, second: str) -> tuple[str, bool] | None:
        return _subject(first, second, self.guild_faction, self.protected)

    def _report(
        self,
        kinds: Sequence[ChangeKind],
        subject: tuple[str, bool],
        seen: Observation,
        *,
        war_type: str,
        status: ConflictStatus,
        sides: tuple[Side, Side],
        first_seen: datetime,
        before: tuple[Side, Side] | None = None,
        previous_status: ConflictStatus | None = None,
    ) -> None:
        name, is_guild = subject
        ours, theirs = _orient(*sides, name)
        previous_days = None
        if before is not None:
            was_ours, was_theirs = _orient(*before, name)
            previous_days = (was_ours.won_days, was_theirs.won_days)
        for kind in kinds:
            self.changes.append(
                ConflictChange(
                    kind=kind,
                    system_name=seen.system_name,
                    system_address=seen.system_address,
                    war_type=war_type,
                    status=status,
                    previous_status=previous_status,
                    subject=ours,
                    opponent=theirs,
                    previous_days=previous_days,
                    guild_faction=is_guild,
                    first_seen=first_seen,
                    observed_at=seen.timestamp,
                    cmdr=seen.cmdr,
                    tickid=seen.tickid,
                )
            )

    def _kinds(
        self, before: tuple[Side, Side], after: Observed, previous: ConflictStatus, subject: str
    ) -> list[ChangeKind]:
        kinds: list[ChangeKind] = []
        if previous is ConflictStatus.PENDING and after.status is ConflictStatus.ACTIVE:
            kinds.append(ChangeKind.ACTIVATED)
        was_subject, was_opponent = _orient(*before, subject)
        is_subject, is_opponent = _orient(after.side1, after.side2, subject)
        subject_up = is_subject.won_days > was_subject.won_days
        opponent_up = is_opponent.won_days > was_opponent.won_days
        if subject_up and opponent_up:
            kinds.append(ChangeKind.DAYS)
        elif subject_up:
            kinds.append(ChangeKind.DAY_WON)
        elif opponent_up:
            kinds.append(ChangeKind.DAY_LOST)
        if after.status is ConflictStatus.ENDED and previous is not ConflictStatus.ENDED:
            kinds.append(ChangeKind.ENDED)
        return kinds

    async def _insert(self, seen: Observation, conflict: Observed) -> None:
        statement = (
            _dialect_insert(self.session, ConflictState)
            .on_conflict_do_nothing(
                index_elements=["guild_id", "system_name", "faction1", "faction2"]
            )
            .returning(ConflictState.id)
        )
        row = {
            "system_name": seen.system_name,
            "system_address": seen.system_address,
            "faction1": conflict.side1.name,
            "faction2": conflict.side2.name,
            "war_type": conflict.war_type,
            "status": conflict.status.value,
            "stake1": conflict.side1.stake,
            "stake2": conflict.side2.stake,
            "won_days1": conflict.side1.won_days,
            "won_days2": conflict.side2.won_days,
            "tickid": seen.tickid,
            "first_seen": seen.timestamp,
            "last_seen": seen.timestamp,
        }
        inserted = (await self.session.execute(statement, [row])).scalar_one_or_none()
        subject = self._subject_of(conflict.side1.name, conflict.side2.name)
        # A conflict first seen already decided ended before we knew it: nothing to announce.
        if inserted is not None and subject and conflict.status is not ConflictStatus.ENDED:
            self._report(
                [ChangeKind.NEW],
                subject,
                seen,
                war_type=conflict.war_type,
                status=conflict.status,
                sides=(conflict.side1, conflict.side2),
                first_seen=seen.timestamp,
            )

    async def _compare_and_set(
        self, row: ConflictState, seen: Observation, values: dict[str, Any]
    ) -> bool:
        """Update `row` unless it changed since it was read or holds newer data."""
        statement = (
            update(ConflictState)
            .where(
                ConflictState.id == row.id,
                ConflictState.status == row.status,
                ConflictState.won_days1 == row.won_days1,
                ConflictState.won_days2 == row.won_days2,
                ConflictState.last_seen <= seen.timestamp,
            )
            .values(last_seen=seen.timestamp, tickid=seen.tickid, **values)
            .returning(ConflictState.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def _update(self, row: ConflictState, seen: Observation, conflict: Observed) -> None:
        previous = parse_status(row.status)
        before = _sides(row)
        restarted = (
            previous is ConflictStatus.ENDED and conflict.status is not ConflictStatus.ENDED
        ) or (conflict.side1.won_days < row.won_days1 or conflict.side2.won_days < row.won_days2)
        first_seen = seen.timestamp if restarted else row.first_seen
        values: dict[str, Any] = {
            "system_address": seen.system_address or row.system_address,
            "war_type": conflict.war_type,
            "status": conflict.status.value,
            "stake1": conflict.side1.stake,
            "stake2": conflict.side2.stake,
            "won_days1": conflict.side1.won_days,
            "won_days2": conflict.side2.won_days,
            "first_seen": first_seen,
        }
        if all(getattr(row, column) == value for column, value in values.items()):
            # The usual case, every jump into a system at war: nothing to compare or report.
            self._seen_again.append(
                {"row_id": row.id, "seen": seen.timestamp, "seen_tickid": seen.tickid}
            )
            return
        if not await self._compare_and_set(row, seen, values):
            return
        subject = self._subject_of(row.faction1, row.faction2)
        if subject is None:
            return
        if restarted:
            kinds = [] if conflict.status is ConflictStatus.ENDED else [ChangeKind.NEW]
        else:
            kinds = self._kinds(before, conflict, previous, subject[0])
        self._report(
            kinds,
            subject,
            seen,
            war_type=conflict.war_type,
            status=conflict.status,
            sides=(conflict.side1, conflict.side2),
            first_seen=first_seen,
            before=None if restarted else before,
            previous_status=None if restarted else previous,
        )

    async def _gone(self, row: ConflictState, seen: Observation) -> None:
        if not await self._compare_and_set(row, seen, {"status": ConflictStatus.ENDED.value}):
            return
        subject = self._subject_of(row.faction1, row.faction2)
        if subject is None:
            return
        sides = _sides(row)
        self._report(
            [ChangeKind.GONE],
            subject,
            seen,
            war_type=row.war_type,
            status=ConflictStatus.ENDED,
            sides=sides,
            first_seen=row.first_seen,
            before=sides,
            previous_status=parse_status(row.status),
        )

    async def apply(self, newest: Mapping[str, Observation], known: Mapping[str, Known]) -> None:
        """Apply each system's newest observation to what `known` read of its state."""
        for name in sorted(newest):
            seen = newest[name]
            state = known[name]
            if state.as_of is not None and seen.timestamp < state.as_of:
                log.debug(
                    "conflicts: %s event of %s is older than the state (%s); ignored",
                    seen.timestamp.isoformat(),
                    name,
                    state.as_of.isoformat(),
                )
                continue
            for pair, conflict in seen.conflicts.items():
                stored = state.rows.get(pair)
                if stored is None:
                    await self._insert(seen, conflict)
                else:
                    await self._update(stored, seen, conflict)
            for pair, row in state.rows.items():
                if pair not in seen.conflicts and row.status != ConflictStatus.ENDED.value:
                    await self._gone(row, seen)
        await self._touch()

    async def _touch(self) -> None:
        """Move `last_seen` on for the unchanged rows, all in one statement (never back)."""
        if not self._seen_again:
            return
        table = cast(Table, ConflictState.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.last_seen <= bindparam("seen"))
            .values(last_seen=bindparam("seen"), tickid=bindparam("seen_tickid"))
        )
        await self.session.execute(statement, self._seen_again)


@dataclass(frozen=True, slots=True)
class Known:
    """A system's stored conflicts (by faction pair) and the newest moment the state reflects:
    the newest `last_seen` of its rows or of a jump event stored for it."""

    rows: dict[tuple[str, str], ConflictState]
    as_of: datetime | None


async def read_known(session: AsyncSession, systems: Sequence[str]) -> dict[str, Known]:
    """What the guild's state holds for these systems (tenant session)."""
    rows = (
        (
            await session.execute(
                select(ConflictState)
                .where(ConflictState.system_name.in_(systems))
                .order_by(ConflictState.id)
            )
        )
        .scalars()
        .all()
    )
    newest_jump: dict[str | None, datetime] = dict(
        (
            await session.execute(
                select(Event.system_name, func.max(Event.timestamp))
                .where(Event.event.in_(sorted(JUMP_EVENTS)), Event.system_name.in_(systems))
                .group_by(Event.system_name)
            )
        ).all()
    )
    by_system: dict[str, dict[tuple[str, str], ConflictState]] = {name: {} for name in systems}
    for row in rows:
        by_system[row.system_name][row.faction1, row.faction2] = row
    return {
        name: Known(
            pairs,
            max(
                [row.last_seen for row in pairs.values()]
                + ([newest_jump[name]] if name in newest_jump else []),
                default=None,
            ),
        )
        for name, pairs in by_system.items()
    }


async def watched_factions(session: AsyncSession) -> tuple[str | None, list[str]]:
    """The guild's own faction and its protected factions (tenant session)."""
    faction = (await session.execute(select(Guild.faction))).scalar_one_or_none()
    protected = (
        (await session.execute(select(ProtectedFaction.name).order_by(ProtectedFaction.name)))
        .scalars()
        .all()
    )
    return faction, list(protected)


async def on_events_stored(
    db: Database, guild_id: int, observations: Observations
) -> list[ConflictChange]:
    """The after-ingest step: apply the stored jump events' observations to the conflict states."""
    newest = observations.newest()
    if not newest:
        return []
    # Read without holding the write lock (event batches wait for it): every write below is a
    # compare-and-set or an insert that skips a row inserted meanwhile, so a change made since
    # is never reported twice.
    async with db.tenant(guild_id) as session:
        guild_faction, protected = await watched_factions(session)
        known = await read_known(session, sorted(newest))
    async with db.tenant_write(guild_id) as session:
        applier = _Applier(session, guild_faction, frozenset(protected))
        await applier.apply(newest, known)
    changes = applier.changes
    for change in changes:
        log.info(
            "guild %s: conflict %s in %s: %s %d vs %s %d (%s)",
            guild_id,
            change.kind.value,
            change.system_name,
            change.subject.name,
            change.subject.won_days,
            change.opponent.name,
            change.opponent.won_days,
            change.status.value,
        )
    return changes


# --------------------------------------------------------------------------------------------
# Reading the state
# --------------------------------------------------------------------------------------------


def _view(
    row: ConflictState, guild_faction: str | None, protected: frozenset[str], now: datetime
) -> ConflictView:
    side1, side2 = _sides(row)
    found = _subject(row.faction1, row.faction2, guild_faction, protected)
    subject = None if found is None else found[0]
    if subject is not None:
        side1, side2 = _orient(side1, side2, subject)
    return ConflictView(
        system_name=row.system_name,
        system_address=row.system_address,
        war_type=row.war_type,
        status=parse_status(row.status),
        side1=side1,
        side2=side2,
        subject=subject,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        tickid=row.tickid,
        age=now - row.last_seen,
    )


def _involving(names: Iterable[str]) -> ColumnElement[bool]:
    """Conflicts where one side is exactly one of `names`."""
    listed = sorted(names)
    return or_(ConflictState.faction1.in_(listed), ConflictState.faction2.in_(listed))


ORDER = (
    ConflictState.last_seen.desc(),
    ConflictState.system_name,
    ConflictState.faction1,
    ConflictState.faction2,
)


async def current_conflicts(
    session: AsyncSession,
    scope: Scope,
    guild_faction: str | None,
    protected: Iterable[str],
    now: datetime,
) -> list[ConflictView]:
    """Pending and active conflicts for `/conflicts [scope]`, freshest data first."""
    protected_set = frozenset(protected)
    statement = select(ConflictState).where(ConflictState.status.in_(CURRENT))
    if scope is Scope.OURS:
        if not guild_faction:
            return []
        statement = statement.where(_involving([guild_faction]))
    elif scope is Scope.PROTECTED:
        if not protected_set:
            return []
        statement = statement.where(_involving(protected_set))
    rows = (await session.execute(statement.order_by(*ORDER))).scalars().all()
    return [_view(row, guild_faction, protected_set, now) for row in rows]


async def conflict_digest(
    session: AsyncSession, guild_faction: str | None, since: datetime, now: datetime
) -> list[DigestEntry]:
    """The guild faction's conflicts seen since `since` (the current tick's start), newest data
    first, with the cmdrs whose events in that system are from `since` on."""
    if not guild_faction:
        return []
    rows = (
        (
            await session.execute(
                select(ConflictState)
                .where(_involving([guild_faction]), ConflictState.last_seen >= since)
                .order_by(*ORDER)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return []
    cmdrs: dict[str, set[str]] = {row.system_name: set() for row in rows}
    visits = await session.execute(
        select(Event.system_name, Event.cmdr)
        .distinct()
        .where(Event.system_name.in_(sorted(cmdrs)), Event.timestamp >= since)
    )
    for system_name, cmdr in visits:
        if system_name is not None and cmdr is not None:
            cmdrs[system_name].add(cmdr)
    return [
        DigestEntry(
            _view(row, guild_faction, frozenset(), now), tuple(sorted(cmdrs[row.system_name]))
        )
        for row in rows
    ]
