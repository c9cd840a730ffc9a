"""The plugin's endpoints (bgstally-api.md): a handler authenticates, validates, calls `bgs/`,
answers."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from pydantic import ValidationError

from bgs import ingest
from bgs.events import EnvelopeError, parse_envelope
from bgs.objectives import plugin_objectives
from listener.discovery import discovery_document
from listener.errors import ApiError, unavailable
from listener.health import HEALTH
from listener.members import check_cmdrs, member_caller
from listener.models import ActivityIn, first_error, out_of_range_field, to_activity
from listener.requests import (
    ARRIVALS,
    CONTEXT,
    WRITER,
    client_address,
    database_deadline,
    read_json,
    too_many,
)


async def health(request: web.Request) -> web.Response:
    """The databases' state from the cached probe (`listener.health`), limited per address."""
    probe = request.app[HEALTH]
    wait = probe.limiter.retry_after(client_address(request))
    if wait:
        raise too_many(f"too many health checks from your address; try again in {wait} s", wait)
    status, body = await probe.report()
    discord = "on" if request.app[CONTEXT].settings.discord_token else "off"
    return web.json_response(body | {"discord": discord}, status=status)


async def discovery(request: web.Request) -> web.Response:
    settings = request.app[CONTEXT].settings
    return web.json_response(discovery_document(settings.server_name, settings.server_description))


async def post_events(request: web.Request) -> web.Response:
    caller = await member_caller(request)
    payload = await read_json(request, caller, "events")
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
        batch = ingest.prepare(envelopes)
    except EnvelopeError as exc:
        raise ApiError(400, f"{exc}; nothing was stored", guild_id=caller.guild_id) from None
    try:
        async with database_deadline(request, caller):
            await check_cmdrs(request, caller, {envelope.cmdr for envelope in envelopes})
            result = await request.app[WRITER].store(caller.guild_id, batch)
    except ingest.Busy as exc:
        raise unavailable(
            f"{exc}; nothing was stored, send it again later", exc.retry_after, caller.guild_id
        ) from None
    if result.stored:
        request.app[CONTEXT].after_ingest.stored(caller.guild_id, result)
    cmdr = envelopes[0].cmdr if envelopes else None
    request.app[ARRIVALS].note(caller, cmdr, result.accepted, result.duplicates)
    return web.json_response({"accepted": result.accepted, "duplicates": result.duplicates})


async def put_activities(request: web.Request) -> web.Response:
    caller = await member_caller(request)
    payload = await read_json(request, caller, "")
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
    rows = to_activity(activity)
    field = out_of_range_field(rows)
    if field is not None:
        raise ApiError(400, f"{field}: out of range; nothing was changed", guild_id=caller.guild_id)
    async with database_deadline(request, caller):
        await check_cmdrs(request, caller, [activity.cmdr])
        async with request.app[CONTEXT].db.tenant_write(caller.guild_id) as session:
            await ingest.replace_activity(session, rows)
    return web.json_response({"status": "stored", "cmdr": activity.cmdr, "tickid": activity.tickid})


async def get_objectives(request: web.Request) -> web.Response:
    """A JSON array the plugin accepts as is (bgstally-api.md §7); `[]` clears its list."""
    caller = await member_caller(request)
    async with (
        database_deadline(request, caller),
        request.app[CONTEXT].db.tenant(caller.guild_id) as session,
    ):
        body = await plugin_objectives(session, caller.api_version, datetime.now(UTC))
    return web.json_response(body)
