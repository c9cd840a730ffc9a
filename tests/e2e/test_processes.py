"""Several processes on one PostgreSQL, as a public instance runs: two `discord` processes (one
shard each of two) and two `listen` processes, real subprocesses against the loopback fake
Discord. Every alert is posted exactly once, in the right guild, by the process holding that
guild's shard, whatever process stored its events and whatever process dies meanwhile."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bgs import apikeys
from bgs.ticks import latest_tick
from db.database import Database
from db.models import PostLedger, ProtectedFaction, Tenant
from tests.fakes.fake_discord import FakeDiscord, FakeGuild, FakeMessage
from tests.fakes.tick_source import FALLBACK_PATH, PRIMARY_PATH, FakeTickSource
from tests.helpers.plugin import PluginClient
from tests.helpers.plugin_events import ADF, PIRATES, TRADERS, crime, jump
from tests.helpers.processes import WardenProcess, until

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

SHARD_0 = 1_100_000_000_000 << 22  # (id >> 22) % 2 == 0
SHARD_1 = SHARD_0 + (1 << 22)
CHANNELS = ("bgs-tick", "bgs-summary", "bgs-conflict", "bgs-alerts")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Deployment:
    fake: FakeDiscord
    ticks: FakeTickSource
    db: Database
    guilds: dict[int, FakeGuild]  # by shard
    processes: dict[str, WardenProcess]
    listeners: dict[str, str]  # listener name -> URL
    keys: dict[int, str]  # guild id -> API key
    http: aiohttp.ClientSession

    def posts(self, shard: int, channel: str) -> list[FakeMessage]:
        guild = self.guilds[shard]
        return self.fake.channel_messages(guild.channel(channel).id)

    def titles(self, shard: int, channel: str) -> list[str]:
        return [message.embeds[0]["title"] for message in self.posts(shard, channel)]

    def senders(self, shard: int, channel: str) -> set[str]:
        return {m.sender.rsplit("process/", 1)[-1] for m in self.posts(shard, channel)}

    async def send(self, listener: str, shard: int, *events: dict[str, Any]) -> None:
        guild_id = self.guilds[shard].id
        client = PluginClient(self.http, self.listeners[listener], self.keys[guild_id])
        reply = await client.post_events(list(events))
        assert reply.status == 200, reply.body
        assert reply.body["accepted"] + reply.body["duplicates"] == len(events)

    async def posted_keys(self, shard: int, kind: str) -> list[str]:
        """The ledger keys of the guild's posts of a kind that were sent."""
        async with self.db.tenant(self.guilds[shard].id) as session:
            rows = await session.execute(
                select(PostLedger.key).where(
                    PostLedger.kind == kind, PostLedger.posted_at.is_not(None)
                )
            )
            return sorted(rows.scalars())

    async def newest_tick(self) -> str:
        async with self.db.unscoped() as session:
            tick = await latest_tick(session)
        assert tick is not None
        return tick.tick_time.isoformat()

    async def start(self, name: str) -> None:
        await self.processes[name].start(self.fake)

    def leader(self) -> str | None:
        """The running process that leads the tick polling, by what it logged."""
        for name, process in self.processes.items():
            output = process.output()
            took = output.rfind("now leads tick-polling")
            if process.process is not None and took > output.rfind("tick-polling lost"):
                return name
        return None


