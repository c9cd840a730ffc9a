"""Trust (issue 15): every odd input is stored as sent or refused with a 400 naming the item and
field (nothing of it stored); the HTTP parser's refusals carry the same JSON body; limits per
address, guild and connection; keys of a guild that left; revocation seen by another process's
listener within 2 s. Real HTTP to the real listener on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

import bot
from bgs import apikeys, tenants
from db import models
from db.database import Database
from listener.auth import KeyStore
from listener.requests import WRITER
from settings import TenantsFile
from tests.helpers.plugin import (
    GUILD_A,
    PluginClient,
    Reply,
    create_api_key,
    market_event,
    sample,
    settings_for,
)
from warden.services import Services


@contextlib.asynccontextmanager
async def listener(
    database_url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Services, PluginClient]]:
    """The real services with these settings, and a plugin client with a key of GUILD_A."""
    services = Services(settings_for(database_url, tmp_path, **settings), TenantsFile())
    await services.start()
    try:
        async with aiohttp.ClientSession() as http:
            key = await create_api_key(services, GUILD_A)
            yield services, PluginClient(http, services.listener.url, key)
    finally:
        await services.close()


async def stored(services: Services) -> tuple[int, int]:
    """(events, activities) stored in any guild."""
    async with services.db.unscoped() as session:
        events = await session.scalar(select(func.count()).select_from(models.Event))
        activities = await session.scalar(select(func.count()).select_from(models.Activity))
    return events or 0, activities or 0


async def raw(plugin: PluginClient, method: str, path: str, body: bytes) -> Reply:
    return await plugin.request(
        method, path, data=body, headers={"Content-Type": "application/json"}
    )


def events_with(field: str, value: str) -> bytes:
    """A captured batch with `"field": value` (raw JSON text) in its second event, a MarketBuy."""
    events = sample("02-events-batch-02.json")["body_json"]
    events[1][field] = "@@"
    return json.dumps(events).encode().replace(b'"@@"', value.encode())


def activity_with(value: str) -> bytes:
    """The captured activity with the first faction's `bvs` set to `value` (raw JSON text)."""
    activity = sample("03-activities-put-first.json")["body_json"]
    activity["systems"][0]["factions"][0]["bvs"] = "@@"
    return json.dumps(activity).encode().replace(b'"@@"', value.encode())


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


EVENT_CASES: list[tuple[str, bytes, str]] = [
    ("a 70-bit SystemAddress", events_with("SystemAddress", str(2**70)), "events[1].SystemAddress"),
    ("a 64-bit unsigned", events_with("SystemAddress", str(2**64 - 1)), "events[1].SystemAddress"),
    ("a NaN count", events_with("Count", "NaN"), "events[1].Count: nan is not a finite"),
    ("an Infinity count", events_with("Count", "Infinity"), "events[1].Count: inf is not"),
    ("a -Infinity count", events_with("Count", "-Infinity"), "events[1].Count: -inf is not"),
    ("1e400", events_with("Count", "1e400"), "events[1].Count: inf is not a finite number"),
    ("1e308", events_with("Reward", "1e308"), "events[1].Reward: 1e+308 is out of range"),
    ("nesting", events_with("Deep", deep(5000)), "nested more than 32 levels deep"),
    ("nesting orjson reads", events_with("Deep", deep(100)), "events[1].Deep[0][0]"),
    ("a lone surrogate", events_with("cmdr", '"Cmdr \\ud800"'), "events[1].cmdr: is not valid"),
    ("one deep inside", events_with("X", '{"a": ["\\udfff"]}'), "events[1].X.a[0]: is not valid"),
    ("in a field name", events_with("X", '{"\\ud800": 1}'), "events[1].X: a field name is not"),
    ("a NUL", events_with("cmdr", '"a\\u0000b"'), "events[1].cmdr: contains a NUL character"),
    ("an integer string", events_with("Count", '"1e30"'), "market_buys.count 1000000000000000"),
    ("past 32 bits", events_with("StockBracket", str(2**40)), "market_buys.stock_bracket"),
]


