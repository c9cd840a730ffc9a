"""The plugin listener over real HTTP: the captured requests replayed, bad input, idempotency,
atomicity, isolation, concurrency, limits and a database outage."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bgs import apikeys, events, outbox
from db import models
from listener.app import LIMITER
from listener.discovery import REQUESTED_EVENTS
from tests.helpers.plugin import (
    GUILD_A,
    GUILD_B,
    PluginClient,
    create_api_key,
    market_event,
    sample,
)
from warden.services import Services

BATCHES = [f"02-events-batch-{n:02d}.json" for n in range(1, 11)]


def batch(name: str) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = sample(name)["body_json"]
    return body


def all_sample_events() -> list[dict[str, Any]]:
    return [event for name in BATCHES for event in batch(name)]


async def count(services: Services, model: type[models.Base], guild_id: int | None = None) -> int:
    async with services.db.unscoped() as session:
        statement = select(func.count()).select_from(model)
        if guild_id is not None:
            statement = statement.where(model.guild_id == guild_id)  # type: ignore[attr-defined]
        return (await session.execute(statement)).scalar_one()


# --------------------------------------------------------------------------------------------
# Discovery and health
# --------------------------------------------------------------------------------------------


async def test_discovery_shape(plugin: PluginClient) -> None:
    plugin.key = None  # no auth needed
    reply = await plugin.request("GET", "discovery")
    assert reply.status == 200
    body = reply.body
    assert isinstance(body["name"], str) and isinstance(body["description"], str)
    assert isinstance(body["events"], dict) and isinstance(body["endpoints"], dict)
    captured = sample("01-discovery-request.json")["response_json"]
    assert set(body["events"]) == set(captured["events"]) == set(REQUESTED_EVENTS)
    for name, endpoint in body["endpoints"].items():
        assert not endpoint["path"].startswith("/")
        assert endpoint["path"] == name
        assert isinstance(endpoint["min_period"], int)
        assert endpoint["minPeriod"] == endpoint["min_period"]
    assert body["endpoints"]["events"]["max_batch"] == 100
    assert all(isinstance(spec, dict) for spec in body["events"].values())


async def test_discovery_never_fails_even_with_bad_headers(plugin: PluginClient) -> None:
    reply = await plugin.request("GET", "discovery", headers={"apikey": "!!", "apiversion": "x"})
    assert reply.status == 200


async def test_health(plugin: PluginClient) -> None:
    reply = await plugin.request("GET", "health")
    assert reply.status == 200
    assert reply.body["status"] == "ok" and reply.body["database"] == "ok"


async def test_unknown_path_is_404_json(plugin: PluginClient) -> None:
    reply = await plugin.request("GET", "nothing/here")
    assert reply.status == 404
    assert "GET /discovery" in reply.body["error"]


# --------------------------------------------------------------------------------------------
# Replay of the captured traffic
# --------------------------------------------------------------------------------------------


async def test_replay_every_captured_batch(plugin: PluginClient, services: Services) -> None:
    total = 0
    for name in BATCHES:
        body = batch(name)
        reply = await plugin.post_events(body)
        assert reply.status == 200, reply.body
        assert reply.body == {"accepted": len(body), "duplicates": 0}
        total += len(body)
    assert await count(services, models.Event, GUILD_A) == total == 43

    async with services.db.tenant(GUILD_A) as session:

        async def rows(model: Any, *columns: Any) -> list[tuple[Any, ...]]:
            result = await session.execute(select(*columns).order_by(model.id))
            return [tuple(row) for row in result]

        assert await rows(
            models.MarketBuy,
            models.MarketBuy.commodity,
            models.MarketBuy.count,
            models.MarketBuy.total_cost,
            models.MarketBuy.stock_bracket,
            models.MarketBuy.station_faction,
        ) == [
            ("gold", 10, 90000, 3, "Alpha Traders"),
            ("silver", 5, 22500, 2, "Alpha Traders"),
            ("water", 2, 600, 1, "Alpha Traders"),
        ]
        assert await rows(
            models.MarketSell,
            models.MarketSell.commodity,
            models.MarketSell.profit,
            models.MarketSell.black_market,
        ) == [
            ("palladium", 408000 - 45000 * 8, False),
            ("bertrandite", 10000 - 2000 * 4, False),
            ("biowaste", 30 - 5 * 3, False),
            ("slaves", 40000 - 9000 * 2, True),
        ]
        assert await rows(
            models.MissionCompleted,
            models.MissionCompleted.faction,
            models.MissionCompleted.reward,
            models.MissionCompleted.mission_id,
        ) == [
            ("Alpha Traders", 100000, 9001),
            ("Beta Union", 1000000, 9201),
            ("Beta Union", 500000, 9202),
            ("Beta Union", 300000, 9203),
        ]
        assert await rows(
            models.MissionInfluence,
            models.MissionInfluence.faction,
            models.MissionInfluence.influence,
            models.MissionInfluence.system_address,
            models.MissionInfluence.effect,
        ) == [
            ("Alpha Traders", 3, 1000001, "$MISSIONUTIL_Interaction_Summary_EP_up;"),
            ("Alpha Defence Force", 1, 1000001, None),
        ]
        assert await rows(
            models.MissionFailed, models.MissionFailed.faction, models.MissionFailed.fine
        ) == [("Alpha Defence Force", 50000)]
        assert await rows(
            models.RedeemVoucher,
            models.RedeemVoucher.type,
            models.RedeemVoucher.amount,
            models.RedeemVoucher.faction,
        ) == [("bounty", 250000, None), ("CombatBond", 500000, "Alpha Defence Force")]
        assert await rows(
            models.RedeemVoucherFaction,
            models.RedeemVoucherFaction.type,
            models.RedeemVoucherFaction.faction,
            models.RedeemVoucherFaction.amount,
        ) == [
            ("bounty", "Alpha Defence Force", 250000),
            ("CombatBond", "Alpha Defence Force", 500000),
        ]
        assert await rows(
            models.ExplorationSale, models.ExplorationSale.event, models.ExplorationSale.earnings
        ) == [("SellExplorationData", 120000), ("MultiSellExplorationData", 350000)]
        assert await rows(
            models.CommitCrime,
            models.CommitCrime.crime_type,
            models.CommitCrime.faction,
            models.CommitCrime.bounty,
            models.CommitCrime.is_murder,
        ) == [
            ("murder", "Alpha Defence Force", 10000, True),
            ("onFoot_murder", "Alpha Traders", 5000, True),
        ]
        assert await rows(
            models.SyntheticCZ,
            models.SyntheticCZ.faction,
            models.SyntheticCZ.low,
            models.SyntheticCZ.medium,
            models.SyntheticCZ.high,
        ) == [("Alpha Defence Force", 0, 0, 1)]
        assert await rows(
            models.SyntheticGroundCZ,
            models.SyntheticGroundCZ.settlement,
            models.SyntheticGroundCZ.low,
            models.SyntheticGroundCZ.medium,
        ) == [("Barnes Enterprise", 1, 0), ("Barnes Enterprise", -1, 1)]
        assert await rows(
            models.SyntheticCZObjective,
            models.SyntheticCZObjective.type,
            models.SyntheticCZObjective.faction,
            models.SyntheticCZObjective.count,
        ) == [("SpecOps", "Alpha Defence Force", 1), ("CapShip", "Alpha Defence Force", 1)]
        assert await rows(
            models.SyntheticScenario,
            models.SyntheticScenario.type,
            models.SyntheticScenario.faction,
        ) == [("Megaship", "Alpha Defence Force")]
        assert await rows(
            models.FactionKillBond,
            models.FactionKillBond.victim_faction,
            models.FactionKillBond.reward,
        ) == [
            ("Alpha Pirates", 80000),
            ("Alpha Pirates", 4000),
            ("Alpha Pirates", 30000),
            ("$faction_Thargoid;", 80000),
        ]
        events_row = (
            await session.execute(select(models.Event).where(models.Event.event == "Location"))
        ).scalar_one()
        assert events_row.data == batch("02-events-batch-01.json")[1]
        assert events_row.system_address == 1000001
        assert events_row.tickid == "zoy-7aa3e8fcc79b08a08a58"
        systems = (
            await session.execute(
                select(models.KnownSystem.name, models.KnownSystem.x).order_by(
                    models.KnownSystem.address
                )
            )
        ).all()
        assert [tuple(s) for s in systems] == [
            ("Test System Alpha", 1.5),
            ("Test System Beta", 0.0),
        ]
        factions = set((await session.execute(select(models.KnownFaction.name))).scalars())
        assert {"Alpha Defence Force", "Alpha Pirates", "Beta Union", "Beta Corp"} <= factions
        assert "Pilots' Federation Local Branch" not in factions
        cmdrs = (await session.execute(select(models.Cmdr.name))).scalars().all()
        assert cmdrs == ["Test Cmdr"]


async def test_activities_are_replaced_not_added(plugin: PluginClient, services: Services) -> None:
    first = sample("03-activities-put-first.json")["body_json"]
    last = sample("03-activities-put-last.json")["body_json"]
    for body in (first, last, last):
        reply = await plugin.put_activity(body)
        assert reply.status == 200, reply.body
    assert await count(services, models.Activity) == 1
    assert await count(services, models.ActivitySystem) == 2
    assert await count(services, models.ActivityFaction) == 5
    async with services.db.tenant(GUILD_A) as session:
        adf = (
            await session.execute(
                select(models.ActivityFaction).where(
                    models.ActivityFaction.name == "Alpha Defence Force"
                )
            )
        ).scalar_one()
        traders = (
            await session.execute(
                select(models.ActivityFaction).where(models.ActivityFaction.name == "Alpha Traders")
            )
        ).scalar_one()
        beta = (
            await session.execute(
                select(models.ActivitySystem).where(
                    models.ActivitySystem.name == "Test System Beta"
                )
            )
        ).scalar_one()
    assert (adf.bvs, adf.cbs, adf.infsecondary, adf.cz_space_high, adf.cz_ground_medium) == (
        250000,
        500000,
        1,
        1,
        1,
    )
    assert adf.czground_settlements == [{"name": "Barnes Enterprise", "type": "m", "count": 1}]
    assert (traders.infprimary, traders.trade_buy_value, traders.trade_sell_profit) == (
        3,
        112500,
        48015,
    )
    assert traders.sandr is not None and traders.sandr["wreckagecomponents"] == 4
    assert beta.twkills["scout"] == 1 and beta.twreactivate == 1


async def test_activity_number_variants_are_tolerated(plugin: PluginClient) -> None:
    body = sample("03-activities-put-first.json")["body_json"]
    faction = body["systems"][0]["factions"][0]
    faction |= {"bvs": 125000.0, "infprimary": "-2", "stations": []}
    body["systems"][0]["twkills"] = {}
    reply = await plugin.put_activity(body)
    assert reply.status == 200, reply.body


# --------------------------------------------------------------------------------------------
# Bad input: each refused with its status and message, and nothing stored
# --------------------------------------------------------------------------------------------


@pytest.fixture
def good_batch() -> list[dict[str, Any]]:
    """Ten captured events, every one with typed rows."""
    return batch("02-events-batch-03.json") + batch("02-events-batch-06.json")


async def assert_nothing_stored(services: Services) -> None:
    assert await count(services, models.Event) == 0
    assert await count(services, models.MarketSell) == 0


async def test_not_json(plugin: PluginClient, services: Services) -> None:
    reply = await plugin.request(
        "POST", "events", data=b"[{not json", headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400
    assert reply.body["error"].startswith("the body is not valid JSON")
    await assert_nothing_stored(services)


async def test_wrong_content_type(
    plugin: PluginClient, services: Services, good_batch: Any
) -> None:
    reply = await plugin.request(
        "POST",
        "events",
        data=json.dumps(good_batch).encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert reply.status == 415
    assert reply.body == {"error": "send the body as application/json"}
    await assert_nothing_stored(services)


async def test_object_instead_of_array(plugin: PluginClient, services: Services) -> None:
    reply = await plugin.post_events({"event": "FSDJump"})
    assert reply.status == 400
    assert reply.body == {"error": "the body must be a JSON array of events"}
    await assert_nothing_stored(services)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.pop("event"), "events[6].event: required, a non-empty string"),
        (
            lambda e: e.update(timestamp="yesterday"),
            "events[6].timestamp: required, an ISO 8601 time like 2026-11-26T13:09:58Z",
        ),
        (lambda e: e.update(timestamp=None), "events[6].timestamp: required"),
    ],
)
async def test_bad_item_rejects_whole_batch(
    plugin: PluginClient, services: Services, good_batch: Any, change: Any, message: str
) -> None:
    change(good_batch[6])
    reply = await plugin.post_events(good_batch)
    assert reply.status == 400
    assert reply.body["error"].startswith(message)
    assert reply.body["error"].endswith("nothing was stored")
    await assert_nothing_stored(services)


async def test_101_events(plugin: PluginClient, services: Services) -> None:
    reply = await plugin.post_events([market_event(n) for n in range(101)])
    assert reply.status == 413
    assert reply.body == {"error": "at most 100 events per request; this one has 101"}
    await assert_nothing_stored(services)


async def test_body_over_one_mebibyte(plugin: PluginClient, services: Services) -> None:
    huge = [market_event(0) | {"padding": "x" * (1100 * 1024)}]
    reply = await plugin.post_events(huge)
    assert reply.status == 413
    assert reply.body == {"error": "the body is larger than 1024 KiB"}
    await assert_nothing_stored(services)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "an API key is required: set it in BGS-Tally's API settings"),
        ("UnknownKey1234567890", "this API key is not valid"),
    ],
)
async def test_missing_or_unknown_key(
    plugin: PluginClient,
    services: Services,
    good_batch: Any,
    key: str | None,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    plugin.key = key
    reply = await plugin.post_events(good_batch)
    assert reply.status == 401
    assert reply.body == {"error": message}
    await assert_nothing_stored(services)
    assert "rejected POST /events from 127.0.0.1" in caplog.text
    if key:
        assert key not in caplog.text


async def test_revoked_key(plugin: PluginClient, services: Services, good_batch: Any) -> None:
    async with services.db.tenant_write(GUILD_A) as session:
        (info,) = await apikeys.list_keys(session)
        await apikeys.revoke_key(session, info.id)
    services.keys.invalidate()
    reply = await plugin.post_events(good_batch)
    assert reply.status == 401
    assert reply.body == {"error": "this API key was revoked; ask an officer for a new one"}
    await assert_nothing_stored(services)


@pytest.mark.parametrize("version", ["1.8", "one.two.three", "1.8.0-beta"])
async def test_malformed_apiversion(
    plugin: PluginClient, services: Services, good_batch: Any, version: str
) -> None:
    plugin.api_version = version
    reply = await plugin.post_events(good_batch)
    assert reply.status == 400
    assert reply.body == {"error": "the apiversion header must look like 1.8.0 (x.y.z)"}
    await assert_nothing_stored(services)


async def test_api_version_and_last_use_recorded(
    plugin: PluginClient, services: Services, good_batch: Any
) -> None:
    plugin.api_version = "1.7.2"
    assert (await plugin.post_events(good_batch)).status == 200
    await services.wait_background()
    async with services.db.tenant(GUILD_A) as session:
        (info,) = await apikeys.list_keys(session)
    assert info.api_version == "1.7.2"
    assert info.last_used_at is not None


async def test_alerts_raised_while_discord_is_off_are_logged(
    plugin: PluginClient, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Listener-only, the conflict changes members' data raise wait in the outbox for a Discord
    process, and the log says so."""
    faction = "Alpha Defence Force"
    now = datetime.now(UTC)
    async with services.db.tenant_write(GUILD_A) as session:
        session.add(models.Tenant(name="A", faction=faction, source="discord", registered_at=now))
    war = {
        "WarType": "war",
        "Status": "active",
        "Faction1": {"Name": faction, "Stake": "Alpha Gate", "WonDays": 0},
        "Faction2": {"Name": "Alpha Pirates", "Stake": "", "WonDays": 0},
    }
    jump = market_event(0) | {"event": "FSDJump", "Conflicts": [war], "Factions": []}
    assert (await plugin.post_events([jump])).status == 200
    await services.wait_background()
    assert (
        f"guild {GUILD_A}: 1 conflict change(s) and 0 protected-faction alert(s) written to the "
        "outbox, for the process that holds the guild's shard to post"
    ) in caplog.text
    (entry,) = await outbox.claim_due(services.db, [GUILD_A], datetime.now(UTC))
    assert entry.kind == "conflict_change"


