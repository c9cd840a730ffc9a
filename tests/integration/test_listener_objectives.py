"""GET /objectives over real HTTP against the real listener app and Services.

The main case rebuilds the objectives of the captured plugin session
(`tests/fixtures/bgstally/04-objectives-get.json`) through `bgs.objectives`, sends members'
events through POST /events so that the live progress equals the captured figures, and compares
the answer with the capture field by field.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bgs import apikeys
from bgs import objectives as obj
from settings import TenantsFile, load_settings
from tests.helpers.plugin_events import (
    ADF,
    ALPHA,
    ALPHA_POS,
    BETA,
    BETA_ADDRESS,
    BETA_POS,
    BETA_UNION,
    Event,
    combat_bond,
    cz_objective,
    docked,
    ground_cz,
    influence,
    jump,
    market_sell,
    space_cz,
)
from warden.services import Services

GUILD, OTHER_GUILD = 1001, 2002
SAMPLE = Path(__file__).parents[1] / "fixtures" / "bgstally" / "04-objectives-get.json"
API_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
COORDINATES = {ALPHA: ALPHA_POS, BETA: BETA_POS}


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    settings = load_settings(database_url=database_url, listener_port=0, _env_file=None)
    running = Services(settings, TenantsFile())
    await running.listener.start()
    yield running
    await running.close()


@pytest.fixture
async def key(services: Services) -> str:
    async with services.db.tenant_write(GUILD) as session:
        plain, _ = await apikeys.create_key(session, label="plugin", created_by="tests")
    return plain


async def get_objectives(
    services: Services, key: str | None, api_version: str | None = "1.8.0"
) -> tuple[int, Any]:
    headers = {"User-Agent": "BGS-Tally/5.5.0-dev"}
    if key is not None:
        headers["apikey"] = key
    if api_version is not None:
        headers["apiversion"] = api_version
    async with (
        aiohttp.ClientSession() as client,
        client.get(services.listener.url + "objectives", headers=headers) as response,
    ):
        return response.status, await response.json()


async def post_events(services: Services, key: str, events: list[Event]) -> None:
    headers = {"apikey": key, "apiversion": "1.8.0"}
    async with aiohttp.ClientSession() as client:
        for first in range(0, len(events), 100):
            batch = events[first : first + 100]
            async with client.post(
                services.listener.url + "events", json=batch, headers=headers
            ) as response:
                assert response.status == 200, await response.text()


def system_name(value: str | dict[str, Any]) -> str:
    return value if isinstance(value, str) else value["name"]


def now_seconds() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def create_from_sample(
    services: Services, sample: list[dict[str, Any]], starts_at: datetime, ends_at: datetime
) -> None:
    """Each captured objective, created as an officer would (the expired one ended yesterday)."""
    async with services.db.tenant_write(GUILD) as session:
        for index, captured in enumerate(sample):
            expired = index == len(sample) - 1
            objective_id = await obj.create_objective(
                session,
                title=captured["title"] or obj.OBJECTIVE_TYPES[captured["type"]],
                objective_type=captured["type"],
                priority=int(captured["priority"]),
                system=system_name(captured["system"]),
                faction=captured["faction"],
                description=captured.get("description"),
                starts_at=starts_at - timedelta(days=10) if expired else starts_at,
                ends_at=starts_at if expired else ends_at,
            )
            for target in captured["targets"]:
                target_id = await obj.add_target(
                    session,
                    objective_id,
                    target_type=target["type"],
                    system=system_name(target.get("system", "")),
                    faction=target.get("faction"),
                    station=target.get("station"),
                    target_overall=target.get("targetoverall", 0),
                    target_individual=target.get("targetindividual", 0),
                )
                for settlement in target.get("settlements", []):
                    await obj.add_settlement(
                        session,
                        objective_id,
                        target_id,
                        name=settlement["name"],
                        target_overall=settlement["targetoverall"],
                        target_individual=settlement["targetindividual"],
                    )


def members_events(at: datetime) -> list[Event]:
    """What members did, so that the live progress equals the captured `progress` figures."""
    beta = {"system": BETA, "address": BETA_ADDRESS}
    return [
        jump(at - timedelta(hours=1)),  # Alpha's coordinates
        space_cz(at, ADF, "high"),  # space_cz: 1 + 2 + 1 = 4
        space_cz(at, ADF, "medium", 2, cmdr="Cmdr Two"),
        cz_objective(at, ADF),
        ground_cz(at, ADF, "Other Settlement"),  # ground_cz 1, Barnes Enterprise 0
        combat_bond(at, ADF, 1_200_000),  # cb
        influence(at, ADF, "+++++"),  # inf: 5 + 5 + 2 = 12
        influence(at, ADF, "+++++", cmdr="Cmdr Two"),
        influence(at, ADF, "++"),
        docked(at, "Alpha Outpost"),  # not Alpha Port: visit 0
        market_sell(at, ADF, count=1, sale=110, paid=100),  # trade_prof 10
        jump(at, BETA, BETA_ADDRESS, BETA_POS),  # visit Beta 1, Beta's coordinates
        influence(at, BETA_UNION, "++", "DownBad", effect_address=BETA_ADDRESS, **beta),  # -2
    ]


def expected_from_sample(
    sample: list[dict[str, Any]], starts_at: datetime, ends_at: datetime, *, objects: bool
) -> list[dict[str, Any]]:
    """The capture, with what this server deliberately does differently:

    * the expired objective is left out;
    * `priority` is an integer (the capture served VALK-style strings);
    * a title is required, so the untitled one carries its type's label;
    * `targetindividual` / `targetoverall` are always present (0 when not set);
    * for 1.8.0 every system with known coordinates is `{name, x, y, z}` (the capture mixed both
      forms on purpose), for older plugins a plain name;
    * the dates are this test's.
    """

    def system(value: str | dict[str, Any]) -> str | dict[str, Any]:
        name = system_name(value)
        if not objects:
            return name
        x, y, z = COORDINATES[name]
        return {"name": name, "x": x, "y": y, "z": z}

    expected = []
    for captured in sample[:-1]:
        targets = []
        for target in captured["targets"]:
            shaped = {"targetindividual": 0, "targetoverall": 0} | target
            if "system" in target:
                shaped["system"] = system(target["system"])
            targets.append(shaped)
        expected.append(
            captured
            | {
                "title": captured["title"] or obj.OBJECTIVE_TYPES[captured["type"]],
                "priority": int(captured["priority"]),
                "system": system(captured["system"]),
                "startdate": obj.api_date(starts_at),
                "enddate": obj.api_date(ends_at),
                "targets": targets,
            }
        )
    return expected


def assert_plugin_safe(body: Any) -> None:
    """What the plugin's parser needs (bgstally-api.md §2, §7): anything else can stop it."""
    assert isinstance(body, list)
    for mission in body:
        assert isinstance(mission, dict)
        assert isinstance(mission["targets"], list)
        assert isinstance(mission["priority"], int)
        assert 0 <= mission["priority"] <= 5
        for field in ("startdate", "enddate"):
            if field in mission:
                assert API_DATE.match(mission[field]), mission[field]
                datetime.strptime(mission[field], obj.API_DATE_FORMAT)
        for target in mission["targets"]:
            assert isinstance(target, dict)
            assert target["type"] in obj.TARGET_TYPES
            for number in ("progress", "targetoverall", "targetindividual"):
                assert isinstance(target[number], int)
            assert ("settlements" in target) == (target["type"] == "ground_cz")
            for settlement in target.get("settlements", []):
                assert isinstance(settlement, dict)
                assert all(
                    isinstance(settlement[n], int)
                    for n in ("progress", "targetoverall", "targetindividual")
                )
    assert "null" not in json.dumps(body)


