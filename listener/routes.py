"""The plugin's endpoints (bgstally-api.md): a handler authenticates, validates, calls `bgs/`,
answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web
from pydantic import ValidationError

from bgs import ingest
from bgs.events import EnvelopeError, parse_envelope
from bgs.objectives import plugin_objectives
from listener.discovery import discovery_document
from listener.errors import ApiError
from listener.members import check_cmdrs, member_caller
from listener.models import ActivityIn, first_error, to_activity
from listener.requests import ARRIVALS, CONTEXT, WRITER, read_json


async def health(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    failures = []
    for url in context.db.urls:
        try:
            await asyncio.wait_for(context.db.ping(url), timeout=5)
        except Exception as exc:
            failures.append(type(exc).__name__)
    body = {
        "status": "ok" if not failures else "degraded",
        "database": "ok" if not failures else "unreachable",
        "databases": len(context.db.urls),
        "discord": "on" if context.settings.discord_token else "off",
    }
    return web.json_response(body, status=200 if not failures else 503)


async def discovery(request: web.Request) -> web.Response:
    settings = request.app[CONTEXT].settings
    return web.json_response(discovery_document(settings.server_name, settings.server_description))


async def post_events(request: web.Request) -> web.Response:
    caller = await member_caller(request)
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
    await check_cmdrs(request, caller, {envelope.cmdr for envelope in envelopes})
    result = await request.app[WRITER].store(caller.guild_id, envelopes)
    if result.stored:
        request.app[CONTEXT].after_ingest.stored(caller.guild_id, result)
    cmdr = envelopes[0].cmdr if envelopes else None
    request.app[ARRIVALS].note(caller, cmdr, result.accepted, result.duplicates)
    return web.json_response({"accepted": result.accepted, "duplicates": result.duplicates})


async def put_activities(request: web.Request) -> web.Response:
    caller = await member_caller(request)
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
    await check_cmdrs(request, caller, [activity.cmdr])
    async with request.app[CONTEXT].db.tenant_write(caller.guild_id) as session:
        await ingest.replace_activity(session, to_activity(activity))
    return web.json_response({"status": "stored", "cmdr": activity.cmdr, "tickid": activity.tickid})


async def get_objectives(request: web.Request) -> web.Response:
    """A JSON array the plugin accepts as is (bgstally-api.md §7); `[]` clears its list."""
    caller = await member_caller(request)
    async with request.app[CONTEXT].db.tenant(caller.guild_id) as session:
        body = await plugin_objectives(session, caller.api_version, datetime.now(UTC))
    return web.json_response(body)
