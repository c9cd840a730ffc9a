"""Galaxy alerts: what a newer snapshot of a system means for each guild's faction and its
protected factions, written to the guilds' outboxes in the transaction that stored it.

The galaxy store calls `enqueue_alerts(session, changes, now, db=db)` with the changes it just
stored (`SystemChange`: the snapshot and the one it replaced), in its own transaction on the
default database. For each guild (not left) whose faction or a protected faction is present in
a changed system, per its `/config galaxy-alerts` settings:

* **lead** — in a system the faction controls, its lead over the runner-up fell under the
  threshold (default 5 points);
* **drop** — its influence fell more than N points (default 3) since the last tick (the
  influence history's row of the newest period before the snapshot's; else the replaced
  snapshot when that was from an earlier period; no drop while no tick before the snapshot is
  known, since then there is no last tick to compare with);
* **retreat** — its influence fell under the threshold (default 5 %);
* **pending** — an expansion, retreat, war, civil war or election became pending;
* **conflicts** — the snapshot's conflicts are applied to the guild's conflict states with the
  very code members' jumps go through (`bgs.conflicts.changes`), so a conflict starting, a day
  won or lost and a conflict ending are reported once, by whichever path saw it first: the two
  paths share the state rows and their compare-and-set, and the change's post-ledger key.

Each alert fires when its condition starts to hold (the replaced snapshot did not meet it, or
there was none), and its post-ledger key names the system, faction, kind (and state) and the
tick period, so it is posted at most once per tick however often it is seen, by however many
processes, across restarts.

**Where the entries are written.** Guilds in the default database get their outbox entries and
conflict-state changes in the caller's transaction (a tenant-scoped session joined to it,
`db.database.joined_tenant`): the alert exists exactly when the stored change does. Guilds with
a database of their own (tenants.json `database_url`) get theirs in a transaction of their
database committed before the caller commits: if the caller then rolls back, the same change is
stored and alerted again later and the post ledger keeps it from being posted twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import outbox
from bgs.conflicts.changes import apply_reports, read_known
from bgs.conflicts.reports import ReportedConflict, Side, SystemReport, parse_status
from bgs.galaxy.snapshot import FactionSnapshot, SystemChange, SystemSnapshot
from db.database import Database, joined_tenant
from db.models import GalaxyInfluence, GalaxyTick, ProtectedFaction, Tenant

ALERT_KIND: Final = "galaxy_alert"  # the outbox's and post ledger's kind
PENDING_STATES: Final = frozenset({"Expansion", "Retreat", "War", "CivilWar", "Election"})
SOURCE: Final = "eddn"


def _points(fraction: float) -> float:
    """A journal influence (0..1) in points, rounded so 0.07 - 0.04 is 3, not 3.0000000000004."""
    return round(fraction * 100.0, 4)


class AlertKind(StrEnum):
    LEAD = "lead"
    DROP = "drop"
    RETREAT = "retreat"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class GalaxyAlert:
    """One alert for one guild. Influence figures in points."""

    kind: AlertKind
    system_name: str
    system_address: int
    faction: str
    guild_faction: bool  # True: the guild's own faction; False: a protected one
    influence: float
    previous: float | None  # DROP: the last tick's influence
    lead: float | None  # LEAD: over the runner-up
    runner_up: str | None
    state: str | None  # PENDING: the state
    threshold: float | None
    tick_at: datetime | None
    observed_at: datetime

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = _ALERT.dump_python(self, mode="json")
        return payload

    @staticmethod
    def from_payload(payload: Mapping[str, Any]) -> GalaxyAlert:
        return _ALERT.validate_python(payload)

    @property
    def ledger_key(self) -> str:
        """A post-ledger key (≤ 200 characters) naming the alert: once per tick period."""
        parts = (
            str(self.system_address),
            self.faction,
            self.kind.value,
            self.state or "",
            self.tick_at.isoformat() if self.tick_at else "",
        )
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
        return f"{self.kind.value}:{digest}"


_ALERT: Final = TypeAdapter(GalaxyAlert)


@dataclass(frozen=True, slots=True)
class Watcher:
    """A guild's faction, protected factions and galaxy-alert settings."""

    guild_id: int
    faction: str | None
    protected: frozenset[str]
    lead: float
    drop: float
    retreat: float
    pending: bool
    conflicts: bool

    def subject(self, name: str) -> bool | None:
        """True for the guild's faction, False for a protected one, None otherwise."""
        if name == self.faction:
            return True
        return False if name in self.protected else None

    def watches(self, names: Iterable[str]) -> bool:
        return any(self.subject(name) is not None for name in names)


