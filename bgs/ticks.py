"""The galaxy tick: what the sources say, sanity checks, storing each tick once (the HTTP polling
is `feeds.ticks`).

Sources (ecosystem.md §7):

* **primary** — Zoy's `galtick.json`, a JSON object whose `lastGalaxyTick` is an ISO UTC time
  with milliseconds and `Z`;
* **fallback** — EDCD's `/api/tick`, a bare JSON string such as `"2022-10-10T17:04:17+00:00"`.
  EDCD has reported false ticks, so it is asked only when the primary cannot be used.

The primary *cannot be used* when it fails (HTTP error, timeout, refused connection, garbage or
wrongly shaped JSON, a time in the future) or when it is **stale**: its tick is older than
`STALE_AFTER` (25 h). Ticks come about once a day, so a primary that still reports a tick from
more than a day ago has most likely stopped following the galaxy. The fallback's answer is used
only when it is newer than what the primary said.

A candidate tick is stored only when it passes the checks: not in the future (beyond
`MAX_CLOCK_SKEW`), newer than the last stored tick, and more than `DUPLICATE_WINDOW` after it
(two sources, or one source's rounding, reporting the same tick a little apart). The insert
repeats the last two checks in the same statement and is `ON CONFLICT (tick_time) DO NOTHING
RETURNING`, so when two processes poll at once exactly one of them stores the tick and is told
it is new: the caller announces only on `new`.

A manual tick (`/tick set time`) goes through the same checks and is stored with the source
`manual`. The watchdog (`tick_overdue`) reports when no tick is stored for over 25 hours.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.events import parse_instant
from db.bulk import dialect_insert, dialect_name
from db.database import Database
from db.models import GalaxyTick

log = logging.getLogger(__name__)

PRIMARY = "zoy"
FALLBACK = "edcd"
MANUAL = "manual"

STALE_AFTER = timedelta(hours=25)
OVERDUE_AFTER = timedelta(hours=25)
MAX_CLOCK_SKEW = timedelta(minutes=2)
DUPLICATE_WINDOW = timedelta(minutes=30)
MAX_BODY = 64 * 1024


class TickSourceError(Exception):
    """A tick source gave no usable answer; the message says why."""


@dataclass(frozen=True, slots=True)
class TickRecord:
    """A stored galaxy tick."""

    tick_time: datetime
    source: str
    seen_at: datetime

    def age(self, now: datetime) -> timedelta:
        return now - self.tick_time


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll (or a manual tick) did.

    `new` is true only for the one caller that stored the tick; `latest` is the newest stored
    tick afterwards and `previous` the one before this call. `source_errors` maps each source
    that failed to the reason; `rejected` says why a candidate was not stored (None when it
    was stored, or when there was no candidate).
    """

    new: bool
    latest: TickRecord | None
    previous: TickRecord | None
    candidate: datetime | None = None
    source: str | None = None
    rejected: str | None = None
    source_errors: dict[str, str] = field(default_factory=dict)
    overdue: bool = False

    @property
    def announce(self) -> bool:
        """Post "New galaxy tick": a new tick that is not the very first one stored.

        The first tick on an empty database is the baseline (as the reference's startup check),
        not news: it may be many hours old.
        """
        return self.new and self.previous is not None


@dataclass(frozen=True, slots=True)
class TickStatus:
    """The newest stored tick, its age and whether the watchdog considers it overdue."""

    latest: TickRecord | None
    age: timedelta | None
    overdue: bool


def tick_overdue(latest: TickRecord | None, now: datetime) -> bool:
    """No tick stored at all, or none for over `OVERDUE_AFTER`."""
    return latest is None or latest.age(now) > OVERDUE_AFTER


async def latest_ticks(session: AsyncSession, limit: int) -> list[TickRecord]:
    """The newest stored galaxy ticks, newest first."""
    rows = await session.execute(
        select(GalaxyTick.tick_time, GalaxyTick.source, GalaxyTick.seen_at)
        .order_by(GalaxyTick.tick_time.desc())
        .limit(limit)
    )
    return [TickRecord(row.tick_time, row.source, row.seen_at) for row in rows]


async def latest_tick(session: AsyncSession) -> TickRecord | None:
    """The newest stored galaxy tick."""
    found = await latest_ticks(session, 1)
    return found[0] if found else None


async def stored_news(db: Database, now: datetime, within: timedelta) -> PollResult:
    """What another process stored, as a poll by this one would report it: the newest tick is
    news (`new`) when it was stored less than `within` ago and is not the first tick stored."""
    async with db.unscoped() as session:
        found = await latest_ticks(session, 2)
    latest = found[0] if found else None
    return PollResult(
        new=latest is not None and now - latest.seen_at <= within,
        latest=latest,
        previous=found[1] if len(found) > 1 else None,
        overdue=tick_overdue(latest, now),
    )


