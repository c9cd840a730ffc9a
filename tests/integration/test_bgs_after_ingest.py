"""After-ingest work survives the process: the transaction that stores events notes them as
waiting; a run does the work (conflicts, harm, their outbox entries) and drops the note; a note
left behind by a process that died is finished by `recover`, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bgs import outbox
from bgs.alerts import AfterIngest, Pending
from bgs.conflicts import CHANGE_KIND
from bgs.events import parse_envelope
from bgs.ingest import StoredEvent
from db.database import Database
from db.models import AfterIngestWork, ConflictState, OutboxEntry, Tenant
from tests.helpers.plugin_events import ADF, ALPHA_ADDRESS, PIRATES, jump, store

GUILD = 1001
RECOVER_AFTER = timedelta(seconds=60)
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def war_jump(minutes: int) -> dict[str, Any]:
    side = {"Stake": "", "WonDays": 0}
    conflict = {
        "WarType": "war",
        "Status": "active",
        "Faction1": {"Name": ADF, **side},
        "Faction2": {"Name": PIRATES, **side},
    }
    factions = [{"Name": ADF, "Influence": 0.4}, {"Name": PIRATES, "Influence": 0.3}]
    return jump(T0 + timedelta(minutes=minutes), Conflicts=[conflict], Factions=factions)


async def count(db: Database, model: Any) -> int:
    async with db.unscoped() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def after_ingest(db: Database, woken: list[str]) -> AfterIngest:
    def spawn(coro: Any, name: str) -> None:  # runs are awaited by the tests themselves
        coro.close()

    return AfterIngest(db, spawn, lambda: woken.append("outbox"), RECOVER_AFTER)


async def test_a_run_does_the_work_and_drops_its_note(db: Database) -> None:
    async with db.tenant_write(GUILD) as session:
        session.add(Tenant(name="Alpha Wing", faction=ADF, source="discord", registered_at=T0))
    result = await store(db, GUILD, war_jump(0))
    assert result.work_id is not None and await count(db, AfterIngestWork) == 1
    woken: list[str] = []
    pending = Pending()
    pending.add(result.stored, result.work_id)

    alerts = await after_ingest(db, woken).run(GUILD, pending)

    assert alerts is not None and [c.kind.value for c in alerts.conflict_changes] == ["new"]
    assert await count(db, AfterIngestWork) == 0
    (entry,) = await outbox.claim_due(db, [GUILD], datetime.now(UTC))
    assert entry.kind == CHANGE_KIND and woken == ["outbox"]


async def test_work_left_by_a_dead_process_is_finished_once(db: Database) -> None:
    async with db.tenant_write(GUILD) as session:
        session.add(Tenant(name="Alpha Wing", faction=ADF, source="discord", registered_at=T0))
    result = await store(db, GUILD, war_jump(0))  # stored and answered; the process then died
    async with db.unscoped() as session:
        created = (await session.execute(select(AfterIngestWork.created_at))).scalar_one()
    recovering = after_ingest(db, [])

    assert await recovering.recover(created + RECOVER_AFTER - timedelta(seconds=1)) == 0
    assert await recovering.recover(created + RECOVER_AFTER + timedelta(seconds=1)) == 1
    assert await recovering.recover(created + RECOVER_AFTER + timedelta(minutes=1)) == 0

    assert result.work_id is not None and await count(db, AfterIngestWork) == 0
    assert await count(db, ConflictState) == 1
    async with db.tenant(GUILD) as session:
        kinds = (await session.execute(select(OutboxEntry.kind))).scalars().all()
    assert kinds == [CHANGE_KIND]


def test_a_run_keeps_the_newest_jump_per_system_and_tick() -> None:
    """Only what the galaxy tables can use is held: older jumps into a system in the same tick
    would be refused as stale, and holding them costs the run and the garbage collector."""
    events = [
        jump(T0 + timedelta(minutes=2)),
        jump(T0),
        jump(T0 + timedelta(minutes=1)),
        jump(T0, system="Beta", address=2),
        jump(T0 + timedelta(minutes=3), name="Docked"),  # not a jump
    ]
    events[2]["tickid"] = "zoy-earlier"  # the earlier tick's last observation
    pending = Pending()
    pending.add([StoredEvent(n, parse_envelope(n, e)) for n, e in enumerate(events)])
    kept = {key: stored.id for key, stored in pending.jumps.items()}
    tick = events[0]["tickid"]
    assert kept == {(ALPHA_ADDRESS, tick): 0, (ALPHA_ADDRESS, "zoy-earlier"): 2, (2, tick): 3}
