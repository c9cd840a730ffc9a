"""The listener's side of members' keys (`bgs.members`): which keys it accepts, and for which
cmdrs a key may post. A squadron key where the guild takes personal keys only is refused with
401; data for a cmdr the key may not post for, with 403 (nothing of the request is stored)."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from bgs import members
from listener.errors import ApiError
from listener.requests import Caller, authenticate

GATE: web.AppKey[members.CmdrGate] = web.AppKey("cmdr_gate")


async def member_caller(request: web.Request) -> Caller:
    """`authenticate`, then refuse a squadron key where only personal keys are accepted."""
    caller = await authenticate(request)
    try:
        members.admit(caller.owner)
    except members.SquadronKeyRefused as exc:
        raise ApiError(401, str(exc), guild_id=caller.guild_id) from None
    return caller


async def check_cmdrs(request: web.Request, caller: Caller, cmdrs: Iterable[str | None]) -> None:
    """Refuse the request (403) when the key may not post for one of its cmdrs."""
    try:
        await request.app[GATE].allow(caller.owner, cmdrs)
    except members.CmdrRefused as exc:
        raise ApiError(403, str(exc), guild_id=caller.guild_id) from None