@pytest.mark.parametrize(
    ("body", "named"), [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES]
)
async def test_odd_events_are_refused_naming_the_field(
    plugin: PluginClient, services: Services, body: bytes, named: str
) -> None:
    reply = await raw(plugin, "POST", "events", body)
    assert reply.status == 400, reply.body
    assert named in reply.body["error"]
    assert reply.body["error"].endswith("nothing was stored")
    assert await stored(services) == (0, 0)
    assert (await plugin.post_events(sample("02-events-batch-02.json")["body_json"])).status == 200


ACTIVITY_CASES: list[tuple[str, bytes, str]] = [
    ("1e308", activity_with("1e308"), "systems[0].factions[0].bvs: 1e+308 is out of range"),
    ("-1e308", activity_with("-1e308"), "systems[0].factions[0].bvs: -1e+308 is out of range"),
    ("NaN", activity_with("NaN"), "systems[0].factions[0].bvs: nan is not a finite number"),
    ("a string 1e400", activity_with('"1e400"'), "systems[0].factions[0].bvs: must be a finite"),
    ("a string 1e300", activity_with('"1e300"'), "systems[0].factions[0].bvs: Input should be"),
    (
        "past 32 bits",
        activity_with("1").replace(b'"scenarios": 0', b'"scenarios": 3000000000'),
        "systems[0].factions[0].scenarios: out of range",
    ),
]


@pytest.mark.parametrize(
    ("body", "named"), [c[1:] for c in ACTIVITY_CASES], ids=[c[0] for c in ACTIVITY_CASES]
)
async def test_odd_activities_are_refused_naming_the_field(
    plugin: PluginClient, services: Services, body: bytes, named: str
) -> None:
    reply = await raw(plugin, "PUT", "activities", body)
    assert reply.status == 400, reply.body
    assert named in reply.body["error"]
    assert await stored(services) == (0, 0)


async def test_a_large_but_storable_number_is_stored_as_sent(
    plugin: PluginClient, services: Services
) -> None:
    body = events_with("SystemAddress", str(2**63 - 1))
    assert (await raw(plugin, "POST", "events", body)).status == 200
    reply = await raw(plugin, "PUT", "activities", activity_with("123456789012"))
    assert reply.status == 200
    async with services.db.unscoped() as session:
        addresses = await session.scalars(select(models.Event.system_address))
        bvs = await session.scalar(select(models.ActivityFaction.bvs).limit(1))
    assert 2**63 - 1 in set(addresses)
    assert bvs == 123456789012


async def test_a_utf16_body_is_refused(plugin: PluginClient, services: Services) -> None:
    body = json.dumps(sample("02-events-batch-02.json")["body_json"]).encode("utf-16")
    reply = await raw(plugin, "POST", "events", body)
    assert (reply.status, reply.body) == (
        400,
        {"error": "the body must be JSON encoded as UTF-8; nothing was stored"},
    )
    assert await stored(services) == (0, 0)


@pytest.mark.parametrize("version", ["١.٨.٠", "1.８.0", "1.8.0 beta"])
async def test_an_apiversion_in_other_digits_is_refused(
    plugin: PluginClient, services: Services, version: str
) -> None:
    reply = await plugin.request(
        "POST",
        "events",
        data=json.dumps([market_event(1)]).encode(),
        headers={"Content-Type": "application/json", "apiversion": version},
    )
    assert (reply.status, reply.body) == (
        400,
        {"error": "the apiversion header must look like 1.8.0 (x.y.z)"},
    )
    assert await stored(services) == (0, 0)


# --------------------------------------------------------------------------------------------
# What aiohttp's HTTP parser refuses
# --------------------------------------------------------------------------------------------


async def exchange(
    url: str, request: bytes, *, then: float = 0
) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, wait `then` seconds, read the answer until the server closes."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


