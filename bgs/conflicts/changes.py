"""Applying each system's newest report to the guild's conflict states, and the changes worth an
alert (see the package docstring)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, cast

from pydantic import TypeAdapter
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import outbox
from bgs.conflicts.reports import (
    JUMP_EVENTS,
    ConflictStatus,
    NewestReports,
    ReportedConflict,
    Side,
    SystemReport,
    oriented,
    parse_status,
    sides_of,
    subject_of,
)
from db.bulk import dialect_insert, dialect_name
from db.database import Database
from db.models import ConflictState, Event, ProtectedFaction, Tenant

log = logging.getLogger(__name__)

CHANGE_KIND: Final = "conflict_change"  # the outbox's and post ledger's kind


class ChangeKind(StrEnum):
    """A change worth an alert, seen from the side of the guild's (or a protected) faction."""

    NEW = "new"  # a conflict we did not know (or a new one between the same factions)
    ACTIVATED = "activated"  # pending → active
    DAY_WON = "day_won"  # only our side's won days went up
    DAY_LOST = "day_lost"  # only the other side's won days went up
    DAYS = "days"  # both went up since the last observation (a day was missed)
    ENDED = "ended"  # the game lists it as decided, with the final score
    GONE = "gone"  # the system's newer event no longer lists it


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
    source: str = "member"  # "member" (a member's jump) or "eddn" (bgs.galaxy.alerts)

    def payload(self) -> dict[str, Any]:
        """The change as JSON, for the outbox (`ConflictChange.from_payload` reads it back)."""
        payload: dict[str, Any] = _CHANGE.dump_python(self, mode="json")
        return payload

    @staticmethod
    def from_payload(payload: Mapping[str, Any]) -> ConflictChange:
        return _CHANGE.validate_python(payload)

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


_CHANGE: Final = TypeAdapter(ConflictChange)


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
        return subject_of(first, second, self.guild_faction, self.protected)

    def _report(
        self,
        kinds: Sequence[ChangeKind],
        subject: tuple[str, bool],
        seen: SystemReport,
        *,
        war_type: str,
        status: ConflictStatus,
        sides: tuple[Side, Side],
        first_seen: datetime,
        before: tuple[Side, Side] | None = None,
        previous_status: ConflictStatus | None = None,
    ) -> None:
        name, is_guild = subject
        ours, theirs = oriented(*sides, name)
        previous_days = None
        if before is not None:
            was_ours, was_theirs = oriented(*before, name)
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
                    source=seen.source,
                )
            )

    def _kinds(
        self,
        before: tuple[Side, Side],
        after: ReportedConflict,
        previous: ConflictStatus,
        subject: str,
    ) -> list[ChangeKind]:
        kinds: list[ChangeKind] = []
        if previous is ConflictStatus.PENDING and after.status is ConflictStatus.ACTIVE:
            kinds.append(ChangeKind.ACTIVATED)
        was_subject, was_opponent = oriented(*before, subject)
        is_subject, is_opponent = oriented(after.side1, after.side2, subject)
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

    async def _insert(self, seen: SystemReport, conflict: ReportedConflict) -> None:
        statement = (
            dialect_insert(dialect_name(self.session), ConflictState)
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
        self, row: ConflictState, seen: SystemReport, values: dict[str, Any]
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

    async def _update(
        self, row: ConflictState, seen: SystemReport, conflict: ReportedConflict
    ) -> None:
        previous = parse_status(row.status)
        before = sides_of(row)
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

    async def _gone(self, row: ConflictState, seen: SystemReport) -> None:
        if not await self._compare_and_set(row, seen, {"status": ConflictStatus.ENDED.value}):
            return
        subject = self._subject_of(row.faction1, row.faction2)
        if subject is None:
            return
        sides = sides_of(row)
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

    async def apply(self, newest: Mapping[str, SystemReport], known: Mapping[str, Known]) -> None:
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
    faction = (await session.execute(select(Tenant.faction))).scalar_one_or_none()
    protected = (
        (await session.execute(select(ProtectedFaction.name).order_by(ProtectedFaction.name)))
        .scalars()
        .all()
    )
    return faction, list(protected)


async def apply_reports(
    session: AsyncSession,
    guild_faction: str | None,
    protected: Iterable[str],
    newest: Mapping[str, SystemReport],
    known: Mapping[str, Known],
    *,
    now: datetime,
) -> list[ConflictChange]:
    """Apply each system's newest report to the guild's conflict states (tenant transaction)
    and enqueue the changes worth an alert: members' jumps and the galaxy feed
    (`bgs.galaxy.alerts`) both come through here, so a change is found once, by whichever
    report reached the shared state first."""
    applier = _Applier(session, guild_faction, frozenset(protected))
    await applier.apply(newest, known)
    for change in applier.changes:
        await outbox.enqueue(session, CHANGE_KIND, change.ledger_key, change.payload(), now)
    return applier.changes


async def on_events_stored(
    db: Database, guild_id: int, observations: NewestReports
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
        changes = await apply_reports(
            session, guild_faction, protected, newest, known, now=datetime.now(UTC)
        )
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
