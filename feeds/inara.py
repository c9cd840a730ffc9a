"""Reading cmdrs' profiles from Inara (inara-api.md), politely.

* One request carries up to `MAX_EVENTS` `getCommanderProfile` events (Inara documents no
  maximum; EDDI batches these too).
* Every request of the process waits its turn at one `Pacer`: at least INARA_REQUEST_INTERVAL
  seconds after the previous one ended, whichever guild it is for. A key Inara revoked for
  making too many requests is not used again for an hour.
* Each request has a timeout (`TIMEOUT`); a reply that is not JSON, empty, or not HTTP 200 is
  a temporary failure, recorded for the cmdrs of that request, and the run goes on.
* Inara answers errors inside the JSON: the header's status first (a refused key or app stops
  the guild's run: every cmdr left is recorded with the reason), then each event's (paired by
  `eventCustomID`). Keys and names are compared without regard to case; numbers may be text.

`bgs.members` says what a profile means and stores it; keys are never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bgs import members
from bgs.events import as_int
from bgs.members import InaraStatus, Profile, ProfileOutcome
from db.database import Database
from feeds.http import read_limited

log = logging.getLogger(__name__)

MAX_EVENTS = 100
TIMEOUT = 20.0  # seconds per request (EDMC uses 20, BGS-Tally 10)
REVOKED_FOR = 3600.0  # Inara revokes access for an hour when asked too often
MAX_BODY = 4 * 1024 * 1024
EVENT = "getCommanderProfile"
# Outcomes that say the look-up did not happen (logged once per reason and run).
FAILURES = frozenset({InaraStatus.BAD_KEY, InaraStatus.RATE_LIMITED, InaraStatus.UNAVAILABLE})


class Pacer:
    """Inara's request-rate rules for the whole process: one request at a time, each at least
    `interval` seconds after the previous one ended; keys Inara revoked are held for an hour.

    `clock` and `sleep` are injectable, so tests assert the pacing without waiting."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._last = -math.inf
        self._held: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this request's turn; the next one waits from when this one ends."""
        async with self._lock:
            wait = self._last + self.interval - self._clock()
            if wait > 0:
                await self._sleep(wait)
            try:
                yield
            finally:
                self._last = self._clock()

    @staticmethod
    def _ref(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def hold(self, key: str, seconds: float = REVOKED_FOR) -> None:
        self._held[self._ref(key)] = self._clock() + seconds

    def held_for(self, key: str) -> float:
        """Seconds until the key may be used again (0: it may)."""
        return max(0.0, self._held.get(self._ref(key), 0.0) - self._clock())


class InaraUnavailable(Exception):
    """No usable answer: a timeout, a connection error, HTTP other than 200, empty, not JSON."""


def _get(data: Mapping[str, Any], name: str) -> Any:
    """A JSON field in any case (Inara's keys differ in case between clients)."""
    if name in data:
        return data[name]
    lowered = name.lower()
    return next((value for key, value in data.items() if key.lower() == lowered), None)


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_profile(data: Mapping[str, Any]) -> Profile:
    """A `getCommanderProfile` event's data (fields may be missing or text)."""
    ranks = {}
    for item in _get(data, "commanderRanksPilot") or []:
        rank = _mapping(item)
        kind = _text(_get(rank, "rankName"))
        if kind is not None and _get(rank, "rankValue") is not None:
            ranks[kind.lower()] = members.rank_name(kind, as_int(_get(rank, "rankValue")))
    squadron = _mapping(_get(data, "commanderSquadron"))
    return Profile(
        name=_text(_get(data, "commanderName")) or _text(_get(data, "userName")) or "",
        url=_text(_get(data, "inaraURL")),
        ranks=ranks,
        power=_text(_get(data, "preferredPowerName")),
        squadron=_text(_get(squadron, "squadronName")),
        squadron_rank=_text(_get(squadron, "squadronMemberRank")),
    )


def event_outcome(cmdr: str, event: Mapping[str, Any]) -> ProfileOutcome:
    """One cmdr's answer: found only when Inara names that very cmdr, unambiguously."""
    status = as_int(_get(event, "eventStatus"), default=0)
    text = _text(_get(event, "eventStatusText"))
    if status in (200, 202):
        profile = parse_profile(_mapping(_get(event, "eventData")))
        others = list(_get(_mapping(_get(event, "eventData")), "otherNamesFound") or [])
        if status == 200 and not others and profile.name.casefold() == cmdr.casefold():
            return ProfileOutcome(cmdr, InaraStatus.FOUND, profile=profile)
        offered = ", ".join(str(name) for name in [profile.name, *others] if name)
        return ProfileOutcome(
            cmdr,
            InaraStatus.PARTIAL,
            f"Inara found no exact match, only similar names: {offered or 'none given'}",
        )
    if status == 204:
        return ProfileOutcome(cmdr, InaraStatus.NOT_FOUND, "Inara has no cmdr of this name")
    return ProfileOutcome(
        cmdr, InaraStatus.ERROR, f"Inara refused the look-up ({status}: {text or 'no reason'})"
    )


def _all(names: Sequence[str], status: InaraStatus, reason: str) -> list[ProfileOutcome]:
    return [ProfileOutcome(name, status, reason) for name in names]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A request's outcomes, and whether the guild's run must stop (refused key, revoked)."""

    outcomes: list[ProfileOutcome]
    stop: bool = False


def header_result(
    names: Sequence[str], header: Mapping[str, Any], key_held: Callable[[], None]
) -> BatchResult | None:
    """A refused request (header status 400), or None when its events are to be read."""
    if as_int(_get(header, "eventStatus"), default=200) != 400:
        return None
    text = _text(_get(header, "eventStatusText")) or "no reason given"
    lowered = text.lower()
    if "invalid api key" in lowered or "no access" in lowered:
        return BatchResult(
            _all(names, InaraStatus.BAD_KEY, f"Inara refused the key: {text}"), stop=True
        )
    if "revoked" in lowered or "too much requests" in lowered or "too many requests" in lowered:
        key_held()
        return BatchResult(
            _all(names, InaraStatus.RATE_LIMITED, f"Inara paused the key for an hour: {text}"),
            stop=True,
        )
    return BatchResult(_all(names, InaraStatus.ERROR, f"Inara refused the request: {text}"))


class InaraClient:
    """Asks Inara for profiles (see the module docstring)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        app_name: str,
        app_version: str,
        pacer: Pacer,
        *,
        timeout: float = TIMEOUT,
        max_events: int = MAX_EVENTS,
    ) -> None:
        self.http = http
        self.url = url
        self.app_name = app_name
        self.app_version = app_version
        self.pacer = pacer
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_events = max_events

    def _body(self, api_key: str, names: Sequence[str], now: datetime) -> dict[str, Any]:
        stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "header": {
                "appName": self.app_name,
                "appVersion": self.app_version,
                "isBeingDeveloped": False,
                "APIkey": api_key,
            },
            "events": [
                {
                    "eventName": EVENT,
                    "eventTimestamp": stamp,
                    "eventCustomID": number,
                    "eventData": {"searchName": name},
                }
                for number, name in enumerate(names, start=1)
            ],
        }

    async def _post(self, body: dict[str, Any]) -> Mapping[str, Any]:
        try:
            async with self.http.post(self.url, json=body, timeout=self.timeout) as response:
                if response.status != 200:
                    raise InaraUnavailable(f"Inara answered HTTP {response.status}")
                raw = await read_limited(response, MAX_BODY)
        except TimeoutError as exc:
            raise InaraUnavailable(f"Inara did not answer within {self.timeout.total:g} s") from exc
        except aiohttp.ClientError as exc:
            raise InaraUnavailable(f"could not reach Inara ({type(exc).__name__})") from exc
        if raw is None:
            raise InaraUnavailable(f"Inara's answer was longer than {MAX_BODY} bytes")
        if not raw.strip():
            raise InaraUnavailable("Inara's answer was empty (maintenance?)")
        try:
            answer = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InaraUnavailable("Inara's answer was not JSON") from None
        if not isinstance(answer, dict):
            raise InaraUnavailable("Inara's answer was not a JSON object")
        return answer

    async def _batch(self, api_key: str, names: Sequence[str], now: datetime) -> BatchResult:
        held = self.pacer.held_for(api_key)
        if held:
            until = now + timedelta(seconds=held)
            return BatchResult(
                _all(
                    names,
                    InaraStatus.RATE_LIMITED,
                    f"Inara paused the key for asking too often; next try after "
                    f"{until:%Y-%m-%d %H:%M} UTC",
                ),
                stop=True,
            )
        try:
            async with self.pacer.turn():
                answer = await self._post(self._body(api_key, names, now))
        except InaraUnavailable as exc:
            return BatchResult(_all(names, InaraStatus.UNAVAILABLE, str(exc)))
        refused = header_result(
            names, _mapping(_get(answer, "header")), lambda: self.pacer.hold(api_key)
        )
        if refused is not None:
            return refused
        listed = _get(answer, "events")
        events = [_mapping(event) for event in listed] if isinstance(listed, list) else []
        by_id = {as_int(_get(e, "eventCustomID"), default=0): e for e in events}
        outcomes = []
        for number, name in enumerate(names, start=1):
            event = by_id.get(number) or (events[number - 1] if number <= len(events) else None)
            outcomes.append(
                event_outcome(name, event)
                if event is not None
                else ProfileOutcome(name, InaraStatus.ERROR, "Inara's answer left this cmdr out")
            )
        return BatchResult(outcomes)

    async def profiles(
        self, api_key: str, names: Sequence[str], now: datetime
    ) -> AsyncIterator[list[ProfileOutcome]]:
        """The outcomes of each request in turn; after a refused key, the rest at once."""
        for start in range(0, len(names), self.max_events):
            batch = names[start : start + self.max_events]
            result = await self._batch(api_key, batch, now)
            yield result.outcomes
            if result.stop:
                rest = names[start + self.max_events :]
                if rest:
                    reason = result.outcomes[0].reason
                    yield _all(rest, result.outcomes[0].status, reason)
                return


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one guild's run did: how many cmdrs ended in each status."""

    guild_id: int
    counts: Counter[InaraStatus]

    def describe(self) -> str:
        return (
            ", ".join(f"{count} {status.value}" for status, count in sorted(self.counts.items()))
            or "no active cmdr"
        )


async def sync_profiles(
    db: Database,
    client: InaraClient,
    guild_id: int,
    api_key: str,
    now: datetime,
    *,
    names: Sequence[str] | None = None,
) -> SyncReport:
    """Look up the guild's active cmdrs (or `names`) and store each request's outcomes as it
    arrives."""
    if names is None:
        async with db.tenant(guild_id) as session:
            names = await members.active_cmdrs(session, now)
    counts: Counter[InaraStatus] = Counter()
    failures: dict[str, None] = {}
    async for outcomes in client.profiles(api_key, names, now):
        async with db.tenant_write(guild_id) as session:
            await members.store_outcomes(session, outcomes, now)
        counts.update(outcome.status for outcome in outcomes)
        failures.update(dict.fromkeys(o.reason for o in outcomes if o.status in FAILURES))
    report = SyncReport(guild_id, counts)
    log.info("guild %s: Inara profiles: %s", guild_id, report.describe())
    for reason in failures:
        log.warning("guild %s: Inara: %s", guild_id, reason)
    return report
