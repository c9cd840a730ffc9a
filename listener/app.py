"""The aiohttp application the plugin talks to (bgstally-api.md): routes, auth, errors.

A handler authenticates, validates, calls `bgs/`, answers. Every error body is
`{"error": "<a sentence>"}`; every rejected request is logged with the tenant (when known),
the reason and the client address — never the key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from bgs import apikeys, ingest
from bgs.apikeys import KeyOwner
from bgs.events import EnvelopeError, parse_envelope
from bgs.ingest import EventWriter
from db.session import is_unavailable
from listener.auth import KEY_RE, VERSION_RE, KeyStore, RateLimiter
from listener.discovery import discovery_document
from listener.models import ActivityIn, first_error, to_activity

if TYPE_CHECKING:
    from bot import Services

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
ARRIVAL_LOG_EVERY = 60.0

SERVICES: web.AppKey[Services] = web.AppKey("services")
KEYS: web.AppKey[KeyStore] = web.AppKey("keys")
LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter")
ARRIVALS: web.AppKey[ArrivalLog] = web.AppKey("arrivals")
WRITER: web.AppKey[EventWriter] = web.AppKey("writer")


class ApiError(Exception):
    """A request we refuse, with the status and the sentence the client gets."""

    def __init__(
        self, status: int, message: str, *, guild_id: int | None = None, headers: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.guild_id = guild_id
        self.headers = headers


def error_response(status: int, message: str, headers: Any = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _reject(request: web.Request, status: int, reason: str, guild_id: int | None) -> None:
    log.warning(
        "rejected %s %s from %s (guild %s): %d %s",
        request.method,
        request.path,
        request.remote,
        guild_id if guild_id is not None else "unknown",
        status,
        reason,
    )


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        _reject(request, exc.status, exc.message, exc.guild_id)
        return error_response(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:
        messages = {
            404: f"there is nothing at {request.path}; the plugin's endpoints are listed by "
            "GET /discovery",
            405: f"{request.method} is not supported on {request.path}",
            413: f"the body is larger than {MAX_BODY // 1024} KiB",
        }
        message = messages.get(exc.status, exc.reason)
        _reject(request, exc.status, message, None)
        return error_response(exc.status, message)
    except Exception as exc:
        if is_unavailable(exc):
            _reject(request, 503, f"database unavailable ({type(exc).__name__})", None)
            return error_response(
                503, "the database is unavailable right now; the data was not stored"
            )
        error_id = uuid.uuid4().hex[:8]
        log.exception("error %s while handling %s %s", error_id, request.method, request.path)
        return error_response(500, f"internal error (id {error_id}); nothing was stored")


# --------------------------------------------------------------------------------------------
# Request helpers
# --------------------------------------------------------------------------------------------


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
    store = request.app[KEYS]
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
        request.app[SERVICES].spawn(
            _record_use(request.app[SERVICES], owner, used_at, version), name="key-touch"
        )
    return Caller(owner=owner, api_version=version)


async def _record_use(
    services: Services, owner: KeyOwner, used_at: datetime, version: str | None
) -> None:
    async with services.db.tenant_write(owner.guild_id) as session:
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


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    failures = []
    for url in services.db.urls:
        try:
            await asyncio.wait_for(services.db.ping(url), timeout=5)
        except Exception as exc:
            failures.append(type(exc).__name__)
    body = {
        "status": "ok" if not failures else "degraded",
        "database": "ok" if not failures else "unreachable",
        "databases": len(services.db.urls),
        "discord": "on" if services.settings.discord_token else "off",
    }
    return web.json_response(body, status=200 if not failures else 503)


async def discovery(request: web.Request) -> web.Response:
    settings = request.app[SERVICES].settings
    return web.json_response(discovery_document(settings.server_name, settings.server_description))


async def post_events(request: web.Request) -> web.Response:
    caller = await authenticate(request)
    payload = await read_json(request, caller)
    if not isinstance(payload, list):
        raise ApiError(400, "the body must be a JSON array of events", guild_id=caller.guild_id)
    if len(payload) > ingest.MAX_BATCH:
        raise ApiError(
            413,
            f"at most {ingest.MAX_BATCH} events per request; this one has {len(payload)}",
            guild_id=caller.guild_id,
        )
    try:
        envelopes = [parse_envelope(index, item) for index, item in enumerate(payload)]
    except EnvelopeError as exc:
        raise ApiError(400, f"{exc}; nothing was stored", guild_id=caller.guild_id) from None
    services = request.app[SERVICES]
    result = await request.app[WRITER].store(caller.guild_id, envelopes)
    if result.stored:
        services.events_stored(caller.guild_id, result)
    cmdr = envelopes[0].cmdr if envelopes else None
    request.app[ARRIVALS].note(caller, cmdr, result.accepted, result.duplicates)
    return web.json_response({"accepted": result.accepted, "duplicates": result.duplicates})


async def put_activities(request: web.Request) -> web.Response:
    caller = await authenticate(request)
    payload = await read_json(request, caller)
    if not isinstance(payload, dict):
        raise ApiError(
            400, "the body must be a JSON object (one activity)", guild_id=caller.guild_id
        )
    try:
        activity = ActivityIn.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(
            400, f"{first_error(exc)}; nothing was changed", guild_id=caller.guild_id
        ) from None
    services = request.app[SERVICES]
    async with services.db.tenant_write(caller.guild_id) as session:
        await ingest.replace_activity(session, to_activity(activity))
    return web.json_response({"status": "stored", "cmdr": activity.cmdr, "tickid": activity.tickid})


def create_app(services: Services) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=MAX_BODY)
    app[SERVICES] = services
    app[KEYS] = services.keys
    app[LIMITER] = RateLimiter(
        services.settings.listener_rate_limit, services.settings.listener_rate_burst
    )
    app[ARRIVALS] = ArrivalLog()
    app[WRITER] = EventWriter(services.db)
    app.router.add_get("/health", health)
    app.router.add_get("/discovery", discovery)
    app.router.add_post("/events", post_events)
    app.router.add_put("/activities", put_activities)
    from listener.objectives import get_objectives  # here: that module imports this one

    app.router.add_get("/objectives", get_objectives)
    return app