def war(days: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    return {
        "WarType": "war",
        "Status": "active",
        "Faction1": {"Name": ADF, "Stake": "Alpha Gate", "WonDays": days[0]},
        "Faction2": {"Name": PIRATES, "Stake": "", "WonDays": days[1]},
    }


def seen(minutes: float, days: tuple[int, int] = (0, 0), cmdr: str = "Cmdr One") -> dict[str, Any]:
    factions = [{"Name": ADF, "Influence": 0.4}, {"Name": PIRATES, "Influence": 0.3}]
    at = datetime.now(UTC) - timedelta(hours=1) + timedelta(minutes=minutes)
    return jump(at, cmdr=cmdr, Conflicts=[war(days)], Factions=factions)


def tenants_json(guilds: dict[int, FakeGuild]) -> str:
    return json.dumps(
        {
            "open_registration": False,
            "tenants": [
                {
                    "guild_id": guild.id,
                    "name": guild.name,
                    "faction": ADF,
                    "channels": {
                        name.removeprefix("bgs-"): guild.channel(name).id for name in CHANNELS
                    },
                }
                for guild in guilds.values()
            ],
        }
    )


@asynccontextmanager
async def deployment(postgres_url: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    async with (
        FakeDiscord(shard_count=2) as fake,
        FakeTickSource() as ticks,
        aiohttp.ClientSession() as http,
    ):
        guilds = {
            shard: fake.add_guild(guild_id, name, channels=["general", *CHANNELS])
            for shard, guild_id, name in ((0, SHARD_0, "Alpha Wing"), (1, SHARD_1, "Beta Wing"))
        }
        ticks.primary.tick = ticks.fallback.tick = datetime.now(UTC) - timedelta(hours=2)
        tenants_file = tmp_path / "tenants.json"
        tenants_file.write_text(tenants_json(guilds), encoding="utf-8")
        db = Database(postgres_url)
        keys = {}
        for guild in guilds.values():
            async with db.tenant_write(guild.id) as session:
                keys[guild.id], _ = await apikeys.create_key(
                    session, label="squadron", created_by="t"
                )
                session.add(
                    ProtectedFaction(name=TRADERS, created_at=datetime.now(UTC) - timedelta(days=1))
                )
        env = {
            "DATABASE_URL": postgres_url,
            "TENANTS_FILE": str(tenants_file),
            "DISCORD_TOKEN": "fake-bot-token",
            "TICK_PRIMARY_URL": ticks.url(ticks.primary, PRIMARY_PATH),
            "TICK_FALLBACK_URL": ticks.url(ticks.fallback, FALLBACK_PATH),
            "TICK_POLL_MINUTES": "1",
            "TICK_HTTP_TIMEOUT": "2",
            "LISTENER_RATE_LIMIT": "0",
            "AFTER_INGEST_RECOVERY_SECONDS": "2",
            "LOG_LEVEL": "INFO",
        }
        ports = {name: free_port() for name in ("l1", "l2", "l3")}
        processes = {
            f"d{shard}": WardenProcess(
                f"d{shard}",
                ["discord", "--shards", str(shard), "--shard-count", "2"],
                env,
                tmp_path / f"d{shard}.log",
            )
            for shard in (0, 1)
        }
        for name, port in ports.items():
            processes[name] = WardenProcess(
                name,
                ["listen"],
                env | {"LISTENER_PORT": str(port)},
                tmp_path / f"{name}.log",
                wrapper=["--no-after-ingest"] if name == "l3" else [],
            )
        running = Deployment(
            fake,
            ticks,
            db,
            guilds,
            processes,
            {name: f"http://127.0.0.1:{port}/" for name, port in ports.items()},
            keys,
            http,
        )
        try:
            for name in ("d0", "d1", "l1", "l2"):
                await running.start(name)
            await until(lambda: fake.live_shards() == {0, 1}, "both shards connected")
            for name in ("l1", "l2"):
                await until(lambda name=name: healthy(http, running.listeners[name]), name)
            yield running
        finally:
            for process in processes.values():
                await process.stop()
            await db.dispose()
            for name, process in processes.items():
                print(f"---- {name}\n{(process.earlier + process.output())[-6000:]}")


async def healthy(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(url + "health") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def test_alerts_and_scheduled_posts_once_each_across_processes(
    postgres_url: str, tmp_path: Path
) -> None:
    async with deployment(postgres_url, tmp_path) as d:
        # Both guilds' events through both listeners; the shard holder posts each alert.
        murder = crime(datetime.now(UTC) - timedelta(minutes=30), TRADERS, cmdr="Cmdr Rogue")
        for shard, (first, second) in ((0, ("l1", "l2")), (1, ("l2", "l1"))):
            await d.send(first, shard, seen(0))
            await d.send(second, shard, seen(0), murder)  # the jump again: a duplicate
        for shard in (0, 1):
            await until(lambda s=shard: len(d.posts(s, "bgs-conflict")) == 1, "new war posted")
            await until(lambda s=shard: len(d.posts(s, "bgs-alerts")) == 1, "harm alert posted")
        for shard in (0, 1):
            assert d.titles(shard, "bgs-conflict") == ["⚔️ New war in Test System Alpha"]
            assert d.titles(shard, "bgs-alerts") == ["⚠️ CMDR Cmdr Rogue harmed Alpha Traders"]
            assert (
                d.senders(shard, "bgs-conflict") == d.senders(shard, "bgs-alerts") == {f"d{shard}"}
            )

        # A listener dies between answering a batch and its after-ingest run: another listener
        # finishes the work, and the alert is posted once, also after the listener restarts.
        await d.start("l3")
        await until(lambda: healthy(d.http, d.listeners["l3"]), "l3 healthy")
        await d.send("l3", 0, seen(10, (1, 0)))
        await d.processes["l3"].kill()
        await until(lambda: len(d.posts(0, "bgs-conflict")) == 2, "day won posted after the kill")
        d.processes["l3"].wrapper = []
        await d.start("l3")
        await until(lambda: healthy(d.http, d.listeners["l3"]), "l3 healthy again")

        # The process holding a guild's shard dies with its alerts pending: nobody else posts
        # them; once it is back, it posts them, once.
        await d.processes["d1"].kill()
        await d.send("l1", 1, seen(10, (1, 0)))
        await asyncio.sleep(3)
        assert len(d.posts(1, "bgs-conflict")) == 1
        await d.start("d1")
        await until(lambda: len(d.posts(1, "bgs-conflict")) == 2, "pending alert posted")
        assert d.senders(1, "bgs-conflict") == {"d1"}

        # A send that fails is retried after the process restarts.
        d.fake.fail_channel_posts(d.guilds[0].channel("bgs-conflict").id, status=503)
        await d.send("l2", 0, seen(20, (2, 0)))
        await until(lambda: "not sent" in d.processes["d0"].output(), "the send failed")
        await d.processes["d0"].stop()
        await d.start("d0")
        await until(lambda: len(d.posts(0, "bgs-conflict")) == 3, "failed post retried", 90)
        assert d.titles(0, "bgs-conflict")[-1] == "✅ Day won in the war in Test System Alpha"

        # Scheduled posts: a new galaxy tick, announced and summarised once per guild by the
        # guild's own process; then the tick poller dies and the other process takes over.
        await until(lambda: d.leader() is not None, "a tick leader", 30)
        async with d.db.unscoped_write() as session:
            await session.execute(update(Tenant).values(post_tick_delay_minutes=0))
        d.ticks.primary.tick = d.ticks.fallback.tick = datetime.now(UTC) - timedelta(hours=1)
        for shard in (0, 1):
            await until(lambda s=shard: len(d.posts(s, "bgs-tick")) == 1, "tick announced", 90)
            new_tick = await d.newest_tick()

            async def summarised(s: int = shard, key: str = new_tick) -> bool:
                return key in await d.posted_keys(s, "post_tick")

            await until(summarised, "post-tick summary", 90)
            assert d.senders(shard, "bgs-tick") == d.senders(shard, "bgs-summary") == {f"d{shard}"}
        leader = d.leader()
        assert leader is not None
        await d.processes[leader].kill()
        other = "d1" if leader == "d0" else "d0"
        await until(lambda: d.leader() == other, "the other process leads", 60)
        d.ticks.primary.tick = d.ticks.fallback.tick = datetime.now(UTC) - timedelta(minutes=1)
        survivor = int(other[1])
        await until(lambda: len(d.posts(survivor, "bgs-tick")) == 2, "new leader polls", 90)
        await d.start(leader)
        restarted = int(leader[1])
        await until(lambda: len(d.posts(restarted, "bgs-tick")) == 2, "announced after restart", 90)
        await asyncio.sleep(2)
        for shard in (0, 1):
            assert len(d.posts(shard, "bgs-tick")) == 2  # one post per tick, never twice
            summaries = await d.posted_keys(shard, "post_tick")
            assert len(d.posts(shard, "bgs-summary")) == len(summaries)  # one per tick
            assert len(d.posts(shard, "bgs-conflict")) == (3 if shard == 0 else 2)
