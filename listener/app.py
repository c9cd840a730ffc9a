"""The aiohttp application the plugin talks to (bgstally-api.md): its routes, the key, guild
and address limits, and the error middleware."""

from __future__ import annotations

from aiohttp import web

from bgs.ingest import EventWriter
from bgs.members import CmdrGate
from listener.auth import RateLimiter
from listener.errors import MAX_BODY, errors_middleware
from listener.health import HEALTH, HealthProbe
from listener.members import GATE
from listener.requests import (
    ARRIVALS,
    CONTEXT,
    FAILED_AUTH,
    GUILDS,
    LIMITER,
    VOLUME,
    WRITER,
    ArrivalLog,
    ListenerContext,
)
from listener.routes import discovery, get_objectives, health, post_events, put_activities


def create_app(context: ListenerContext) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=MAX_BODY)
    app[CONTEXT] = context
    settings = context.settings
    app[LIMITER] = RateLimiter(settings.listener_rate_limit, settings.listener_rate_burst)
    app[GUILDS] = RateLimiter(settings.listener_guild_rate_limit, settings.listener_guild_burst)
    app[VOLUME] = RateLimiter(settings.listener_guild_bytes, settings.listener_guild_bytes_burst)
    app[FAILED_AUTH] = RateLimiter(settings.listener_address_rate, settings.listener_address_burst)
    app[HEALTH] = HealthProbe(
        context.db,
        settings.listener_health_cache_seconds,
        RateLimiter(settings.listener_address_rate, settings.listener_address_burst),
    )
    app[ARRIVALS] = ArrivalLog()
    app[WRITER] = EventWriter(context.db, max_queued=settings.listener_queue_limit)
    app[GATE] = CmdrGate(context.db)
    app.router.add_get("/health", health)
    app.router.add_get("/discovery", discovery)
    app.router.add_post("/events", post_events)
    app.router.add_put("/activities", put_activities)
    app.router.add_get("/objectives", get_objectives)
    return app
