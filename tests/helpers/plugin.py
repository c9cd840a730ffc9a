"""Talking to the listener the way BGS-Tally does, and what tests need to: captured requests,
settings for a test process, API keys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bgs import apikeys
from settings import Settings, load_settings
from warden.services import Services

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def sample(name: str) -> Any:
    """A captured BGS-Tally request (tests/fixtures/bgstally, copied from the real plugin)."""
    return json.loads((FIXTURES / "bgstally" / name).read_text(encoding="utf-8"))


def settings_for(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "database_url": database_url,
        "listener_host": "127.0.0.1",
        "listener_port": 0,
        "tenants_file": tmp_path / "tenants.json",
        "discord_token": None,
        # members' jumps reach the galaxy tables with each after-ingest run, so a test's
        # wait_background() sees them (test_galaxy_members holds them the default's way)
        "after_ingest_galaxy_seconds": 0,
    }
    return load_settings(**(values | overrides))


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]


class PluginClient:
    """Speaks to the listener the way BGS-Tally does (bgstally-api.md §2)."""

    def __init__(self, http: aiohttp.ClientSession, root: str, key: str | None) -> None:
        self.http = http
        self.root = root
        self.key = key
        self.api_version: str | None = "1.8.0"

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": "BGS-Tally/5.5.0-dev"}
        if self.api_version is not None:
            headers["apiversion"] = self.api_version
        if self.key is not None:
            headers["apikey"] = self.key
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        all_headers = self.headers() | dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        async with self.http.request(
            method, self.root + path, data=data, headers=all_headers
        ) as response:
            text = await response.text()
            try:
                body = json.loads(text)
            except ValueError:
                body = text
            return Reply(response.status, body, response.headers)

    async def post_events(self, events: Any) -> Reply:
        return await self.request("POST", "events", json_body=events)

    async def put_activity(self, activity: Any) -> Reply:
        return await self.request("PUT", "activities", json_body=activity)


async def create_api_key(services: Services, guild_id: int, label: str = "test") -> str:
    async with services.db.tenant_write(guild_id) as session:
        key, _ = await apikeys.create_key(session, label=label, created_by="tests")
    return key


def market_event(n: int, cmdr: str = "Cmdr Load") -> dict[str, Any]:
    """A MarketSell unlike every other `n`'s (for load and group-commit tests)."""
    return {
        "event": "MarketSell",
        "timestamp": "2026-11-26T13:09:58Z",
        "cmdr": cmdr,
        "tickid": "zoy-7aa3e8fcc79b08a08a58",
        "ticktime": "2026-11-26T11:00:00Z",
        "StarSystem": "Test System Alpha",
        "SystemAddress": "1000001",
        "StationFaction": {"Name": "Alpha Traders"},
        "Type": "gold",
        "Count": 1 + n % 7,
        "SellPrice": 100,
        "TotalSale": 100 * (1 + n % 7),
        "AvgPricePaid": 50,
        "MarketID": n,
    }
