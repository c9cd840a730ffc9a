"""Polling the galaxy tick sources over HTTP (`bgs.ticks` says what a tick is and stores it).

Sources (ecosystem.md §7): the primary, Zoy's `galtick.json`, and the fallback, EDCD's
`/api/tick`, asked only when the primary cannot be used (see `bgs.ticks`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import aiohttp

from bgs.ticks import (
    DUPLICATE_WINDOW,
    FALLBACK,
    MAX_BODY,
    OVERDUE_AFTER,
    PRIMARY,
    STALE_AFTER,
    PollResult,
    TickSourceError,
    in_future,
    latest_tick,
    parse_fallback,
    parse_primary,
    record_galaxy_tick,
    store_tick,
    tick_overdue,
)
from db.database import Database
from feeds.http import read_limited
from settings import Settings

log = logging.getLogger(__name__)


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
                body = await read_limited(response, MAX_BODY)
                if body is None:
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
            result = await store_tick(
                self.db, found[0], found[1], now, errors, duplicate_window=self.duplicate_window
            )
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
        """Record a galaxy tick given by hand (the operator's `bot.py tick set`); same checks
        as a polled tick."""
        return await record_galaxy_tick(
            self.db, tick_time, now or datetime.now(UTC), duplicate_window=self.duplicate_window
        )
