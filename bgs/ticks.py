"""The galaxy tick: polling the tick sources, sanity checks, storing each tick once.

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

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.events import parse_instant
from bgs.ingest import _dialect_insert
from db.models import GalaxyTick
from db.session import Database
from settings import Settings

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


async def latest_tick(session: AsyncSession) -> TickRecord | None:
    """The newest stored galaxy tick."""
    row = (
        await session.execute(
            select(GalaxyTick.tick_time, GalaxyTick.source, GalaxyTick.seen_at)
            .order_by(GalaxyTick.tick_time.desc())
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else TickRecord(row.tick_time, row.source, row.seen_at)


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


class TickMonitor:
    """Polls the tick sources through one shared aiohttp session and stores new ticks.

    Failures of a source are logged with its name: a warning when it starts failing, debug
    lines while it keeps failing, an info line when it answers again. A stale primary and the
    watchdog likewise warn once per episode, not at every poll.
    """

    def __init__(
        self,
        db: Database,
        http: aiohttp.ClientSession,
        settings: Settings,
        *,
        duplicate_window: timedelta = DUPLICATE_WINDOW,
    ) -> None:
        self.db = db
        self.http = http
        self.primary_url = settings.tick_primary_url
        self.fallback_url = settings.tick_fallback_url
        self.timeout = aiohttp.ClientTimeout(total=settings.tick_http_timeout)
        self.duplicate_window = duplicate_window
        self._failing: dict[str, str] = {}
        self._stale_tick: datetime | None = None
        self._overdue = False

    async def _get_json(self, url: str) -> object:
        try:
            async with self.http.get(url, timeout=self.timeout) as response:
                if response.status != 200:
                    raise TickSourceError(f"HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_any():
                    body += chunk
                    if len(body) > MAX_BODY:
                        raise TickSourceError(f"answer longer than {MAX_BODY} bytes")
        except TimeoutError as exc:
            raise TickSourceError(f"no answer within {self.timeout.total:g} s") from exc
        except aiohttp.ClientError as exc:
            raise TickSourceError(f"{type(exc).__name__}: {exc}") from exc
        try:
            result: object = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TickSourceError(f"not JSON: {bytes(body[:80])!r}") from exc
        return result

    async def _fetch(self, name: str, url: str, now: datetime) -> datetime:
        """One source's tick; TickSourceError when it fails or reports a future time."""
        try:
            payload = await self._get_json(url)
            instant = parse_primary(payload) if name == PRIMARY else parse_fallback(payload)
            if in_future(instant, now):
                raise TickSourceError(f"tick {instant.isoformat()} is in the future")
        except TickSourceError as exc:
            reason = str(exc)
            if name not in self._failing:
                log.warning("tick source %s (%s) failed: %s", name, url, reason)
            else:
                log.debug("tick source %s (%s) still failing: %s", name, url, reason)
            self._failing[name] = reason
            raise
        if self._failing.pop(name, None) is not None:
            log.info("tick source %s (%s) answers again", name, url)
        return instant

    async def _candidate(
        self, now: datetime, errors: dict[str, str]
    ) -> tuple[datetime, str] | None:
        primary: datetime | None = None
        try:
            primary = await self._fetch(PRIMARY, self.primary_url, now)
        except TickSourceError as exc:
            errors[PRIMARY] = str(exc)
        if primary is not None and now - primary <= STALE_AFTER:
            self._stale_tick = None
            return primary, PRIMARY
        if primary is not None:
            log.log(
                logging.DEBUG if primary == self._stale_tick else logging.WARNING,
                "tick source %s is stale (tick %s is older than %s); asking %s",
                PRIMARY,
                primary.isoformat(),
                STALE_AFTER,
                FALLBACK,
            )
            self._stale_tick = primary
        try:
            fallback = await self._fetch(FALLBACK, self.fallback_url, now)
        except TickSourceError as exc:
            errors[FALLBACK] = str(exc)
            return None if primary is None else (primary, PRIMARY)
        if primary is not None and primary >= fallback:
            return primary, PRIMARY
        return fallback, FALLBACK

    async def poll(self, now: datetime | None = None) -> PollResult:
        """Ask the sources and store the tick when it is new (see the module docstring)."""
        now = now or datetime.now(UTC)
        errors: dict[str, str] = {}
        found = await self._candidate(now, errors)
        if found is None:
            async with self.db.unscoped() as session:
                latest = await latest_tick(session)
            result = PollResult(
                new=False,
                latest=latest,
                previous=latest,
                source_errors=errors,
                overdue=tick_overdue(latest, now),
            )
        else:
            result = await self._store(found[0], found[1], now, errors)
        if result.overdue and not self._overdue:
            last = "never" if result.latest is None else result.latest.tick_time.isoformat()
            log.warning(
                "tick watchdog: no galaxy tick for over %s (last %s; failing sources: %s)",
                OVERDUE_AFTER,
                last,
                ", ".join(sorted(errors)) or "none",
            )
        elif self._overdue and not result.overdue:
            log.info("tick watchdog: ticks are arriving again")
        self._overdue = result.overdue
        return result

    async def set_manual(self, tick_time: datetime, now: datetime | None = None) -> PollResult:
        """Record a tick given by an officer; same checks as a polled tick."""
        if tick_time.tzinfo is None:
            raise ValueError("a manual tick time must be timezone-aware")
        result = await self._store(tick_time.astimezone(UTC), MANUAL, now or datetime.now(UTC), {})
        if result.rejected is not None:
            log.info("manual tick %s refused: %s", tick_time.isoformat(), result.rejected)
        return result

    async def _store(
        self, candidate: datetime, source: str, now: datetime, errors: dict[str, str]
    ) -> PollResult:
        """Store `candidate` if it passes the checks.

        The checks run first on the last stored tick to give the reason; the insert then
        repeats them atomically (insert only if no stored tick is later than `candidate` minus
        the duplicate window; `ON CONFLICT (tick_time) DO NOTHING`), so a concurrent poller
        that stored the same tick first makes this one store nothing.
        """
        async with self.db.unscoped() as session:
            previous = await latest_tick(session)
        rejected = check_candidate(candidate, previous, now, self.duplicate_window)
        latest = previous
        if rejected is None:
            async with self.db.unscoped_write() as session:
                if await self._insert(session, candidate, source, now):
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
        self, session: AsyncSession, candidate: datetime, source: str, now: datetime
    ) -> bool:
        """One statement: the conditional insert; True when this call stored the tick."""
        instant = GalaxyTick.tick_time.type
        close_or_later = (
            select(GalaxyTick.id)
            .where(GalaxyTick.tick_time > candidate - self.duplicate_window)
            .exists()
        )
        values = select(
            literal(candidate, instant),
            literal(source, GalaxyTick.source.type),
            literal(now, instant),
        ).where(~close_or_later)
        statement = (
            _dialect_insert(session, GalaxyTick)
            .from_select(["tick_time", "source", "seen_at"], values)
            .on_conflict_do_nothing(index_elements=["tick_time"])
            .returning(GalaxyTick.id)
        )
        return (await session.execute(statement)).scalar_one_or_none() is not None
