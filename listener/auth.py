"""API-key authentication and per-key rate limiting for the listener."""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bgs import apikeys
from bgs.apikeys import KeyOwner
from db.database import Database

KEY_RE = re.compile(r"^[A-Za-z0-9]{1,128}$")
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
TOUCH_EVERY = timedelta(minutes=1)


class KeyStore:
    """Resolves a presented key to its guild, with a short cache.

    Revocation through this process (Discord or CLI) clears the cache at once; a revocation made
    by another process is seen within `ttl` seconds. Concurrent requests that miss the cache
    share one lookup, and a key's use is recorded at most once a minute (or when the plugin's
    API version changes), however many requests arrive.
    """

    def __init__(self, db: Database, ttl: float = 10.0) -> None:
        self._db = db
        self._ttl = ttl
        self._cache: dict[str, tuple[float, KeyOwner | None]] = {}
        self._lookups: dict[str, asyncio.Task[KeyOwner | None]] = {}
        self._generation = 0
        self._uses: dict[int, tuple[datetime | None, str | None]] = {}

    def invalidate(self) -> None:
        self._cache.clear()
        self._lookups.clear()  # the next request looks again; a lookup in flight ...
        self._generation += 1  # ... must not bring the old answer back into the cache

    async def owner(self, key: str) -> KeyOwner | None:
        digest = apikeys.hash_key(key)
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        lookup = self._lookups.get(digest)
        if lookup is None:
            lookup = self._lookups[digest] = asyncio.ensure_future(self._lookup(digest, key))
            lookup.add_done_callback(self._forget_lookup)
        # Shielded: one caller going away must not cancel the lookup the others wait for.
        return await asyncio.shield(lookup)

    def _forget_lookup(self, lookup: asyncio.Task[KeyOwner | None]) -> None:
        for digest, pending in list(self._lookups.items()):
            if pending is lookup:
                del self._lookups[digest]

    async def _lookup(self, digest: str, key: str) -> KeyOwner | None:
        generation = self._generation
        expires = time.monotonic() + self._ttl
        found: KeyOwner | None = None
        for url in self._db.urls:
            async with self._db.unscoped(url) as session:
                found = await apikeys.find_owner(session, key)
            if found is not None:
                break
        if generation == self._generation:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (expires, found)
        return found

    def needs_touch(self, owner: KeyOwner, api_version: str | None) -> bool:
        """Whether the key's last-used time or API version is worth writing now."""
        last_used, known_version = self._uses.get(
            owner.key_id, (owner.last_used_at, owner.api_version)
        )
        if api_version is not None and api_version != known_version:
            return True
        return last_used is None or datetime.now(UTC) - last_used > TOUCH_EVERY

    def touched(self, owner: KeyOwner, used_at: datetime, version: str | None) -> None:
        """Note that the key's use is being recorded (so the next requests need not)."""
        known_version = self._uses.get(owner.key_id, (None, owner.api_version))[1]
        self._uses[owner.key_id] = (used_at, version or known_version)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: `rate` requests a second sustained, bursts up to `burst`.

    A `rate` of 0 turns limiting off (LISTENER_RATE_LIMIT=0, e.g. for the ingest benchmark).
    """

    def __init__(self, rate: float = 10.0, burst: int = 50) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[int, _Bucket] = {}

    def retry_after(self, key_id: int) -> int:
        """0 when the request may pass (and a token is taken); else seconds to wait."""
        if self.rate <= 0:
            return 0
        now = time.monotonic()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(tokens=self.burst, updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))
