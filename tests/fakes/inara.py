"""A fake of Inara's API (`inapi/v1`, inara-api.md) on 127.0.0.1::

    async with FakeInara() as inara:
        inara.add_cmdr("Ann", combat=8, squadron="Test Wing", squadron_rank="Recruit")
        inara.partial["Bob"] = ("Bobby", ["Bob II"])
        inara.bad_keys.add("WRONG-KEY-0123456789")
        inara.modes.append(Mode.SLOW)          # the next request answers after `delay` seconds

It answers `getCommanderProfile` events the way Inara does: HTTP 200 always, errors inside the
JSON. A known cmdr is found (200, with the docs sample's fields; `upper_keys` switches the
squadron keys to the docs sample's `Squadron*` case), a partial entry is a 202 with another
name and `otherNamesFound`, anyone else is 204. A bad key gets a header 400 "Invalid API key",
a revoked key the rate-limit sentence. Queued modes change the next requests: an empty body,
not JSON, HTTP 500, or a slow answer. Every request body is recorded.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackFake

RATE_LIMITED = (
    "Too much requests, slow down, cowboy. ;) The access to API was temporarily revoked (1 hour)."
)


class Mode(StrEnum):
    EMPTY = "empty"
    NOT_JSON = "not_json"
    DOWN = "down"
    SLOW = "slow"


@dataclass
class FakeInara(LoopbackFake):
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    partial: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    bad_keys: set[str] = field(default_factory=set)
    revoked_keys: set[str] = field(default_factory=set)
    modes: list[Mode] = field(default_factory=list)
    delay: float = 5.0
    upper_keys: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/inapi/v1/", self._api)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/inapi/v1/"

    def add_cmdr(
        self,
        name: str,
        *,
        combat: int | str = 0,
        trade: int | str = 0,
        power: str | None = None,
        squadron: str | None = None,
        squadron_rank: str | None = None,
        user_id: int = 1234,
    ) -> None:
        """A cmdr Inara knows (rank values may be given as text, as some answers have them)."""
        data: dict[str, Any] = {
            "userID": user_id,
            "userName": name,
            "commanderName": name,
            "commanderRanksPilot": [
                {"rankName": "combat", "rankValue": combat, "rankProgress": 0.4},
                {"rankName": "trade", "rankValue": trade, "rankProgress": 0.1},
            ],
            "inaraURL": f"https://inara.cz/elite/cmdr/{user_id}/",
        }
        if power:
            data["preferredPowerName"] = power
        if squadron:
            data["commanderSquadron"] = {
                "squadronID": 5,
                "squadronName": squadron,
                "squadronMembersCount": 8,
                "squadronMemberRank": squadron_rank,
                "inaraURL": "https://inara.cz/elite/squadron/5/",
            }
        self.profiles[name.lower()] = data

    def searched(self) -> list[list[str]]:
        """The cmdr names of each request, in order."""
        return [
            [event["eventData"]["searchName"] for event in request["events"]]
            for request in self.requests
        ]

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        name = str(event["eventData"]["searchName"])
        answer: dict[str, Any] = {"eventCustomID": event.get("eventCustomID")}
        if name.lower() in self.profiles:
            data = json.loads(json.dumps(self.profiles[name.lower()]))
            if self.upper_keys and "commanderSquadron" in data:
                data["commanderSquadron"] = {
                    key[0].upper() + key[1:]: value
                    for key, value in data["commanderSquadron"].items()
                }
            return answer | {"eventStatus": 200, "eventData": data}
        if name in self.partial:
            other, names = self.partial[name]
            data = {
                "userID": 77,
                "userName": other,
                "inaraURL": "https://inara.cz/elite/cmdr/77/",
                "otherNamesFound": names,
            }
            return answer | {"eventStatus": 202, "eventData": data}
        return answer | {"eventStatus": 204, "eventStatusText": "No commander found"}

    async def _api(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        mode = self.modes.pop(0) if self.modes else None
        if mode is Mode.SLOW:
            await asyncio.sleep(self.delay)
        if mode is Mode.EMPTY:
            return web.Response(text="")
        if mode is Mode.NOT_JSON:
            return web.Response(text="<html>Maintenance</html>", content_type="text/html")
        if mode is Mode.DOWN:
            return web.Response(status=500, text="Internal Server Error")
        key = body["header"]["APIkey"]
        if key in self.bad_keys:
            return web.json_response(
                {"header": {"eventStatus": 400, "eventStatusText": "Invalid API key"}, "events": []}
            )
        if key in self.revoked_keys:
            return web.json_response(
                {"header": {"eventStatus": 400, "eventStatusText": RATE_LIMITED}}
            )
        events = [self._event(event) for event in body["events"]]
        return web.json_response({"header": {"eventStatus": 200}, "events": events})