async def test_captured_sample_is_matched_field_by_field(services: Services, key: str) -> None:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))["response_json"]
    now = now_seconds()
    starts_at, ends_at = now - timedelta(days=1), now + timedelta(days=7)
    await create_from_sample(services, sample, starts_at, ends_at)
    await post_events(services, key, members_events(now - timedelta(minutes=5)))

    status, body = await get_objectives(services, key, "1.8.0")
    assert status == 200
    assert_plugin_safe(body)
    expected = expected_from_sample(sample, starts_at, ends_at, objects=True)
    assert len(body) == len(expected) == 2
    for served, wanted in zip(body, expected, strict=True):
        assert served.keys() == wanted.keys()
        for field, value in wanted.items():
            if field != "targets":
                assert served[field] == value, field
        for served_target, wanted_target in zip(served["targets"], wanted["targets"], strict=True):
            assert served_target == wanted_target

    for version in ("1.7.0", None):
        status, body = await get_objectives(services, key, version)
        assert status == 200
        assert body == expected_from_sample(sample, starts_at, ends_at, objects=False)


async def test_open_objective_has_no_enddate_and_unknown_coordinates_stay_a_name(
    services: Services, key: str
) -> None:
    now = now_seconds()
    async with services.db.tenant_write(GUILD) as session:
        objective_id = await obj.create_objective(
            session,
            title="Hold Nowhere",
            objective_type="recon",
            system="Never Visited",
            starts_at=now - timedelta(hours=1),
        )
        await obj.add_target(session, objective_id, target_type="visit")
    async with services.db.tenant_write(OTHER_GUILD) as session:
        await obj.create_objective(session, title="Theirs", objective_type="boost")

    status, body = await get_objectives(services, key)
    assert status == 200
    assert_plugin_safe(body)
    assert body == [
        {
            "title": "Hold Nowhere",
            "priority": 0,
            "type": "recon",
            "description": "",
            "system": "Never Visited",
            "faction": "",
            "startdate": obj.api_date(now - timedelta(hours=1)),
            "targets": [
                {"type": "visit", "targetindividual": 0, "targetoverall": 0, "progress": 0}
            ],
        }
    ]


async def test_no_objectives_is_an_empty_array(services: Services, key: str) -> None:
    assert await get_objectives(services, key) == (200, [])


async def test_a_key_is_required(services: Services) -> None:
    status, body = await get_objectives(services, None)
    assert status == 401
    assert body == {"error": "an API key is required: set it in BGS-Tally's API settings"}
