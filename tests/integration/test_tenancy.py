"""Tenant isolation: a tenant session never sees or changes another guild's rows.

Each test also reads the same table through an unscoped session to prove that the other guild's
rows are really there: the tests fail if the automatic filter is switched off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update

from db.database import Database, TenantIsolationError
from db.models import Event, MarketSell, Objective, ObjectiveTarget

A, B = 1001, 2002
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def objective(title: str) -> Objective:
    return Objective(
        title=title,
        type="boost",
        priority=1,
        starts_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        targets=[ObjectiveTarget(type="inf", target_overall=10)],
    )


async def seed(db: Database) -> None:
    for guild, titles in ((A, ["a1", "a2"]), (B, ["b1"])):
        async with db.tenant_write(guild) as session:
            session.add_all(objective(title) for title in titles)


async def count_all(db: Database, model: type[Objective] | type[ObjectiveTarget]) -> int:
    async with db.unscoped() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_new_rows_are_stamped(db: Database) -> None:
    await seed(db)
    async with db.unscoped() as session:
        rows = (await session.execute(select(Objective.title, Objective.guild_id))).all()
        targets = (await session.execute(select(ObjectiveTarget.guild_id))).scalars().all()
    assert sorted(rows) == [("a1", A), ("a2", A), ("b1", B)]
    assert sorted(targets) == [A, A, B]


async def test_select_and_join_see_only_own_rows(db: Database) -> None:
    await seed(db)
    assert await count_all(db, Objective) == 3
    async with db.tenant(B) as session:
        titles = (await session.execute(select(Objective.title))).scalars().all()
        joined = (
            await session.execute(
                select(Objective.title, ObjectiveTarget.type).join(
                    ObjectiveTarget, ObjectiveTarget.objective_id == Objective.id
                )
            )
        ).all()
        total = (await session.execute(select(func.count(ObjectiveTarget.id)))).scalar_one()
        by_pk = [await session.get(Objective, pk) for pk in range(1, 4)]
    assert titles == ["b1"]
    assert joined == [("b1", "inf")]
    assert total == 1
    assert [o.title for o in by_pk if o is not None] == ["b1"]


@pytest.mark.parametrize(
    ("objectives", "targets"),
    [(Objective, ObjectiveTarget), (Objective.__table__, ObjectiveTarget.__table__)],
    ids=["orm", "core-table"],
)
async def test_update_and_delete_touch_only_own_rows(
    db: Database, objectives: Any, targets: Any
) -> None:
    await seed(db)
    async with db.tenant_write(A) as session:
        await session.execute(update(objectives).values(priority=5))
        await session.execute(delete(targets))
    async with db.unscoped() as session:
        priorities = dict(
            (await session.execute(select(Objective.title, Objective.priority))).all()
        )
    assert priorities == {"a1": 5, "a2": 5, "b1": 1}
    assert await count_all(db, ObjectiveTarget) == 1
    async with db.tenant_write(B) as session:
        await session.execute(delete(objectives).where(Objective.title.like("a%")))
    assert await count_all(db, Objective) == 3


async def test_bulk_insert_is_stamped_and_foreign_rows_refused(db: Database) -> None:
    row = {
        "event": "MarketSell",
        "timestamp": NOW,
        "content_hash": "h1",
        "received_at": NOW,
        "data": {},
    }
    async with db.tenant_write(A) as session:
        await session.execute(insert(Event), [row])
    async with db.unscoped() as session:
        assert (await session.execute(select(Event.guild_id))).scalars().all() == [A]
    with pytest.raises(TenantIsolationError):
        async with db.tenant_write(A) as session:
            await session.execute(insert(Event), [row | {"content_hash": "h2", "guild_id": B}])
    with pytest.raises(TenantIsolationError):
        async with db.tenant_write(A) as session:
            foreign = objective("foreign")
            foreign.guild_id = B
            session.add(foreign)
    assert await count_all(db, Objective) == 0


async def test_child_rows_filtered_too(db: Database) -> None:
    for guild in (A, B):
        async with db.tenant_write(guild) as session:
            event = Event(
                event="MarketSell",
                timestamp=NOW,
                content_hash=f"h{guild}",
                received_at=NOW,
                data={},
            )
            session.add(event)
            await session.flush()
            session.add(
                MarketSell(
                    event_id=event.id,
                    timestamp=NOW,
                    count=1,
                    sell_price=1,
                    total_sale=guild,
                    avg_price_paid=0,
                    profit=guild,
                    black_market=False,
                )
            )
    async with db.tenant(A) as session:
        sales = (await session.execute(select(func.sum(MarketSell.total_sale)))).scalar_one()
    assert sales == A
