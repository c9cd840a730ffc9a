"""API-key authentication and per-key rate limiting for the listener."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cachetools import TTLCache

from bgs import apikeys
from bgs.apikeys import KeyOwner
from db.database import Database

KEY_RE = re.compile(r"^[A-Za-z0-9]{1,128}$")
VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")  # ASCII digits only, as the spec says
TOUCH_EVERY = timedelta(minutes=1)


class KeyStore:
    """Resolves a presented key to its guild, with a short cache.

    Revocation through this process (Discord or CLI) clears the cache at once; a revocation,
    or the bot leaving a guild, recorded by another process is seen within `ttl` seconds (at
    most 2: LISTENER_KEY_CACHE_SECONDS), since every answer, found or not, is cached that long
    only. The cache holds at most `size` keys and evicts the least recently used, so a flood
    of unknown keys cannot push the good ones out all at once. Concurrent requests that miss
    the cache share one lookup, and a key's use is recorded at most once a minute (or when the
    plugin's API version changes), however many requests arrive.
    """

    def __init__(self, db: Database, ttl: float = 1.0, size: int = 10_000) -> None:
        self._db = db
        self._cache: TTLCache[str, tuple[KeyOwner | None]] = TTLCache(maxsize=size, ttl=ttl)
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
        if cached is not None:
            return cached[0]
        lookup = self._lookups.get(digest)
        if lookup is None:
            lookup = self._lookups[digest] = asyncio.ensure_future(self._lookup(key))
            lookup.add_done_callback(self._forget_lookup)
        # Shielded: one caller going away must not cancel the lookup the others wait for.
        return await asyncio.shield(lookup)

    def _forget_lookup(self, lookup: asyncio.Task[KeyOwner | None]) -> None:
        for digest, pending in list(self._lookups.items()):
            if pending is lookup:
                del self._lookups[digest]

    async def _lookup(self, key: str) -> KeyOwner | None:
        generation = self._generation
        found: KeyOwner | None = None
        for url in self._db.urls:
            async with self._db.unscoped(url) as session:
                found = await apikeys.find_owner(session, key)
            if found is not None:
                break
        if generation == self._generation:
            self._cache[apikeys.hash_key(key)] = (found,)  # (None,): no such key
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
    """A token bucket per key (an API key's id, a guild, an address): `rate` tokens a second
    sustained, bursts up to `burst`. A `rate` of 0 turns limiting off.

    Buckets idle long enough to be full again are forgotten (at most `keys` are kept, the
    least recently used go first), so a flood of new addresses cannot grow memory.
    """

    def __init__(self, rate: float = 10.0, burst: int = 50, keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        refill = burst / rate if rate > 0 else 1.0
        self._buckets: TTLCache[Hashable, _Bucket] = TTLCache(maxsize=keys, ttl=refill)

    def _bucket(self, key: Hashable) -> _Bucket:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=self.burst, updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[key] = bucket  # (re)starts its time to live
        return bucket

    def _wait(self, bucket: _Bucket, cost: float) -> int:
        return max(1, math.ceil((cost - bucket.tokens) / self.rate))

    def retry_after(self, key: Hashable, cost: float = 1.0) -> int:
        """0 when `cost` tokens are there (and taken); else seconds to wait."""
        if self.rate <= 0:
            return 0
        cost = min(cost, self.burst)
        bucket = self._bucket(key)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0
        return self._wait(bucket, cost)

    def waiting(self, key: Hashable) -> int:
        """Seconds until a token is there (0: now), taking none. A key without a bucket has
        taken nothing (or long enough ago to be full again): it is not given one, so that
        asking on every request costs a lookup, not a bucket."""
        if self.rate <= 0 or key not in self._buckets:
            return 0
        bucket = self._bucket(key)
        return 0 if bucket.tokens >= 1 else self._wait(bucket, 1.0)
