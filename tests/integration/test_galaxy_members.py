"""Members' own jumps feed the galaxy tables (source "member") through the after-ingest work,
as durably as the alerts: the real plugin's captured FSDJump and Location through the listener,
and a batch whose process died before its run, finished by recovery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bgs.alerts import AfterIngest
from bgs.galaxy.writer import GalaxyWriter
from db.database import Database
from db.models import AfterIngestWork, GalaxyFaction, GalaxySystem
from tests.helpers.plugin import PluginClient, sample
from tests.helpers.plugin_events import jump, store
from tests.helpers.squadron import eventually
from warden.services import Services

BETA = 1000002
GUILD = 1001


async def systems(db: Database) -> dict[int, tuple[str, str, datetime]]:
    async with db.unscoped() as session:
        rows = await session.execute(
            select(
                GalaxySystem.system_address,
                GalaxySystem.name,
                GalaxySystem.source,
                GalaxySystem.observed_at,
            )
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


async def test_the_plugins_jumps_reach_the_galaxy_tables(
    services: Services, plugin: PluginClient
) -> None:
    body: list[dict[str, Any]] = sample("02-events-batch-07.json")["body_json"]
    reply = await plugin.post_events(body)
    assert reply.status == 200
    await services.wait_background()
    stored = await systems(services.db)
    assert stored[BETA][:2] == ("Test System Beta", "member")
    async with services.db.unscoped() as session:
        factions = set(
            (
                await session.execute(
                    select(GalaxyFaction.faction).where(GalaxyFaction.system_address == BETA)
                )
            ).scalars()
        )
    jump_event = next(event for event in body if event["event"] == "FSDJump")
    assert factions == {faction["Name"] for faction in jump_event["Factions"]}


async def test_a_jump_left_by_a_dead_process_is_stored_by_recovery(db: Database) -> None:
    at = datetime(2026, 11, 26, 12, tzinfo=UTC)
    event = jump(
        at,
        SystemFaction={"Name": "Alpha Defence Force"},
        Factions=[
            {"Name": "Alpha Defence Force", "Influence": 0.6, "FactionState": "None"},
            {"Name": "Alpha Pirates", "Influence": 0.4, "FactionState": "War"},
        ],
    )
    await store(db, 1001, event)  # answered; the process died before its after-ingest run

    def spawn(coro: Any, _name: str) -> None:
        coro.close()

    recovering = AfterIngest(db, spawn, lambda: None, timedelta(seconds=60), GalaxyWriter(db))
    assert await recovering.recover(datetime.now(UTC) + timedelta(minutes=2)) == 1
    (stored,) = (await systems(db)).values()
    assert stored == ("Test System Alpha", "member", at)
    async with db.unscoped() as session:
        assert (await session.execute(select(AfterIngestWork.id))).first() is None


async def test_jumps_within_the_galaxy_interval_are_stored_together(db: Database) -> None:
    """A busy guild's jumps reach the galaxy tables at most once per interval: the first at
    once, the next ones (the newest per system) at the interval's end, their work rows kept
    until then. (The held state is checked only while the interval surely runs.)"""
    tasks: list[asyncio.Task[None]] = []

    def spawn(coro: Any, _name: str) -> None:
        tasks.append(asyncio.ensure_future(coro))

    every = timedelta(seconds=2.5)
    galaxy = GalaxyWriter(db)
    after = AfterIngest(db, spawn, lambda: None, timedelta(seconds=60), galaxy, galaxy_every=every)
    at = datetime(2026, 11, 26, 12, tzinfo=UTC)
    factions = [
        {"Name": "Alpha Defence Force", "Influence": 0.6, "FactionState": "None"},
        {"Name": "Alpha Pirates", "Influence": 0.4, "FactionState": "War"},
    ]

    def jumped(minutes: int, address: int) -> dict[str, Any]:
        return jump(
            at + timedelta(minutes=minutes),
            system=f"Test System {address}",
            address=address,
            SystemFaction={"Name": "Alpha Defence Force"},
            Factions=factions,
        )

    async def first_stored() -> bool:
        return set(await systems(db)) == {1}

    started = asyncio.get_running_loop().time()
    after.stored(GUILD, await store(db, GUILD, jumped(0, 1)))
    await eventually(first_stored, within=10)
    after.stored(GUILD, await store(db, GUILD, jumped(1, 2)))
    after.stored(GUILD, await store(db, GUILD, jumped(2, 1), jumped(3, 2)))
    await asyncio.sleep(1.2)
    if asyncio.get_running_loop().time() - started < every.total_seconds():
        assert set(await systems(db)) == {1}, "stored before the interval ended"
        assert len(await work_rows(db)) == 2
    await asyncio.gather(*tasks)
    stored = await systems(db)
    assert {address: observed for address, (_, _, observed) in stored.items()} == {
        1: at + timedelta(minutes=2),
        2: at + timedelta(minutes=3),
    }
    assert await work_rows(db) == []


async def work_rows(db: Database) -> list[int]:
    async with db.unscoped() as session:
        return list((await session.execute(select(AfterIngestWork.id))).scalars())
