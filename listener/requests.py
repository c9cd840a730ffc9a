"""What every plugin request goes through: the listener's context, the caller's key, the JSON body,
and the log line that data arrives."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bgs import apikeys
from bgs.alerts import AfterIngest
from bgs.apikeys import KeyOwner
from bgs.ingest import EventWriter
from db.database import Database
from listener import jsonbody
from listener.auth import KEY_RE, VERSION_RE, KeyStore, RateLimiter
from listener.errors import MAX_BODY, ApiError, unavailable
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
GUILDS: web.AppKey[RateLimiter] = web.AppKey("guild_limiter")  # requests per guild
VOLUME: web.AppKey[RateLimiter] = web.AppKey("volume_limiter")  # body bytes per guild
FAILED_AUTH: web.AppKey[RateLimiter] = web.AppKey("failed_auth")  # refused keys per address


@dataclass(frozen=True, slots=True)
class Caller:
    owner: KeyOwner
    api_version: str | None

    @property
    def guild_id(self) -> int:
        return self.owner.guild_id


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or behind a reverse proxy (LISTENER_BEHIND_PROXY) the
    last address of X-Forwarded-For, the one the proxy itself wrote."""
    if request.app[CONTEXT].settings.listener_behind_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.remote or "unknown"


def too_many(message: str, wait: int, guild_id: int | None = None) -> ApiError:
    return ApiError(429, message, guild_id=guild_id, headers={"Retry-After": str(wait)})


async def authenticate(request: web.Request) -> Caller:
    """The caller's key → its guild; refuses missing, unknown and revoked keys and the keys of
    a guild the bot left (401), an address after too many such refusals, and a key or guild
    over its request rate (429)."""
    address = client_address(request)
    failures = request.app[FAILED_AUTH]
    wait = failures.waiting(address)
    if wait:
        raise too_many(f"too many refused API keys from your address; try again in {wait} s", wait)
    try:
        owner, version = await _owner(request)
    except ApiError:
        failures.retry_after(address)
        raise
    for limiter, key in (
        (request.app[LIMITER], owner.key_id),
        (request.app[GUILDS], owner.guild_id),
    ):
        wait = limiter.retry_after(key)
        if wait:
            raise too_many(f"too many requests; try again in {wait} s", wait, owner.guild_id)
    store = request.app[CONTEXT].keys
    if store.needs_touch(owner, version):
        used_at = datetime.now(UTC)
        store.touched(owner, used_at, version)
        context = request.app[CONTEXT]
        context.spawn(_record_use(context.db, owner, used_at, version), "key-touch")
    return Caller(owner=owner, api_version=version)


async def _owner(request: web.Request) -> tuple[KeyOwner, str | None]:
    """The presented key's owner and the plugin's API version; ApiError when refused."""
    version = request.headers.get("apiversion")
    if version is not None and not VERSION_RE.fullmatch(version.strip()):
        raise ApiError(400, "the apiversion header must look like 1.8.0 (x.y.z)")
    key = request.headers.get("apikey", "").strip()
    if not key:
        raise ApiError(401, "an API key is required: set it in BGS-Tally's API settings")
    if not KEY_RE.fullmatch(key):
        raise ApiError(401, "this API key is not valid")
    owner = await request.app[CONTEXT].keys.owner(key)
    if owner is None:
        raise ApiError(401, "this API key is not valid")
    if owner.revoked:
        raise ApiError(
            401, "this API key was revoked; ask an officer for a new one", guild_id=owner.guild_id
        )
    if owner.guild_left:
        raise ApiError(
            401,
            "this API key's Discord server no longer has the bot; the key works again once the "
            "bot is invited back",
            guild_id=owner.guild_id,
        )
    return owner, version.strip() if version else None


@asynccontextmanager
async def database_deadline(request: web.Request, caller: Caller) -> AsyncIterator[None]:
    """The database work of a request must be done within LISTENER_WRITE_TIMEOUT, or it is
    abandoned and answered 503 with Retry-After: a stalled database holds no request (nor its
    body) for long. Work abandoned this way may still commit; a batch sent again is then
    answered as duplicates, so retrying is always safe."""
    seconds = request.app[CONTEXT].settings.listener_write_timeout
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            yield
    except TimeoutError:
        if not deadline.expired():
            raise  # the database's own timeout: unavailable, answered by the middleware
        raise unavailable(
            f"the database did not answer within {seconds:g} s; send the data again later",
            max(1, math.ceil(seconds)),
            caller.guild_id,
        ) from None


async def _record_use(
    db: Database, owner: KeyOwner, used_at: datetime, version: str | None
) -> None:
    async with db.tenant_write(owner.guild_id) as session:
        await apikeys.record_use(session, owner.key_id, used_at, version)


async def read_json(request: web.Request, caller: Caller, root: str = "") -> Any:
    """The request's JSON body, read within the body deadline and checked (`jsonbody`): a
    value no database would store as sent is refused with a 400 naming it (`root` names the
    top level in that message)."""
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "send the body as application/json", guild_id=caller.guild_id)
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(
            413, f"the body is larger than {MAX_BODY // 1024} KiB", guild_id=caller.guild_id
        )
    deadline = request.app[CONTEXT].settings.listener_body_timeout
    try:
        async with asyncio.timeout(deadline):
            body = await request.read()
    except TimeoutError:
        raise ApiError(
            408, f"the body did not arrive within {deadline:g} s", guild_id=caller.guild_id
        ) from None
    wait = request.app[VOLUME].retry_after(caller.guild_id, len(body))
    if wait:
        raise too_many(
            f"this server sent more data than it may; try again in {wait} s", wait, caller.guild_id
        )
    try:
        return jsonbody.parse(body, root)
    except jsonbody.BodyError as exc:
        raise ApiError(400, f"{exc}; nothing was stored", guild_id=caller.guild_id) from None


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
