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

The galaxy tick belongs to no guild. An officer's `/tick set time` records a tick for their own
guild only (`store_guild_tick`, the source `officer`, a row of `guild_ticks`): it is that guild's
tick — its announcement, its post-tick summary, the `since` of its views — until a source reports
a galaxy tick at least `DUPLICATE_WINDOW` later, which wins again for that guild (`guild_view`).
Only the operator records a galaxy tick by hand (`bot.py tick set`, the source `manual`); it goes
through the same checks as a polled tick. The watchdog (`tick_overdue`) reports when no tick is
stored for over 25 hours.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.events import parse_instant
from db.bulk import dialect_insert, dialect_name
from db.database import Database
from db.models import GalaxyTick, GuildTick

log = logging.getLogger(__name__)

PRIMARY = "zoy"
FALLBACK = "edcd"
MANUAL = "manual"  # a galaxy tick recorded by hand (the operator's `bot.py tick set`)
OFFICER = "officer"  # a guild's own tick, recorded by one of its officers (`/tick set`)

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


async def latest_guild_tick(session: AsyncSession) -> TickRecord | None:
    """The newest tick the officers of the (tenant-scoped) session's guild recorded."""
    row = (
        await session.execute(
            select(GuildTick.tick_time, GuildTick.seen_at)
            .order_by(GuildTick.tick_time.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else TickRecord(row.tick_time, OFFICER, row.seen_at)


def guild_view(
    galaxy: TickRecord | None,
    manual: TickRecord | None,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> TickRecord | None:
    """A guild's tick: its officers' newest tick, until the galaxy tick is at least
    `duplicate_window` later (a galaxy tick closer than that is the same tick, which the guild
    has already announced)."""
    if manual is None:
        return galaxy
    if galaxy is not None and galaxy.tick_time - manual.tick_time >= duplicate_window:
        return galaxy
    return manual


async def galaxy_tick(db: Database) -> TickRecord | None:
    """The newest stored galaxy tick."""
    async with db.unscoped() as session:
        return await latest_tick(session)


async def guild_tick(db: Database, guild_id: int, galaxy: TickRecord | None) -> TickRecord | None:
    """The guild's tick (`guild_view`) given the newest galaxy tick."""
    async with db.tenant(guild_id) as session:
        return guild_view(galaxy, await latest_guild_tick(session))


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


async def tick_status(
    db: Database, now: datetime | None = None, guild_id: int | None = None
) -> TickStatus:
    """For `/tick show` and `/status`: the last tick (the guild's, when given), its age, and the
    watchdog's verdict."""
    now = now or datetime.now(UTC)
    latest = await galaxy_tick(db)
    if guild_id is not None:
        latest = await guild_tick(db, guild_id, latest)
    return TickStatus(
        latest=latest,
        age=None if latest is None else latest.age(now),
        overdue=tick_overdue(latest, now),
    )


MANUAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def parse_manual_time(text: str) -> datetime | None:
    """A tick time given by hand, in UTC: `2026-11-26 11:00`, `2026-11-26T11:00:00Z`; None
    when `text` is not a date and a time."""
    cleaned = text.strip()
    return parse_instant(cleaned) if MANUAL_TIME.match(cleaned) else None


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
    return _candidate_result(
        candidate,
        source,
        previous=previous,
        latest=latest,
        rejected=rejected,
        now=now,
        errors=errors,
    )


def _candidate_result(
    candidate: datetime,
    source: str,
    *,
    previous: TickRecord | None,
    latest: TickRecord | None,
    rejected: str | None,
    now: datetime,
    errors: dict[str, str],
) -> PollResult:
    """What storing `candidate` did: new when nothing rejected it."""
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


async def record_galaxy_tick(
    db: Database,
    tick_time: datetime,
    now: datetime,
    *,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> PollResult:
    """Record a galaxy tick given by hand (the source `manual`): the operator's, never a
    guild's. Same checks as a polled tick."""
    if tick_time.tzinfo is None:
        raise ValueError("a manual tick time must be timezone-aware")
    result = await store_tick(
        db, tick_time.astimezone(UTC), MANUAL, now, {}, duplicate_window=duplicate_window
    )
    if result.rejected is not None:
        log.info("manual tick %s refused: %s", tick_time.isoformat(), result.rejected)
    return result


async def store_guild_tick(
    db: Database,
    guild_id: int,
    candidate: datetime,
    set_by: int,
    now: datetime,
    *,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> PollResult:
    """Record an officer's tick for their own guild when it passes the checks against the
    guild's tick (`guild_view`); no other guild reads it."""
    galaxy = await galaxy_tick(db)
    async with db.tenant_write(guild_id) as session:
        previous = guild_view(galaxy, await latest_guild_tick(session), duplicate_window)
        rejected = check_candidate(candidate, previous, now, duplicate_window)
        if rejected is None:
            session.add(GuildTick(tick_time=candidate, set_by=set_by, seen_at=now))
    latest = TickRecord(candidate, OFFICER, now) if rejected is None else previous
    if rejected is None:
        log.info("guild %s: tick %s recorded by %s", guild_id, candidate.isoformat(), set_by)
    return _candidate_result(
        candidate, OFFICER, previous=previous, latest=latest, rejected=rejected, now=now, errors={}
    )


def period_start(ticks: Sequence[datetime], at: datetime) -> datetime:
    """The start of the galaxy tick period holding `at`: the newest of the (ascending) `ticks`
    at or before it; before any known tick, the UTC day's midnight."""
    index = bisect.bisect_right(ticks, at)
    if index:
        return ticks[index - 1]
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