async def watchers(session: AsyncSession, names: Iterable[str]) -> list[Watcher]:
    """The guilds of this (unscoped) session's database watching any of `names`."""
    wanted = sorted(set(names))
    if not wanted:
        return []
    protected: dict[int, set[str]] = {}
    rows = await session.execute(
        select(ProtectedFaction.guild_id, ProtectedFaction.name).where(
            ProtectedFaction.name.in_(wanted)
        )
    )
    for guild_id, name in rows:
        protected.setdefault(guild_id, set()).add(name)
    tenants = await session.execute(
        select(Tenant).where(
            Tenant.left_at.is_(None),
            Tenant.faction.in_(wanted) | Tenant.guild_id.in_(sorted(protected)),
        )
    )
    return [
        Watcher(
            guild_id=tenant.guild_id,
            faction=tenant.faction,
            protected=frozenset(protected.get(tenant.guild_id, ())),
            lead=tenant.galaxy_lead_alert,
            drop=tenant.galaxy_drop_alert,
            retreat=tenant.galaxy_retreat_alert,
            pending=tenant.galaxy_pending_alert,
            conflicts=tenant.galaxy_conflict_alert,
        )
        for tenant in tenants.scalars()
    ]


def _names(snapshot: SystemSnapshot | None) -> set[str]:
    if snapshot is None:
        return set()
    found = {item.name for item in snapshot.factions}
    for conflict in snapshot.conflicts:
        found |= {conflict.faction1, conflict.faction2}
    return found


def _presence(snapshot: SystemSnapshot | None, name: str) -> FactionSnapshot | None:
    if snapshot is None:
        return None
    return next((item for item in snapshot.factions if item.name == name), None)


def _lead(snapshot: SystemSnapshot | None, name: str) -> tuple[float, str | None] | None:
    """The faction's lead (points) over the runner-up where it controls the system."""
    if snapshot is None or snapshot.controlling_faction != name:
        return None
    own = _presence(snapshot, name)
    if own is None:
        return None
    others = sorted(
        (item for item in snapshot.factions if item.name != name),
        key=lambda item: item.influence,
        reverse=True,
    )
    if not others:
        return None
    return _points(own.influence - others[0].influence), others[0].name


class _Ticks:
    """The tick periods of the snapshots: the newest galaxy tick at or before a moment."""

    def __init__(self, ticks: Sequence[datetime]) -> None:
        self.ticks = sorted(ticks, reverse=True)

    def period(self, instant: datetime) -> datetime | None:
        return next((tick for tick in self.ticks if tick <= instant), None)


async def _ticks(session: AsyncSession, changes: Sequence[SystemChange]) -> _Ticks:
    oldest = min(
        [change.after.observed_at for change in changes]
        + [change.before.observed_at for change in changes if change.before is not None]
    )
    newest_before = (
        await session.execute(
            select(GalaxyTick.tick_time)
            .where(GalaxyTick.tick_time <= oldest)
            .order_by(GalaxyTick.tick_time.desc())
            .limit(1)
        )
    ).scalars()
    later = (
        await session.execute(select(GalaxyTick.tick_time).where(GalaxyTick.tick_time > oldest))
    ).scalars()
    return _Ticks([*newest_before, *later])


