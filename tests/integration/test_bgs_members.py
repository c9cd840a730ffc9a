"""bgs.members on SQLite and PostgreSQL: the recruits report from a fixed data set with known
answers, a cmdr's card, and claims decided by officers.

The data set (NOW = 2026-11-26 12:00 UTC; recruit rank "Recruit", newly seen = 14 days):
Ann, Inara rank Recruit, first seen 2026-11-01 (25 days); Bob first seen 11-20 12:00 (6 days);
Cy 11-25 18:00 (0 days, no data); Eve 11-12 13:00 (13 days, just inside); Fay 11-12 11:59
(just outside); Dan, rank Wingman, first seen 10-01. Guild B has Zed, rank Recruit, new.
Ann sold 10 t (100 each, bought at 50), cashed 5,000 in bounties and won +2 INF for ADF in a
mission; Bob cashed 3,000 in combat bonds, sold 7,000 of exploration data and committed a
murder (10,000 bounty).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from bgs import members, summaries, tenants
from bgs.members import LinkError
from db.database import Database
from db.models import Cmdr, Tenant
from tests.helpers.plugin_events import (
    ADF,
    TRADERS,
    bounty,
    combat_bond,
    crime,
    exploration,
    influence,
    market_sell,
    store,
)

A, B = 3001, 3002
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ANN_USER = 41

FIRST_SEEN = {
    "Ann": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    "Bob": datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    "Cy": datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
    "Eve": datetime(2026, 11, 12, 13, 0, tzinfo=UTC),
    "Fay": datetime(2026, 11, 12, 11, 59, tzinfo=UTC),
    "Dan": datetime(2026, 10, 1, 8, 0, tzinfo=UTC),
}
RANKS = {"Ann": "Recruit", "Dan": "Wingman"}


async def data_set(db: Database) -> Tenant:
    await tenants.register(db, A, "Alpha Wing")
    await tenants.register(db, B, "Beta Wing")
    await store(
        db,
        A,
        market_sell(AT, TRADERS, count=10, sale=100, paid=50, cmdr="Ann"),
        bounty(AT, ADF, 5000, cmdr="Ann"),
        influence(AT, ADF, "++", cmdr="Ann"),
        combat_bond(AT, ADF, 3000, cmdr="Bob"),
        exploration(AT, TRADERS, 7000, cmdr="Bob"),
        crime(AT, ADF, cmdr="Bob"),
    )
    await store(db, B, bounty(AT, ADF, 99, cmdr="Zed"))
    async with db.tenant_write(A) as session:
        for name in ("Cy", "Eve", "Fay", "Dan"):
            session.add(Cmdr(name=name, first_seen=NOW, last_seen=NOW))
        await session.flush()
        for name, first in FIRST_SEEN.items():
            await session.execute(
                update(Cmdr)
                .where(Cmdr.name == name)
                .values(first_seen=first, last_seen=NOW, squadron_rank=RANKS.get(name))
            )
        guild = await tenants.get_tenant(session)
        assert guild is not None
        guild.faction = ADF
        await members.note_member(session, ANN_USER, "Ann Smith", NOW)
        await members.claim_cmdr(session, "Ann", ANN_USER, NOW)
    async with db.tenant_write(B) as session:
        await session.execute(update(Cmdr).values(squadron_rank="Recruit", first_seen=NOW))
    return guild


def summary(recruit: members.Recruit) -> tuple[Any, ...]:
    totals = recruit.totals
    figures = (
        None
        if totals is None
        else (
            totals.tonnage,
            totals.missions_completed,
            totals.bounty_vouchers,
            totals.combat_bonds,
            totals.exploration_sales,
            totals.bounty_fines,
            totals.influence,
        )
    )
    return (recruit.cmdr, recruit.member, recruit.by_rank, recruit.days, figures)


async def test_recruits_from_a_fixed_data_set(db: Database) -> None:
    guild = await data_set(db)
    async with db.tenant_write(A) as session:
        (claim,) = await members.list_links(session)
        await members.decide_claim(session, claim.id, accept=True, officer="Officer", now=NOW)

    async with summaries.reading(db, A) as session:
        found = await members.recruits(session, guild, NOW)

    assert [summary(recruit) for recruit in found] == [
        ("Cy", None, False, 0, None),
        ("Bob", None, False, 6, (0, 0, 0, 3000, 7000, 10000, 0)),
        ("Eve", None, False, 13, None),
        ("Ann", "Ann Smith", True, 25, (10, 1, 5000, 0, 0, 0, 2)),
    ]
    assert [recruit.first_seen for recruit in found] == [FIRST_SEEN[r.cmdr] for r in found]
    assert all(recruit.last_seen == NOW for recruit in found)


async def test_recruit_rank_and_days_are_settings(db: Database) -> None:
    guild = await data_set(db)
    members.set_member_settings(guild, recruit_rank=" wingman ", recruit_days=1)
    async with summaries.reading(db, A) as session:
        found = await members.recruits(session, guild, NOW)
    assert [(recruit.cmdr, recruit.by_rank) for recruit in found] == [("Cy", False), ("Dan", True)]


async def test_the_card_of_a_cmdr(db: Database) -> None:
    await data_set(db)
    async with summaries.reading(db, A) as session:
        card = await members.cmdr_card(session, "Ann", ADF, NOW)
        nothing = await members.cmdr_card(session, "Cy", ADF, NOW)
    assert card.link is not None and card.link.pending and card.link.member == "Ann Smith"
    assert card.totals is not None and card.totals.influence == 2
    assert (card.squadron_rank, card.first_seen, card.inara_checked_at) == (
        "Recruit",
        FIRST_SEEN["Ann"],
        None,
    )
    assert nothing.link is None and nothing.totals is None


async def test_claims(db: Database) -> None:
    await data_set(db)
    async with db.tenant_write(A) as session:
        with pytest.raises(LinkError, match="Another member asked for that cmdr"):
            await members.claim_cmdr(session, "ann", 99, NOW)
        with pytest.raises(LinkError, match="You asked for that cmdr already"):
            await members.claim_cmdr(session, "Ann", ANN_USER, NOW)
        with pytest.raises(LinkError, match="No cmdr by that name"):
            await members.claim_cmdr(session, "Zed", ANN_USER, NOW)  # guild B's
        assert await members.claim_cmdr(session, "BOB", 99, NOW) == "Bob"
        ann, bob = sorted(await members.list_links(session), key=lambda link: link.cmdr)
        refused = await members.decide_claim(session, bob.id, accept=False, officer="O", now=NOW)
        assert refused.cmdr == "Bob"
        with pytest.raises(LinkError, match="decided already"):
            await members.decide_claim(session, bob.id, accept=True, officer="O", now=NOW)
        await members.decide_claim(session, ann.id, accept=True, officer="O", now=NOW)
        assert await members.my_cmdrs(session, ANN_USER) == ["Ann"]
        assert await members.members_of(session, ["Ann", "Bob"]) == {"Ann": "Ann Smith"}
    async with db.tenant(B) as session:
        assert await members.list_links(session) == []