async def tick_status(db: Database, now: datetime | None = None) -> TickStatus:
    """For `/tick show` and `/status`: the last tick, its age, and the watchdog's verdict."""
    now = now or datetime.now(UTC)
    async with db.unscoped() as session:
        latest = await latest_tick(session)
    return TickStatus(
        latest=latest,
        age=None if latest is None else latest.age(now),
        overdue=tick_overdue(latest, now),
    )


def parse_primary(payload: object) -> datetime:
    """`lastGalaxyTick` of Zoy's galtick.json."""
    if not isinstance(payload, dict):
        raise TickSourceError(f"expected a JSON object, got {type(payload).__name__}")
    value = payload.get("lastGalaxyTick")
    instant = parse_instant(value)
    if instant is None:
        raise TickSourceError(f"lastGalaxyTick missing or not an ISO time: {value!r}")
    return instant


def parse_fallback(payload: object) -> datetime:
    """EDCD's /api/tick: a bare JSON string."""
    instant = parse_instant(payload)
    if instant is None:
        raise TickSourceError(f"expected an ISO time string, got {payload!r}"[:200])
    return instant


def in_future(instant: datetime, now: datetime) -> bool:
    """Later than now, beyond the allowed clock skew."""
    return instant > now + MAX_CLOCK_SKEW


def check_candidate(
    candidate: datetime,
    latest: TickRecord | None,
    now: datetime,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> str | None:
    """Why `candidate` must not be stored as a new tick, or None when it may."""
    if in_future(candidate, now):
        return f"tick {candidate.isoformat()} is in the future"
    if latest is None:
        return None
    if candidate == latest.tick_time:
        return "same tick as the last stored"
    if candidate < latest.tick_time:
        return f"older than the last stored tick {latest.tick_time.isoformat()}"
    if candidate - latest.tick_time < duplicate_window:
        return (
            f"within {int(duplicate_window.total_seconds() // 60)} minutes of the last stored "
            f"tick {latest.tick_time.isoformat()} (a duplicate)"
        )
    return None


async def store_tick(
    db: Database,
    candidate: datetime,
    source: str,
    now: datetime,
    errors: dict[str, str],
    *,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> PollResult:
    """Store `candidate` if it passes the checks.

    The checks run first on the last stored tick to give the reason; the insert then
    repeats them atomically (insert only if no stored tick is later than `candidate` minus
    the duplicate window; `ON CONFLICT (tick_time) DO NOTHING`), so a concurrent poller
    that stored the same tick first makes this one store nothing.
    """
    async with db.unscoped() as session:
        previous = await latest_tick(session)
    rejected = check_candidate(candidate, previous, now, duplicate_window)
    latest = previous
    if rejected is None:
        async with db.unscoped_write() as session:
            if await _insert(session, candidate, source, now, duplicate_window):
                latest = TickRecord(candidate, source, now)
            else:
                rejected = "another poller stored a tick first"
                latest = await latest_tick(session)
    if rejected is None:
        log.info("new galaxy tick %s (source %s)", candidate.isoformat(), source)
    else:
        log.debug("tick %s from %s not stored: %s", candidate.isoformat(), source, rejected)
    return PollResult(
        new=rejected is None,
        latest=latest,
        previous=previous,
        candidate=candidate,
        source=source,
        rejected=rejected,
        source_errors=errors,
        overdue=tick_overdue(latest, now),
    )


async def _insert(
    session: AsyncSession,
    candidate: datetime,
    source: str,
    now: datetime,
    duplicate_window: timedelta,
) -> bool:
    """One statement: the conditional insert; True when this call stored the tick."""
    instant = GalaxyTick.tick_time.type
    close_or_later = (
        select(GalaxyTick.id).where(GalaxyTick.tick_time > candidate - duplicate_window).exists()
    )
    values = select(
        literal(candidate, instant),
        literal(source, GalaxyTick.source.type),
        literal(now, instant),
    ).where(~close_or_later)
    statement = (
        dialect_insert(dialect_name(session), GalaxyTick)
        .from_select(["tick_time", "source", "seen_at"], values)
        .on_conflict_do_nothing(index_elements=["tick_time"])
        .returning(GalaxyTick.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


def period_start(ticks: Sequence[datetime], at: datetime) -> datetime:
    """The start of the galaxy tick period holding `at`: the newest of the (ascending) `ticks`
    at or before it; before any known tick, the UTC day's midnight."""
    index = bisect.bisect_right(ticks, at)
    if index:
        return ticks[index - 1]
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