async def _last_tick_influence(
    session: AsyncSession, change: SystemChange, name: str, tick_at: datetime | None
) -> float | None:
    """The faction's influence (0..1) of the period before the snapshot's (module docstring)."""
    if tick_at is not None:
        found = (
            await session.execute(
                select(GalaxyInfluence.influence)
                .where(
                    GalaxyInfluence.system_address == change.after.system_address,
                    GalaxyInfluence.faction == name,
                    GalaxyInfluence.tick_at < tick_at,
                )
                .order_by(GalaxyInfluence.tick_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if found is not None:
            return found
    before = _presence(change.before, name)
    earlier = (
        change.before is not None and tick_at is not None and change.before.observed_at < tick_at
    )
    return before.influence if before is not None and earlier else None


class _Finder:
    """The alerts of one guild for one change."""

    def __init__(self, session: AsyncSession, change: SystemChange, tick_at: datetime | None):
        self.session = session
        self.change = change
        self.tick_at = tick_at

    def _alert(self, kind: AlertKind, name: str, is_guild: bool, **fields: Any) -> GalaxyAlert:
        after = self.change.after
        own = _presence(after, name)
        assert own is not None
        values: dict[str, Any] = {
            "previous": None,
            "lead": None,
            "runner_up": None,
            "state": None,
            "threshold": None,
        }
        return GalaxyAlert(
            kind=kind,
            system_name=after.name,
            system_address=after.system_address,
            faction=name,
            guild_faction=is_guild,
            influence=_points(own.influence),
            tick_at=self.tick_at,
            observed_at=after.observed_at,
            **(values | fields),
        )

    async def alerts(self, watcher: Watcher, same_period: bool) -> list[GalaxyAlert]:
        found: list[GalaxyAlert] = []
        for own in self.change.after.factions:
            is_guild = watcher.subject(own.name)
            if is_guild is None:
                continue
            found += self._lead(watcher, own.name, is_guild)
            found += await self._drop(watcher, own, is_guild, same_period)
            found += self._retreat(watcher, own, is_guild)
            found += self._pending(watcher, own, is_guild)
        return found

    def _lead(self, watcher: Watcher, name: str, is_guild: bool) -> list[GalaxyAlert]:
        if watcher.lead <= 0:
            return []
        now, before = _lead(self.change.after, name), _lead(self.change.before, name)
        if now is None or now[0] >= watcher.lead:
            return []
        if before is not None and before[0] < watcher.lead:
            return []
        return [
            self._alert(
                AlertKind.LEAD,
                name,
                is_guild,
                lead=now[0],
                runner_up=now[1],
                threshold=watcher.lead,
            )
        ]

    async def _drop(
        self, watcher: Watcher, own: FactionSnapshot, is_guild: bool, same_period: bool
    ) -> list[GalaxyAlert]:
        if watcher.drop <= 0:
            return []
        last = await _last_tick_influence(self.session, self.change, own.name, self.tick_at)
        if last is None or _points(last - own.influence) <= watcher.drop:
            return []
        before = _presence(self.change.before, own.name)
        if same_period and before is not None and _points(last - before.influence) > watcher.drop:
            return []  # already over the drop earlier in this period
        return [
            self._alert(
                AlertKind.DROP, own.name, is_guild, previous=_points(last), threshold=watcher.drop
            )
        ]

    def _retreat(self, watcher: Watcher, own: FactionSnapshot, is_guild: bool) -> list[GalaxyAlert]:
        if watcher.retreat <= 0 or _points(own.influence) >= watcher.retreat:
            return []
        before = _presence(self.change.before, own.name)
        if before is not None and _points(before.influence) < watcher.retreat:
            return []
        return [self._alert(AlertKind.RETREAT, own.name, is_guild, threshold=watcher.retreat)]

    def _pending(self, watcher: Watcher, own: FactionSnapshot, is_guild: bool) -> list[GalaxyAlert]:
        if not watcher.pending:
            return []
        before = _presence(self.change.before, own.name)
        known = set(before.pending_states) if before is not None else set()
        return [
            self._alert(AlertKind.PENDING, own.name, is_guild, state=state)
            for state in sorted(set(own.pending_states) & PENDING_STATES - known)
        ]


def system_report(snapshot: SystemSnapshot) -> SystemReport:
    """A snapshot's conflicts as the member path reads a jump's (sides in name order)."""
    conflicts: dict[tuple[str, str], ReportedConflict] = {}
    for item in snapshot.conflicts:
        one = Side(item.faction1, item.stake1 or None, item.won_days1)
        two = Side(item.faction2, item.stake2 or None, item.won_days2)
        if one.name == two.name:
            continue
        first, second = (one, two) if one.name < two.name else (two, one)
        conflicts[first.name, second.name] = ReportedConflict(
            war_type=item.war_type or "unknown",
            status=parse_status(item.status),
            side1=first,
            side2=second,
        )
    return SystemReport(
        system_name=snapshot.name,
        system_address=snapshot.system_address,
        timestamp=snapshot.observed_at,
        tickid=None,
        cmdr=None,
        conflicts=conflicts,
        source=SOURCE,
    )


async def _for_guild(
    galaxy: AsyncSession,
    tenant: AsyncSession,
    watcher: Watcher,
    changes: Sequence[SystemChange],
    *,
    ticks: _Ticks,
    now: datetime,
) -> None:
    """Write one guild's alerts and conflict changes in its tenant-scoped `tenant` session."""
    for change in changes:
        names = _names(change.before) | _names(change.after)
        if not watcher.watches(names):
            continue
        tick_at = ticks.period(change.after.observed_at)
        before_at = None if change.before is None else ticks.period(change.before.observed_at)
        same_period = change.before is not None and before_at == tick_at
        finder = _Finder(galaxy, change, tick_at)
        for alert in await finder.alerts(watcher, same_period):
            await outbox.enqueue(tenant, ALERT_KIND, alert.ledger_key, alert.payload(), now)
        if watcher.conflicts and change.after.factions:
            await _conflicts(tenant, watcher, change.after, now)


async def _conflicts(
    tenant: AsyncSession, watcher: Watcher, snapshot: SystemSnapshot, now: datetime
) -> None:
    report = system_report(snapshot)
    known = await read_known(tenant, [report.system_name])
    newest = {report.system_name: report}
    await apply_reports(tenant, watcher.faction, watcher.protected, newest, known, now=now)


async def enqueue_alerts(
    session: AsyncSession,
    changes: list[SystemChange],
    now: datetime,
    *,
    db: Database | None = None,
) -> None:
    """Enqueue every guild's alerts for these stored changes (module docstring): `session` is
    the galaxy store's unscoped session on the default database, in the transaction that stored
    the changes; `db`, when given, reaches the guilds that have a database of their own."""
    if not changes:
        return
    names: set[str] = set()
    for change in changes:
        names |= _names(change.before) | _names(change.after)
    ticks = await _ticks(session, changes)
    for watcher in await watchers(session, names):
        if db is not None and db.url_for(watcher.guild_id) != db.default_url:
            continue  # its rows live in its own database (below)
        async with joined_tenant(session, watcher.guild_id) as tenant:
            await _for_guild(session, tenant, watcher, changes, ticks=ticks, now=now)
    if db is None:
        return
    for url in db.urls[1:]:
        async with db.unscoped(url) as other:
            found = await watchers(other, names)
        for watcher in found:
            if db.url_for(watcher.guild_id) != url:
                continue
            async with db.tenant_write(watcher.guild_id) as tenant:
                await _for_guild(session, tenant, watcher, changes, ticks=ticks, now=now)