# --------------------------------------------------------------------------------------------
# Idempotency, atomicity, isolation, concurrency
# --------------------------------------------------------------------------------------------


async def test_same_batch_twice_is_stored_once(
    plugin: PluginClient, services: Services, good_batch: Any
) -> None:
    first = await plugin.post_events(good_batch)
    second = await plugin.post_events(good_batch)
    assert first.body == {"accepted": 10, "duplicates": 0}
    assert second.body == {"accepted": 0, "duplicates": 10}
    assert await count(services, models.Event) == 10
    assert await count(services, models.RedeemVoucher) == 2


async def test_failure_while_storing_item_7_stores_nothing(
    plugin: PluginClient, services: Services, good_batch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(good_batch) == 10
    assert good_batch[6]["event"] == "MultiSellExplorationData"

    def broken(envelope: events.Envelope) -> Iterator[Any]:
        raise RuntimeError("injected failure while storing item 7")
        yield  # pragma: no cover - makes this a generator like the real parsers

    monkeypatch.setitem(events.PARSERS, "MultiSellExplorationData", broken)
    reply = await plugin.post_events(good_batch)
    assert reply.status == 500
    assert "nothing was stored" in reply.body["error"]
    await assert_nothing_stored(services)
    assert await count(services, models.MissionCompleted) == 0


async def test_a_key_of_guild_a_never_writes_guild_b(
    plugin: PluginClient, services: Services, good_batch: Any
) -> None:
    key_b = await create_api_key(services, GUILD_B)
    assert (await plugin.post_events(good_batch)).status == 200
    plugin_b = PluginClient(plugin.http, plugin.root, key_b)
    reply = await plugin_b.post_events(good_batch)
    assert reply.body == {"accepted": 10, "duplicates": 0}  # B's copy is not A's duplicate
    assert await count(services, models.Event, GUILD_A) == 10
    assert await count(services, models.Event, GUILD_B) == 10
    assert await count(services, models.RedeemVoucher, GUILD_B) == 2


async def test_twenty_clients_at_once_lose_nothing(
    plugin: PluginClient, services: Services
) -> None:
    keys = [await create_api_key(services, GUILD_A, f"c{n}") for n in range(20)]

    async def client(n: int) -> None:
        me = PluginClient(plugin.http, plugin.root, keys[n])
        for round_ in range(5):
            batch_ = [market_event(1000 * n + 10 * round_ + i, f"Cmdr {n}") for i in range(10)]
            reply = await me.post_events(batch_)
            assert reply.status == 200, reply.body
            assert reply.body == {"accepted": 10, "duplicates": 0}

    await asyncio.gather(*(client(n) for n in range(20)))
    assert await count(services, models.Event) == 20 * 5 * 10
    assert await count(services, models.MarketSell) == 20 * 5 * 10


async def test_rate_limit_answers_429_with_retry_after(
    plugin: PluginClient, services: Services
) -> None:
    limiter = services.listener.app[LIMITER]
    limiter.rate, limiter.burst = 1, 3
    for n in range(3):
        assert (await plugin.post_events([market_event(n)])).status == 200
    last = await plugin.post_events([market_event(3)])
    assert last.status == 429
    assert last.headers["Retry-After"] == "1"
    assert last.body == {"error": "too many requests; try again in 1 s"}
