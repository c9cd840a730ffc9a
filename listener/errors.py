"""How the listener refuses: every error body is `{"error": "<a sentence>"}`, and every refused
request is logged with the tenant (when known), the reason and the client address — never the
key."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.exc import DataError

from db.database import is_unavailable

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


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


UNAVAILABLE_RETRY_AFTER = 10  # seconds, in the Retry-After of a 503 for a database that is down


def unavailable(message: str, retry_after: int, guild_id: int | None = None) -> ApiError:
    """A 503 that says when to come back (Retry-After)."""
    return ApiError(503, message, guild_id=guild_id, headers={"Retry-After": str(retry_after)})


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
    except DataError as exc:
        # A value the checks before storing let through (`listener.jsonbody`, `db.types.
        # out_of_range`) and the database refused: the client's data, not our failure.
        message = f"the database refused a value of this request ({exc.orig}); nothing was stored"
        _reject(request, 400, message, None)
        return error_response(400, message[:500])
    except Exception as exc:
        if is_unavailable(exc):
            _reject(request, 503, f"database unavailable ({type(exc).__name__})", None)
            return error_response(
                503,
                "the database is unavailable right now; the data was not stored",
                {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
            )
        error_id = uuid.uuid4().hex[:8]
        log.exception("error %s while handling %s %s", error_id, request.method, request.path)
        return error_response(500, f"internal error (id {error_id}); nothing was stored")
