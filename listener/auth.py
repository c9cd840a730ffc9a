"""API-key authentication and per-key rate limiting for the listener."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bgs import apikeys
from bgs.apikeys import KeyOwner
from db.session import Database

KEY_RE = re.compile(r"^[A-Za-z0-9]{1,128}$")
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
TOUCH_EVERY = timedelta(minutes=1)


class KeyStore:
    """Resolves a presented key to its guild, with a short cache.

    Revocation through this process (Discord or CLI) clears the cache at once; a revocation made
    by another process is seen within `ttl` seconds.
    """

    def __init__(self, db: Database, ttl: float = 10.0) -> None:
        self._db = db
        self._ttl = ttl
        self._cache: dict[str, tuple[float, KeyOwner | None]] = {}

    def invalidate(self) -> None:
        self._cache.clear()

    async def owner(self, key: str) -> KeyOwner | None:
        digest = apikeys.hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        found: KeyOwner | None = None
        for url in self._db.urls:
            async with self._db.unscoped(url) as session:
                found = await apikeys.find_owner(session, key)
            if found is not None:
                break
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self._ttl, found)
        return found

    def needs_touch(self, owner: KeyOwner, api_version: str | None) -> bool:
        """Whether the key's last-used time or API version is worth writing now."""
        if api_version is not None and api_version != owner.api_version:
            return True
        return owner.last_used_at is None or datetime.now(UTC) - owner.last_used_at > TOUCH_EVERY

    def touched(self, key: str, owner: KeyOwner, used_at: datetime, version: str | None) -> None:
        """Update the cached owner after its use was recorded."""
        digest = apikeys.hash_key(key)
        cached = self._cache.get(digest)
        if cached is not None:
            updated = KeyOwner(
                guild_id=owner.guild_id,
                key_id=owner.key_id,
                revoked=owner.revoked,
                api_version=version or owner.api_version,
                last_used_at=used_at,
            )
            self._cache[digest] = (cached[0], updated)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: `rate` requests a second sustained, bursts up to `burst`."""

    def __init__(self, rate: float = 10.0, burst: int = 50) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[int, _Bucket] = {}

    def retry_after(self, key_id: int) -> int:
        """0 when the request may pass (and a token is taken); else seconds to wait."""
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
