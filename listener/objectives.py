"""GET /objectives: the key's guild's objectives in the plugin's format, with live progress."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from bgs.objectives import plugin_objectives
from listener.app import SERVICES, authenticate


async def get_objectives(request: web.Request) -> web.Response:
    """A JSON array the plugin accepts as is (bgstally-api.md §7); `[]` clears its list."""
    caller = await authenticate(request)
    async with request.app[SERVICES].db.tenant(caller.guild_id) as session:
        body = await plugin_objectives(session, caller.api_version, datetime.now(UTC))
    return web.json_response(body)