PARSER_CASES = {
    "bad request line": b"GET\r\n\r\n",
    "conflicting lengths": b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Content-Length: 7\r\n\r\nabcde",
    "length and chunked": b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad header bytes": b"GET /health HTTP/1.1\r\nHost: x\r\nX-\x01bad: 1\r\n\r\n",
    "unknown method": b"BREW /health HTTP/1.1\r\nHost: x\r\n\r\n",
    "TLS on the plain port": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
}


@pytest.mark.parametrize("request_bytes", PARSER_CASES.values(), ids=PARSER_CASES.keys())
async def test_the_http_parser_answers_json(plugin: PluginClient, request_bytes: bytes) -> None:
    status, headers, body = await exchange(plugin.root, request_bytes)
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["error"].startswith("the request could not be read as HTTP: ")


# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------


async def test_refused_keys_are_limited_per_address(sqlite_url: str, tmp_path: Path) -> None:
    async with listener(sqlite_url, tmp_path, listener_address_burst=3) as (_, plugin):
        good = plugin.key
        plugin.key = "Unknown0Key"
        answers = [(await plugin.post_events([market_event(n)])).status for n in range(5)]
        assert answers == [401, 401, 401, 429, 429]
        plugin.key = good  # the address waits, whatever key it shows
        reply = await plugin.post_events([market_event(9)])
        assert reply.status == 429 and int(reply.headers["Retry-After"]) >= 1
        assert "too many refused API keys from your address" in reply.body["error"]


