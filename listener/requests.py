"""What every plugin request goes through: the listener's context, the caller's key, the JSON body,
and the log line that data arrives."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from bgs import apikeys
from bgs.alerts import AfterIngest
from bgs.apikeys import KeyOwner
from bgs.ingest import EventWriter
from db.database import Database
from listener.auth import KEY_RE, VERSION_RE, KeyStore, RateLimiter
from listener.errors import MAX_BODY, ApiError
from settings import Settings

log = logging.getLogger(__name__)

ARRIVAL_LOG_EVERY = 60.0

Spawn = Callable[[Awaitable[Any], str], None]


@dataclass(frozen=True, slots=True)
class ListenerContext:
    """What the listener needs of the process: settings, databases, the key store, the
    after-ingest work and a way to run work in the background (`spawn(coroutine, name)`)."""

    settings: Settings
    db: Database
    keys: KeyStore
    after_ingest: AfterIngest
    spawn: Spawn


CONTEXT: web.AppKey[ListenerContext] = web.AppKey("context")
LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter")
ARRIVALS: web.AppKey[ArrivalLog] = web.AppKey("arrivals")
WRITER: web.AppKey[EventWriter] = web.AppKey("writer")


@dataclass(frozen=True, slots=True)
class Caller:
    owner: KeyOwner
    api_version: str | None

    @property
    def guild_id(self) -> int:
        return self.owner.guild_id


async def authenticate(request: web.Request) -> Caller:
    """The caller's key → its guild; refuses missing, unknown and revoked keys (401)."""
    version = request.headers.get("apiversion")
    if version is not None and not VERSION_RE.fullmatch(version.strip()):
        raise ApiError(400, "the apiversion header must look like 1.8.0 (x.y.z)")
    key = request.headers.get("apikey", "").strip()
    if not key:
        raise ApiError(401, "an API key is required: set it in BGS-Tally's API settings")
    if not KEY_RE.fullmatch(key):
        raise ApiError(401, "this API key is not valid")
    store = request.app[CONTEXT].keys
    owner = await store.owner(key)
    if owner is None:
        raise ApiError(401, "this API key is not valid")
    if owner.revoked:
        raise ApiError(
            401, "this API key was revoked; ask an officer for a new one", guild_id=owner.guild_id
        )
    wait = request.app[LIMITER].retry_after(owner.key_id)
    if wait:
        raise ApiError(
            429,
            f"too many requests; try again in {wait} s",
            guild_id=owner.guild_id,
            headers={"Retry-After": str(wait)},
        )
    version = version.strip() if version else None
    if store.needs_touch(owner, version):
        used_at = datetime.now(UTC)
        store.touched(owner, used_at, version)
        context = request.app[CONTEXT]
        context.spawn(_record_use(context.db, owner, used_at, version), "key-touch")
    return Caller(owner=owner, api_version=version)


async def _record_use(
    db: Database, owner: KeyOwner, used_at: datetime, version: str | None
) -> None:
    async with db.tenant_write(owner.guild_id) as session:
        await apikeys.record_use(session, owner.key_id, used_at, version)


async def read_json(request: web.Request, caller: Caller) -> Any:
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "send the body as application/json", guild_id=caller.guild_id)
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(
            413, f"the body is larger than {MAX_BODY // 1024} KiB", guild_id=caller.guild_id
        )
    body = await request.read()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass  # refused by orjson but perhaps not by json (integers past 64 bits, NaN): ask json
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            400, f"the body is not valid JSON ({exc})", guild_id=caller.guild_id
        ) from None


class ArrivalLog:
    """Logs that data arrives: once per key a minute, with what came in since."""

    def __init__(self) -> None:
        self._last: dict[int, float] = {}
        self._pending: dict[int, list[int]] = {}

    def note(self, caller: Caller, cmdr: str | None, accepted: int, duplicates: int) -> None:
        counts = self._pending.setdefault(caller.owner.key_id, [0, 0, 0])
        counts[0] += 1
        counts[1] += accepted
        counts[2] += duplicates
        now = time.monotonic()
        if now - self._last.get(caller.owner.key_id, -ARRIVAL_LOG_EVERY) >= ARRIVAL_LOG_EVERY:
            self._last[caller.owner.key_id] = now
            requests, stored, dupes = self._pending.pop(caller.owner.key_id)
            log.info(
                "plugin data for guild %s from %s: %d request(s), %d event(s) stored, "
                "%d duplicate(s)",
                caller.guild_id,
                f"CMDR {cmdr}" if cmdr else "an unnamed cmdr",
                requests,
                stored,
                dupes,
            )
