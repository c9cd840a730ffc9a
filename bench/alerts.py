"""Alert latency across processes: from the listener's answer to a batch to its alert on Discord.

It starts a loopback fake Discord (the tests' fake), then `bot.py discord` and `bot.py listen` as
two processes on one PostgreSQL database, sends batches that each start a new conflict of the
guild's faction in a system of its own (so each is one alert), and prints the latency of each
alert from the 200 answer to the post reaching the fake Discord: p50, p95 and max.

    .venv/bin/python -m bench.alerts \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_alerts --alerts 100

Use a fresh, empty database: it is migrated first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bgs import apikeys
from db.database import Database
from db.migrate import upgrade
from tests.fakes.fake_discord import FakeDiscord
from tests.helpers.plugin import PluginClient
from tests.helpers.plugin_events import ADF, PIRATES, jump
from tests.helpers.processes import WardenProcess, until

GUILD = 1_100_000_000_000 << 22
PORT = 8097


def batch(n: int) -> list[dict[str, Any]]:
    """A jump into system n with a new war of the guild's faction: one alert."""
    war = {
        "WarType": "war",
        "Status": "active",
        "Faction1": {"Name": ADF, "Stake": "", "WonDays": 0},
        "Faction2": {"Name": PIRATES, "Stake": "", "WonDays": 0},
    }
    factions = [{"Name": ADF, "Influence": 0.4}, {"Name": PIRATES, "Influence": 0.3}]
    at = datetime.now(UTC) - timedelta(minutes=5)
    return [
        jump(
            at,
            system=f"Bench System {n}",
            address=5_000_000 + n,
            Conflicts=[war],
            Factions=factions,
        )
    ]


def posted_at(data: dict[str, Any]) -> float:
    return datetime.fromisoformat(data["timestamp"]).timestamp()


async def run(database_url: str, alerts: int, every: float) -> list[float]:
    db = Database(database_url)
    await upgrade(db.engine())
    async with FakeDiscord() as fake, aiohttp.ClientSession() as http:
        guild = fake.add_guild(GUILD, "Bench Wing", channels=["general", "bgs-conflict"])
        work = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
        tenants = {
            "tenants": [
                {
                    "guild_id": GUILD,
                    "name": "Bench Wing",
                    "faction": ADF,
                    "channels": {"conflict": guild.channel("bgs-conflict").id},
                }
            ]
        }
        (work / "tenants.json").write_text(json.dumps(tenants), encoding="utf-8")
        async with db.tenant_write(GUILD) as session:
            key, _ = await apikeys.create_key(session, label="bench", created_by="bench")
        env = {
            "DATABASE_URL": database_url,
            "TENANTS_FILE": str(work / "tenants.json"),
            "DISCORD_TOKEN": "fake-bot-token",
            "LISTENER_PORT": str(PORT),
            "LISTENER_RATE_LIMIT": "0",
            "LISTENER_GUILD_RATE_LIMIT": "0",
            "LISTENER_GUILD_BYTES": "0",
            "LOG_LEVEL": "WARNING",
        }
        processes = [
            WardenProcess("discord", ["discord"], env, work / "discord.log"),
            WardenProcess("listen", ["listen"], env, work / "listen.log"),
        ]
        try:
            for process in processes:
                await process.start(fake)
            await until(lambda: fake.live_shards() == {0}, "the bot connected")
            plugin = PluginClient(http, f"http://127.0.0.1:{PORT}/", key)
            await until(lambda: listening(http, plugin.root), "the listener answers")
            answered: dict[str, float] = {}
            for n in range(alerts):
                reply = await plugin.post_events(batch(n))
                assert reply.status == 200, reply.body
                answered[f"Bench System {n}"] = time.time()
                await asyncio.sleep(every)
            channel = guild.channel("bgs-conflict").id
            await until(lambda: len(fake.channel_messages(channel)) >= alerts, "every alert", 120)
            latencies = []
            for message in fake.channel_messages(channel):
                system = message.embeds[0]["title"].rsplit(" in ", 1)[1]
                latencies.append(posted_at(message.data) - answered[system])
            return latencies
        finally:
            for process in processes:
                await process.stop()
            await db.dispose()


async def listening(http: aiohttp.ClientSession, root: str) -> bool:
    try:
        async with http.get(root + "health") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.alerts", description=__doc__)
    parser.add_argument("--database-url", required=True, help="a fresh PostgreSQL database")
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--every", type=float, default=0.2, help="seconds between two batches")
    args = parser.parse_args(argv)
    latencies = sorted(asyncio.run(run(args.database_url, args.alerts, args.every)))
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"{len(latencies)} alerts, from the 200 answer to the post on Discord (ms): "
        f"p50 {statistics.median(latencies) * 1000:.0f}  p95 {p95 * 1000:.0f}  "
        f"max {latencies[-1] * 1000:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