async def test_health_answers_from_a_cached_probe_limited_per_address(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[str] = []
    real_ping = Database.ping

    async def counted(self: Database, url: str | None = None) -> None:
        pings.append(url or self.default_url)
        await real_ping(self, url)

    monkeypatch.setattr(Database, "ping", counted)
    settings = {"listener_address_burst": 10, "listener_health_cache_seconds": 60}
    async with listener(sqlite_url, tmp_path, **settings) as (_services, plugin):
        replies = await asyncio.gather(*(plugin.request("GET", "health") for _ in range(12)))
    assert sorted(reply.status for reply in replies) == [200] * 10 + [429] * 2
    assert len(pings) == 1


async def test_the_key_cache_evicts_the_least_recently_used_only(db: Database) -> None:
    async with db.tenant_write(GUILD_A) as session:
        key, _ = await apikeys.create_key(session, label="good", created_by="tests")
    store = KeyStoreSpy(db, size=4)
    assert await store.owner(key) is not None
    for n in range(20):  # a flood of unknown keys, the good one used between them
        assert await store.owner(f"Unknown{n}") is None
        assert await store.owner(key) is not None
    assert store.lookups.count(key) == 1  # never evicted, never cleared with the rest
    assert len(store.cached) == 4


class KeyStoreSpy:
    """The listener's KeyStore, noting which keys reached the database."""

    def __init__(self, db: Database, size: int) -> None:
        self.lookups: list[str] = []
        self.store = KeyStore(db, ttl=60, size=size)
        lookup = self.store._lookup

        async def noted(key: str) -> apikeys.KeyOwner | None:
            self.lookups.append(key)
            return await lookup(key)

        self.store._lookup = noted  # type: ignore[method-assign]
        self.cached = self.store._cache

    async def owner(self, key: str) -> apikeys.KeyOwner | None:
        return await self.store.owner(key)


async def test_a_guild_is_limited_across_its_keys(sqlite_url: str, tmp_path: Path) -> None:
    async with listener(
        sqlite_url, tmp_path, listener_guild_burst=4, listener_guild_rate_limit=0.1
    ) as (
        services,
        plugin,
    ):
        second = PluginClient(plugin.http, plugin.root, await create_api_key(services, GUILD_A))
        answers = []
        for n in range(6):
            client = plugin if n % 2 else second
            answers.append((await client.post_events([market_event(n)])).status)
        assert answers == [200, 200, 200, 200, 429, 429]


async def test_a_guild_is_limited_in_volume(sqlite_url: str, tmp_path: Path) -> None:
    settings = {"listener_guild_bytes": 1000, "listener_guild_bytes_burst": 2**20}
    async with listener(sqlite_url, tmp_path, **settings) as (services, plugin):
        big = [market_event(n) | {"Padding": "x" * 9000} for n in range(100)]  # ~0.9 MiB
        assert (await plugin.post_events(big)).status == 200
        reply = await plugin.post_events(big[:20])
        assert reply.status == 429 and int(reply.headers["Retry-After"]) > 10
        assert "sent more data than it may" in reply.body["error"]
        assert (await stored(services))[0] == 100


async def test_keys_per_guild_are_capped_where_they_are_made(db: Database) -> None:
    async with db.tenant_write(GUILD_A) as session:
        for n in range(3):
            await apikeys.create_key(session, label=f"k{n}", created_by="tests", limit=3)
        with pytest.raises(apikeys.TooManyKeysError, match="the most it may have \\(3\\)"):
            await apikeys.create_key(session, label="k3", created_by="tests", limit=3)
        first = (await apikeys.list_keys(session))[0]
        await apikeys.revoke_key(session, first.id)
        await apikeys.create_key(session, label="k3", created_by="tests", limit=3)
    async with db.tenant_write(GUILD_A + 1) as session:  # another guild counts its own
        await apikeys.create_key(session, label="other", created_by="tests", limit=1)


async def test_connections_past_the_cap_are_answered_503(sqlite_url: str, tmp_path: Path) -> None:
    async with listener(sqlite_url, tmp_path, listener_max_connections=2) as (_services, plugin):
        host, port = plugin.root.removeprefix("http://").rstrip("/").split(":")
        held = [await asyncio.open_connection(host, int(port)) for _ in range(2)]
        try:
            await asyncio.sleep(0.2)
            status, headers, body = await exchange(plugin.root, b"GET /health HTTP/1.1\r\n\r\n")
            assert (status, headers["Retry-After"]) == (503, "5")
            assert json.loads(body) == {"error": "the listener is busy; try again later"}
        finally:
            for _reader, writer in held:
                writer.close()
        await asyncio.sleep(0.2)
        assert (await plugin.request("GET", "health")).status == 200


async def test_headers_and_bodies_have_deadlines(sqlite_url: str, tmp_path: Path) -> None:
    settings = {"listener_header_timeout": 1.0, "listener_body_timeout": 1.0}
    async with listener(sqlite_url, tmp_path, **settings) as (services, plugin):
        host, port = plugin.root.removeprefix("http://").rstrip("/").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST /events HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        assert await asyncio.wait_for(reader.read(), timeout=20) == b""  # closed by the server
        writer.close()

        head = (
            f"POST /events HTTP/1.1\r\nHost: x\r\napikey: {plugin.key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n["
        )
        status, _headers, body = await exchange(plugin.root, head.encode())
        assert status == 408
        assert json.loads(body) == {"error": "the body did not arrive within 1 s"}
        assert await stored(services) == (0, 0)


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


async def test_keys_of_a_guild_the_bot_left_are_refused_until_it_returns(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with listener(sqlite_url, tmp_path, listener_key_cache_seconds=0) as (services, plugin):
        await tenants.register(services.db, GUILD_A, "Squadron A")
        assert (await plugin.post_events([market_event(1)])).status == 200
        await tenants.mark_left(services.db, GUILD_A)
        reply = await plugin.post_events([market_event(2)])
        assert reply.status == 401
        assert "no longer has the bot" in reply.body["error"]
        await tenants.register(services.db, GUILD_A, "Squadron A")
        assert (await plugin.post_events([market_event(3)])).status == 200
        assert (await stored(services))[0] == 2


async def test_a_revocation_by_another_process_is_seen_within_2_s(
    database_url: str, tmp_path: Path
) -> None:
    """`python bot.py apikey revoke` in a process of its own; the listener, which used the key
    just before, must refuse it within 2 s of that process's end."""
    async with listener(database_url, tmp_path) as (services, plugin):
        assert (await plugin.post_events([market_event(1)])).status == 200
        async with services.db.tenant(GUILD_A) as session:
            (info,) = await apikeys.list_keys(session)
        cli = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(bot.__file__)),
            "apikey",
            "revoke",
            "--guild",
            str(GUILD_A),
            str(info.id),
            env=os.environ
            | {"DATABASE_URL": database_url, "TENANTS_FILE": str(tmp_path / "none.json")},
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await cli.communicate()
        assert cli.returncode == 0 and out.startswith(b"revoked: "), out
        revoked_at = time.monotonic()
        statuses = await until(lambda: plugin.post_events([market_event(2)]), 401)
        assert time.monotonic() - revoked_at < 2.0, statuses


def test_the_command_line_refuses_a_key_past_the_cap(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TENANTS_FILE", str(tmp_path / "none.json"))
    monkeypatch.setenv("MAX_KEYS_PER_GUILD", "1")
    assert bot.main(["apikey", "create", "--guild", str(GUILD_A)]) == 0
    assert bot.main(["apikey", "create", "--guild", str(GUILD_A)]) == 2
    assert "the most it may have (1)" in capsys.readouterr().err


async def until(send: Callable[[], Any], status: int) -> list[int]:
    """Send until the answer has `status` (for up to 10 s); the statuses seen."""
    seen: list[int] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen.append((await send()).status)
        if seen[-1] == status:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {status}: {seen}")


# --------------------------------------------------------------------------------------------
# Backpressure
# --------------------------------------------------------------------------------------------

STALL_SECONDS = 30
CLIENTS = 64
QUEUE_LIMIT = 8


@contextlib.asynccontextmanager
async def stalled(database_url: str) -> AsyncIterator[None]:
    """Another connection holds what every event write needs: on PostgreSQL an exclusive lock
    on `events`, on SQLite the database's write lock."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        other = sqlite3.connect(url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    database = Database(database_url)
    try:
        async with database.engine().connect() as connection:
            await connection.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
            yield
            await connection.rollback()
    finally:
        await database.dispose()


async def test_64_clients_against_a_stalled_database_all_get_an_answer(
    database_url: str, tmp_path: Path
) -> None:
    settings = {
        "listener_rate_limit": 0,
        "listener_guild_rate_limit": 0,
        "listener_write_timeout": 2.0,
        "listener_queue_limit": QUEUE_LIMIT,
        "database_statement_timeout": 5.0,
    }
    async with listener(database_url, tmp_path, **settings) as (services, plugin):
        writer = services.listener.app[WRITER]
        answers: list[tuple[int, str | None]] = []
        queued: list[int] = []
        done = asyncio.Event()

        async def watch() -> None:
            while not done.is_set():
                queued.append(writer.queued(GUILD_A))
                await asyncio.sleep(0.01)

        async def client(number: int, until: float) -> None:
            sent = 0
            while time.monotonic() < until:
                events = [market_event(number * 100_000 + sent * 10 + n) for n in range(10)]
                sent += 1
                reply = await plugin.post_events(events)
                answers.append((reply.status, reply.headers.get("Retry-After")))
                await asyncio.sleep(0.2)

        async with stalled(database_url):
            watcher = asyncio.create_task(watch())
            until = time.monotonic() + STALL_SECONDS
            await asyncio.gather(*(client(n, until) for n in range(CLIENTS)))
            done.set()
            await watcher
        statuses = {status for status, _ in answers}
        assert statuses <= {200, 503}, statuses
        assert all(retry for status, retry in answers if status == 503)
        assert sum(status == 503 for status, _ in answers) > CLIENTS
        assert max(queued) <= QUEUE_LIMIT
        reply = await plugin.post_events([market_event(10**9)])
        assert (reply.status, reply.body) == (200, {"accepted": 1, "duplicates": 0})
        assert (await plugin.request("GET", "health")).status == 200
