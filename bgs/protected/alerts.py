"""Harm alerts: one message per (protected faction, cmdr, tick). `on_events_stored` (the ingest
hook) returns the `AlertRef`s whose message must be posted or edited, `harm_alert` gathers what
that message shows, and `alert_key` is its post-ledger key (kind `ALERT_KIND`)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import outbox
from bgs.ingest import StoredEvent
from bgs.protected.harm import HARM_EVENTS, HarmKind, detect_harm
from db.database import Database
from db.models import (
    Event,
    ProtectedFaction,
    ProtectedHarm,
)

ALERT_KIND: Final = "protected_harm"  # the post ledger's `kind` for harm alerts


LEDGER_KEY_MAX: Final = 200  # post_ledger.key length


def alert_key(protected_faction_id: int, cmdr: str | None, tickid: str | None) -> str:
    """The post-ledger key of the alert for (protected faction, cmdr, tick)."""
    key = f"{protected_faction_id}:{cmdr or ''}:{tickid or ''}"
    if len(key) <= LEDGER_KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{protected_faction_id}:#{digest}"


@dataclass(frozen=True, slots=True)
class AlertRef:
    """An alert that must be posted, or edited because more harm arrived."""

    protected_faction_id: int
    cmdr: str | None
    tickid: str | None

    @property
    def key(self) -> str:
        return alert_key(self.protected_faction_id, self.cmdr, self.tickid)

    def payload(self) -> dict[str, Any]:
        """The alert as JSON, for the outbox (`AlertRef.from_payload` reads it back)."""
        return {"faction": self.protected_faction_id, "cmdr": self.cmdr, "tickid": self.tickid}

    @staticmethod
    def from_payload(payload: Mapping[str, Any]) -> AlertRef:
        return AlertRef(int(payload["faction"]), payload["cmdr"], payload["tickid"])


@dataclass(frozen=True, slots=True)
class HarmLine:
    """One harm, as the alert lists it."""

    event_id: int
    timestamp: datetime
    system_name: str | None
    kind: HarmKind
    amount: int
    detail: str


@dataclass(frozen=True, slots=True)
class KindTotal:
    count: int
    amount: int  # in KIND_UNITS[kind]


@dataclass(frozen=True, slots=True)
class HarmAlert:
    """Everything one alert message shows: one cmdr's harm to one faction in one tick."""

    protected_faction_id: int
    faction: str
    description: str | None
    channel_id: int | None  # the faction's override; None means the guild's alerts channel
    cmdr: str | None
    tickid: str | None
    ticktime: datetime | None  # the tick's start, as the plugin sent it
    harms: list[HarmLine]  # in time order
    totals: dict[HarmKind, KindTotal]  # in HarmKind order

    @property
    def key(self) -> str:
        return alert_key(self.protected_faction_id, self.cmdr, self.tickid)


def _is(column: Any, value: str | None) -> ColumnElement[bool]:
    comparison: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return comparison


async def harm_alert(
    session: AsyncSession, protected_faction_id: int, cmdr: str | None, tickid: str | None
) -> HarmAlert | None:
    """The alert's content (one query); None when the faction is no longer protected or
    nothing is recorded for that cmdr and tick."""
    rows = (
        await session.execute(
            select(ProtectedHarm, ProtectedFaction, Event.ticktime)
            .join(ProtectedFaction, ProtectedFaction.id == ProtectedHarm.protected_faction_id)
            .join(Event, Event.id == ProtectedHarm.event_id)
            .where(
                ProtectedHarm.protected_faction_id == protected_faction_id,
                _is(ProtectedHarm.cmdr, cmdr),
                _is(ProtectedHarm.tickid, tickid),
            )
            .order_by(ProtectedHarm.timestamp, ProtectedHarm.id)
        )
    ).all()
    if not rows:
        return None
    _, faction, ticktime = rows[0]
    harms = [
        HarmLine(h.event_id, h.timestamp, h.system_name, HarmKind(h.kind), h.amount, h.detail)
        for h, _, _ in rows
    ]
    counts: Counter[HarmKind] = Counter()
    amounts: Counter[HarmKind] = Counter()
    for line in harms:
        counts[line.kind] += 1
        amounts[line.kind] += line.amount
    return HarmAlert(
        protected_faction_id=faction.id,
        faction=faction.name,
        description=faction.description,
        channel_id=faction.channel_id,
        cmdr=cmdr,
        tickid=tickid,
        ticktime=ticktime,
        harms=harms,
        totals={kind: KindTotal(counts[kind], amounts[kind]) for kind in HarmKind if counts[kind]},
    )


async def on_events_stored(
    db: Database, guild_id: int, stored: Sequence[StoredEvent]
) -> list[AlertRef]:
    """The ingest hook: record the harm of stored events (in the order they were stored);
    return the alerts to post or edit, in order."""
    if not any(item.envelope.event in HARM_EVENTS for item in stored):
        return []
    async with db.tenant_write(guild_id) as session:
        records = await detect_harm(session, stored)
        refs = list(
            dict.fromkeys(AlertRef(r.protected_faction_id, r.cmdr, r.tickid) for r in records)
        )
        now = datetime.now(UTC)
        for ref in refs:
            await outbox.enqueue(session, ALERT_KIND, ref.key, ref.payload(), now)
    return refs
