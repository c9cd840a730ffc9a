"""Every summary against values computed by hand from one small fixed data set.

Guild A's data: three ticks (zoy-0 known from one jump only), cmdrs Ann, Bob, Cara and Dan in
systems Alpha, Beta, Gamma, Delta; the guild's faction is Alpha Defence Force (ADF). Guild B
has the same cmdr, system and faction names with other values: none of them may show up.

The tallies' JSON counters: in the last tick Ann killed 2 scouts in Alpha; in the current one
(her last tally of three, the earlier ones replaced) a cyclops and 3 scouts in Beta, where she
also handed in 3 Thargoid-war rescue items, reactivated a settlement and handed in 3 rescue
items to Beta Union; Bob handed in 4 wreckage components to ADF in Alpha and killed a scout in
Beta.
"""

from __future__ import annotations

import random
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bgs import rollups, summaries
from bgs.events import parse_envelope
from bgs.ingest import replace_activity
from bgs.periods import Period, Tick, period_for
from bgs.summaries import ActivityCounts, CmdrMetrics, CZCount, CZTotal, SystemCZs, ThargoidWar
from bgs.tallies import TW_KILL_TYPES
from db import models
from db.database import Database
from tests.helpers.plugin_events import store_envelopes

A, B = 1001, 2002
ADF, BETA_UNION, PIRATES = "Alpha Defence Force", "Beta Union", "Alpha Pirates"
ADDRESS = {"Alpha": 1001, "Beta": 1002, "Gamma": 1003, "Delta": 1004}
TICK0 = Tick("zoy-0", datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
TICK1 = Tick("zoy-1", datetime(2026, 11, 25, 11, 0, tzinfo=UTC))
TICK2 = Tick("zoy-2", datetime(2026, 11, 26, 11, 0, tzinfo=UTC))
TICKS = [TICK2, TICK1, TICK0]
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def period(code: str) -> Period:
    return period_for(code, NOW, TICKS)


# --------------------------------------------------------------------------------------------
# Event builders
# --------------------------------------------------------------------------------------------


def event(
    name: str, cmdr: str, system: str, when: datetime, tick: Tick, **extra: Any
) -> dict[str, Any]:
    return {
        "event": name,
        "timestamp": iso(when),
        "cmdr": cmdr,
        "tickid": tick.tickid,
        "ticktime": iso(tick.ticktime),
        "StarSystem": system,
        "SystemAddress": str(ADDRESS[system]),
        "StationFaction": {"Name": ADF},
        **extra,
    }


def market_buy(
    cmdr: str, system: str, when: datetime, tick: Tick, count: int, price: int
) -> dict[str, Any]:
    return event(
        "MarketBuy",
        cmdr,
        system,
        when,
        tick,
        Type="gold",
        Count=count,
        BuyPrice=price,
        TotalCost=count * price,
    )


def market_sell(
    cmdr: str, system: str, when: datetime, tick: Tick, count: int, price: int, paid: int
) -> dict[str, Any]:
    return event(
        "MarketSell",
        cmdr,
        system,
        when,
        tick,
        Type="gold",
        Count=count,
        SellPrice=price,
        TotalSale=count * price,
        AvgPricePaid=paid,
    )


def mission(
    cmdr: str, system: str, when: datetime, tick: Tick, *effects: tuple[str, str, str, str]
) -> dict[str, Any]:
    """MissionCompleted; each effect is (faction, system where it lands, '+++', trend)."""
    return event(
        "MissionCompleted",
        cmdr,
        system,
        when,
        tick,
        Faction=ADF,
        Name="Mission_Delivery",
        Reward=1000,
        FactionEffects=[
            {
                "Faction": faction,
                "Effects": [],
                "Reputation": "+",
                "ReputationTrend": "UpGood",
                "Influence": [
                    {"SystemAddress": ADDRESS[landed], "Influence": plus, "Trend": trend}
                ],
            }
            for faction, landed, plus, trend in effects
        ],
    )


def voucher(
    cmdr: str, system: str, when: datetime, tick: Tick, kind: str, amount: int
) -> dict[str, Any]:
    if kind == "bounty":
        return event(
            "RedeemVoucher",
            cmdr,
            system,
            when,
            tick,
            Type=kind,
            Amount=amount,
            Factions=[{"Faction": ADF, "Amount": amount}],
        )
    return event("RedeemVoucher", cmdr, system, when, tick, Type=kind, Amount=amount, Faction=ADF)


def space_cz(cmdr: str, system: str, when: datetime, faction: str, **size: int) -> dict[str, Any]:
    return event("SyntheticCZ", cmdr, system, when, TICK2, Faction=faction, **size)


def ground_cz(cmdr: str, when: datetime, settlement: str, **size: int) -> dict[str, Any]:
    return event(
        "SyntheticGroundCZ", cmdr, "Alpha", when, TICK2, Faction=ADF, settlement=settlement, **size
    )


GUILD_A_EVENTS = [
    event("FSDJump", "Dan", "Gamma", at(24, 12), TICK0),
    market_sell("Ann", "Alpha", at(25, 12), TICK1, count=5, price=1000, paid=800),
    mission("Cara", "Alpha", at(25, 13), TICK1, (ADF, "Alpha", "+++++", "UpGood")),
    event("Docked", "Cara", "Gamma", at(25, 14), TICK1),
    # sent late: the plugin had not seen the new tick yet
    mission("Cara", "Alpha", at(26, 12), TICK1, (ADF, "Alpha", "++", "UpGood")),
    event("FSDJump", "Ann", "Alpha", at(26, 11, 30), TICK2),
    market_buy("Ann", "Alpha", at(26, 11, 40), TICK2, count=10, price=1000),
    market_sell("Ann", "Alpha", at(26, 11, 45), TICK2, count=8, price=2000, paid=1500),
    mission(
        "Ann",
        "Alpha",
        at(26, 12),
        TICK2,
        (ADF, "Alpha", "+++", "UpGood"),
        (BETA_UNION, "Beta", "++", "DownBad"),
    ),
    # handed in at Beta, but the influence lands in Alpha, and it is negative
    mission("Bob", "Beta", at(26, 12, 10), TICK2, (ADF, "Alpha", "+", "DownBad")),
    event("MissionFailed", "Bob", "Beta", at(26, 12, 20), TICK2, Name="Mission_Massacre", Fine=500),
    voucher("Ann", "Alpha", at(26, 12, 30), TICK2, "bounty", 100_000),
    voucher("Bob", "Alpha", at(26, 12, 40), TICK2, "CombatBond", 50_000),
    voucher("Ann", "Alpha", at(26, 12, 50), TICK2, "trade", 999),
    event(
        "SellExplorationData",
        "Bob",
        "Beta",
        at(26, 13),
        TICK2,
        BaseValue=20_000,
        Bonus=0,
        TotalEarnings=20_000,
    ),
    event(
        "MultiSellExplorationData",
        "Ann",
        "Alpha",
        at(26, 13, 10),
        TICK2,
        BaseValue=25_000,
        Bonus=5_000,
        TotalEarnings=30_000,
    ),
    event(
        "CommitCrime",
        "Bob",
        "Beta",
        at(26, 13, 20),
        TICK2,
        CrimeType="murder",
        Faction=BETA_UNION,
        Bounty=1000,
    ),
    event(
        "CommitCrime",
        "Ann",
        "Alpha",
        at(26, 13, 30),
        TICK2,
        CrimeType="assault",
        Faction=ADF,
        Fine=200,
    ),
    space_cz("Ann", "Alpha", at(26, 14), ADF, high=1),
    space_cz("Ann", "Alpha", at(26, 14, 10), ADF, high=1),
    space_cz("Ann", "Alpha", at(26, 14, 20), ADF, high=-1),  # manual correction
    space_cz("Bob", "Alpha", at(26, 14, 30), ADF, medium=2),
    space_cz("Bob", "Beta", at(26, 14, 40), BETA_UNION, low=1),
    ground_cz("Ann", at(26, 15), "Barnes Enterprise", low=1),
    ground_cz("Ann", at(26, 15, 10), "Barnes Enterprise", low=-1),  # cancels the one above
    ground_cz("Bob", at(26, 15, 20), "Fort Rock", medium=1),
    event("FSDJump", "Bob", "Delta", at(26, 16), TICK2),
]

TICK3 = Tick("zoy-3", at(26, 17))
GUILD_B_EVENTS = [
    market_buy("Ann", "Alpha", at(26, 12), TICK2, count=999, price=1001),
    mission("Ann", "Alpha", at(26, 12, 1), TICK2, (ADF, "Alpha", "+++++", "UpGood")),
    voucher("Ann", "Alpha", at(26, 12, 2), TICK2, "bounty", 777),
    space_cz("Zed", "Alpha", at(26, 12, 3), ADF, high=5),
    ground_cz("Zed", at(26, 12, 4), "Fort Rock", high=3),
    event("FSDJump", "Zed", "Gamma", at(26, 16), TICK2),
    event("FSDJump", "Zed", "Gamma", at(26, 17, 30), TICK3),  # a newer tick, in guild B only
]


# --------------------------------------------------------------------------------------------
# Activity snapshots
# --------------------------------------------------------------------------------------------


def faction(
    name: str, state: str | None, influence: float | None, **counters: Any
) -> models.ActivityFaction:
    return models.ActivityFaction(name=name, state=state, influence=influence, **counters)


def kills(**by_type: int) -> dict[str, int]:
    """`twkills` as the plugin sends it once there is any kill: all nine keys."""
    return {kind: by_type.get(kind, 0) for kind in TW_KILL_TYPES}


def rescue(**items: int) -> dict[str, int]:
    """A faction's `sandr` as the plugin sends it: all eight keys."""
    names = ("damagedpods", "occupiedpods", "thargoidpods", "blackboxes", "wreckagecomponents")
    names += ("personaleffects", "politicalprisoners", "hostages")
    return {name: items.get(name, 0) for name in names}


def snapshot(
    cmdr: str,
    tick: Tick,
    when: datetime,
    war: dict[str, dict[str, Any]] | None = None,
    **systems: list[models.ActivityFaction],
) -> models.Activity:
    """A tally; `war` holds the Thargoid-war fields of some of its systems."""
    return models.Activity(
        cmdr=cmdr,
        tickid=tick.tickid,
        ticktime=tick.ticktime,
        timestamp=when,
        systems=[
            models.ActivitySystem(
                name=name,
                address=ADDRESS[name],
                factions=factions,
                **({"twkills": {}} | (war or {}).get(name, {})),
            )
            for name, factions in systems.items()
        ],
    )


def guild_a_snapshots() -> list[models.Activity]:
    """In the order they arrive; Ann's current tick arrives three times (each replaces)."""
    beta_war = {
        "twkills": kills(cyclops=1, scout=3),
        "twsandr": {"damagedpods": 2, "occupiedpods": 0, "thargoidpods": 0, "blackboxes": 1},
        "twreactivate": 1,
    }
    return [
        snapshot(
            "Ann",
            TICK1,
            at(25, 20),
            {"Alpha": {"twkills": kills(scout=2)}},
            Alpha=[faction(ADF, "Boom", 0.40, infprimary=5)],
        ),
        snapshot("Ann", TICK2, at(26, 12), Alpha=[faction(ADF, "War", 0.45, infprimary=1)]),
        snapshot(
            "Ann",
            TICK2,
            at(26, 13),
            {"Alpha": {"twkills": kills(scout=10)}},  # replaced by the next tally
            Alpha=[faction(ADF, "War", 0.45, infprimary=2, bvs=100, sandr=rescue(hostages=5))],
        ),
        snapshot(
            "Ann",
            TICK2,
            at(26, 14),
            {"Beta": beta_war},
            Alpha=[
                faction(ADF, "War", 0.45, infprimary=3, bvs=100_000, cz_space_high=1),
                faction(PIRATES, "War", 0.30, sandr=None),  # idle
            ],
            Beta=[
                faction(
                    BETA_UNION,
                    "None",
                    0.6,
                    infsecondary=-2,
                    sandr=rescue(damagedpods=2, hostages=1),
                )
            ],
        ),
        snapshot(
            "Bob",
            TICK2,
            at(26, 15),
            {"Beta": {"twkills": kills(scout=1)}},
            Alpha=[faction(ADF, "War", 0.47, cbs=50_000, sandr=rescue(wreckagecomponents=4))],
            Beta=[],
        ),
        # an old plugin without influence, stored last
        snapshot(
            "Cara",
            TICK2,
            at(26, 16),
            {"Alpha": {"twsandr": None}},
            Alpha=[faction(ADF, "CivilWar", None, infprimary=1)],
        ),
    ]


async def seed(db: Database) -> None:
    for guild, events in ((A, GUILD_A_EVENTS), (B, GUILD_B_EVENTS)):
        async with db.tenant_write(guild) as session:
            await store_envelopes(session, [parse_envelope(i, e) for i, e in enumerate(events)])
    for activity in guild_a_snapshots():
        async with db.tenant_write(A) as session:
            await replace_activity(session, activity)
    async with db.tenant_write(B) as session:
        await replace_activity(
            session,
            snapshot(
                "Ann",
                TICK2,
                at(26, 17),
                {"Alpha": {"twkills": kills(medusa=50), "twreactivate": 7}},
                Alpha=[faction(ADF, "Expansion", 0.9, infprimary=100, sandr=rescue(hostages=9))],
            ),
        )
    async with db.tenant_write(A) as session:
        await session.execute(
            update(models.Cmdr).where(models.Cmdr.name == "Ann").values(squadron_rank="Recruit")
        )
        session.add_all(objectives())


def objectives() -> list[models.Objective]:
    def objective(
        title: str, system: str | None, start: datetime, end: datetime | None, *targets: str
    ) -> models.Objective:
        return models.Objective(
            title=title,
            type="boost",
            priority=1,
            system=system,
            starts_at=start,
            ends_at=end,
            created_at=start,
            updated_at=start,
            targets=[models.ObjectiveTarget(type="visit", system=name) for name in targets],
        )

    return [
        objective("Hold Alpha", "Alpha", at(20, 0), None, "Gamma", "Kappa", "Alpha"),
        objective("Scout", None, at(20, 0), at(30, 0), "delta", "Gamma"),
        objective("Expired", "Epsilon", at(1, 0), at(25, 0), "Epsilon"),
        objective("Future", "Zeta", at(27, 0), None),
    ]


@pytest.fixture
async def seeded(db: Database) -> Database:
    await seed(db)
    await rollups.current(db, A)
    await rollups.current(db, B)
    return db


# --------------------------------------------------------------------------------------------
# Leaderboard and top 5
# --------------------------------------------------------------------------------------------


def metrics(cmdr: str, rank: str | None = None, **values: int) -> CmdrMetrics:
    zero = {f.name: 0 for f in fields(CmdrMetrics) if f.name not in ("cmdr", "squadron_rank")}
    return CmdrMetrics(cmdr=cmdr, squadron_rank=rank, **(zero | values))


ANN_CT = metrics(
    "Ann",
    "Recruit",
    buy_volume=10_000,
    buy_tonnage=10,
    sell_volume=16_000,
    sell_tonnage=8,
    trade_profit=4_000,
    missions_completed=1,
    bounty_vouchers=100_000,
    exploration_sales=30_000,
    influence=3,
    bounty_fines=200,
    thargoid_kills=4,
    search_rescue=3,
    tw_rescue=3,
)
BOB_CT = metrics(
    "Bob",
    missions_completed=1,
    missions_failed=1,
    combat_bonds=50_000,
    exploration_sales=20_000,
    influence=-1,
    bounty_fines=1_000,
    search_rescue=4,
    thargoid_kills=1,
)


async def leaderboard(
    db: Database, code: str, faction: str | None = ADF, **filters: Any
) -> list[CmdrMetrics]:
    async with db.tenant(A) as session:
        return await summaries.leaderboard(session, period(code), faction, **filters)


async def test_leaderboard_current_tick(seeded: Database) -> None:
    rows = await leaderboard(seeded, "ct")
    assert rows == [ANN_CT, BOB_CT]
    ann = rows[0]
    assert (ann.trade_volume, ann.tonnage) == (26_000, 18)
    assert ann.profitability == 33.33  # 4 000 profit on 12 000 paid for the goods sold
    assert rows[1].profitability is None


async def test_leaderboard_other_periods(seeded: Database) -> None:
    cara_lt = metrics("Cara", missions_completed=2, influence=7)  # the late hand-in included
    ann_lt = metrics(
        "Ann", "Recruit", sell_volume=5_000, sell_tonnage=5, trade_profit=1_000, thargoid_kills=2
    )
    assert await leaderboard(seeded, "lt") == [ann_lt, cara_lt]
    # calendar days go by timestamp: the late hand-in belongs to today
    assert await leaderboard(seeded, "ld") == [
        ann_lt,
        metrics("Cara", missions_completed=1, influence=5),
    ]
    assert await leaderboard(seeded, "cd") == [
        ANN_CT,
        BOB_CT,
        metrics("Cara", missions_completed=1, influence=2),
    ]
    ann_all = replace(
        ANN_CT, sell_volume=21_000, sell_tonnage=13, trade_profit=5_000, thargoid_kills=6
    )
    assert await leaderboard(seeded, "all") == [ann_all, BOB_CT, cara_lt]
    assert await leaderboard(seeded, "lm") == []


async def test_leaderboard_filters(seeded: Database) -> None:
    # Bob's Beta work drops out; his negative influence landed in Alpha, so it stays; Ann's
    # Thargoid-war and rescue work was in Beta
    assert await leaderboard(seeded, "ct", system="Alpha") == [
        replace(ANN_CT, thargoid_kills=0, tw_rescue=0, search_rescue=0),
        metrics("Bob", combat_bonds=50_000, influence=-1, search_rescue=4),  # no Beta kill
    ]
    assert await leaderboard(seeded, "ct", system="Beta") == [
        metrics("Ann", "Recruit", thargoid_kills=4, search_rescue=3, tw_rescue=3),
        metrics(
            "Bob",
            missions_completed=1,
            missions_failed=1,
            exploration_sales=20_000,
            bounty_fines=1_000,
            thargoid_kills=1,
        ),
    ]
    assert await leaderboard(seeded, "ct", cmdr="Bob") == [BOB_CT]
    no_faction = await leaderboard(seeded, "ct", faction=None)
    assert [row.influence for row in no_faction] == [0, 0]
    assert await leaderboard(seeded, "ct", faction=BETA_UNION) == [
        replace(ANN_CT, influence=-2),
        replace(BOB_CT, influence=0),
    ]


async def test_the_best_cmdrs_of_every_metric(seeded: Database) -> None:
    """What `/top5` and the daily summary list: per metric, the cmdrs with a positive value,
    best first."""
    async with seeded.tenant(A) as session:
        rows = await summaries.leaderboard(session, period("ct"), ADF)
    top = {
        key: [
            (row.cmdr, row.value(key)) for row in summaries.ranked(rows, key) if row.value(key) > 0
        ]
        for key in summaries.METRIC_KEYS
    }
    assert top == {
        "trade_volume": [("Ann", 26_000)],
        "tonnage": [("Ann", 18)],
        "trade_profit": [("Ann", 4_000)],
        "missions_completed": [("Ann", 1), ("Bob", 1)],
        "missions_failed": [("Bob", 1)],
        "influence": [("Ann", 3)],  # Bob's -1 is no achievement
        "bounty_vouchers": [("Ann", 100_000)],
        "combat_bonds": [("Bob", 50_000)],
        "exploration_sales": [("Ann", 30_000), ("Bob", 20_000)],
        "bounty_fines": [("Bob", 1_000), ("Ann", 200)],
        "thargoid_kills": [("Ann", 4), ("Bob", 1)],
        "search_rescue": [("Bob", 4), ("Ann", 3)],
        "tw_rescue": [("Ann", 3)],
    }
    assert [row.cmdr for row in summaries.ranked([ANN_CT, BOB_CT], "bounty_fines")] == [
        "Bob",
        "Ann",
    ]
    with pytest.raises(summaries.UnknownMetricError, match="trade_volume"):
        summaries.ranked([ANN_CT], "profit")


async def test_influence_by_faction(seeded: Database) -> None:
    async def rows(code: str, **filters: Any) -> list[tuple[str, str, int]]:
        async with seeded.tenant(A) as session:
            found = await summaries.influence_by_faction(session, period(code), **filters)
        return [(r.cmdr, r.faction, r.influence) for r in found]

    assert await rows("ct") == [("Ann", ADF, 3), ("Bob", ADF, -1), ("Ann", BETA_UNION, -2)]
    assert await rows("all") == [
        ("Cara", ADF, 7),
        ("Ann", ADF, 3),
        ("Bob", ADF, -1),
        ("Ann", BETA_UNION, -2),
    ]
    assert await rows("ct", system="Beta") == [("Ann", BETA_UNION, -2)]
    assert await rows("all", limit=1) == [("Cara", ADF, 7)]


# --------------------------------------------------------------------------------------------
# Conflict zones
# --------------------------------------------------------------------------------------------


async def test_space_czs(seeded: Database) -> None:
    async with seeded.tenant(A) as session:
        czs = await summaries.space_czs(session, period("ct"))
        beta = await summaries.space_czs(session, period("ct"), system="Beta")
        last = await summaries.space_czs(session, period("lt"))
    assert czs == [
        SystemCZs(
            "Alpha",
            factions=(CZTotal(ADF, CZCount(medium=2, high=1)),),
            settlements=(),
            cmdrs=(CZTotal("Bob", CZCount(medium=2)), CZTotal("Ann", CZCount(high=1))),  # 1+1-1
        ),
        SystemCZs(
            "Beta",
            factions=(CZTotal(BETA_UNION, CZCount(low=1)),),
            settlements=(),
            cmdrs=(CZTotal("Bob", CZCount(low=1)),),
        ),
    ]
    assert beta == czs[1:]
    assert last == []
    assert [system.total for system in czs] == [CZCount(0, 2, 1), CZCount(1, 0, 0)]


async def test_ground_czs(seeded: Database) -> None:
    async with seeded.tenant(A) as session:
        czs = await summaries.ground_czs(session, period("all"))
    # Ann's Barnes Enterprise CZ was corrected away; guild B's Fort Rock CZs are not ours
    medium = CZCount(medium=1)
    assert czs == [
        SystemCZs(
            "Alpha",
            factions=(CZTotal(ADF, medium),),
            settlements=(CZTotal("Fort Rock", medium),),
            cmdrs=(CZTotal("Bob", medium),),
        )
    ]


def test_cz_totals_are_ranked_by_most_czs_then_name_the_unknown_last() -> None:
    rows = [
        ("cmdr", "Beta", "Cara", CZCount(low=1)),
        ("faction", None, None, CZCount(high=1)),
        ("cmdr", "Beta", "Ann", CZCount(low=1)),
        ("faction", "Beta", None, CZCount(low=2)),
        ("faction", "Beta", ADF, CZCount(low=2)),
        ("cmdr", "Beta", "Bob", CZCount(high=3)),
        ("settlement", "Alpha", "Fort Rock", CZCount(medium=1)),
    ]
    alpha, beta, unknown = summaries.by_system(rows)
    assert (alpha.system, beta.system, unknown.system) == ("Alpha", "Beta", None)
    assert alpha.settlements == (CZTotal("Fort Rock", CZCount(medium=1)),)
    assert alpha.factions == alpha.cmdrs == ()
    assert [row.name for row in beta.cmdrs] == ["Bob", "Ann", "Cara"]
    assert [row.name for row in beta.factions] == [ADF, None]
    assert beta.total == CZCount(low=4)


# --------------------------------------------------------------------------------------------
# Activity tallies
# --------------------------------------------------------------------------------------------


def counts(**values: int) -> ActivityCounts:
    return ActivityCounts(**values)


async def test_three_puts_for_one_cmdr_and_tick_count_once(seeded: Database) -> None:
    async with seeded.tenant(A) as session:
        stored = await session.execute(
            select(func.count()).where(
                models.Activity.cmdr == "Ann", models.Activity.tickid == "zoy-2"
            )
        )
        rows = await summaries.cmdr_activity(session, period("ct"), "Ann")
    assert stored.scalar_one() == 1
    assert [(r.system, r.faction, r.counts) for r in rows] == [
        ("Alpha", ADF, counts(inf_primary=3, bounty_vouchers=100_000, cz_space_high=1)),
        ("Beta", BETA_UNION, counts(inf_secondary=-2, search_rescue=3)),
    ]


async def test_activity_summary(seeded: Database) -> None:
    async def rows(code: str, **filters: Any) -> list[tuple[Any, ...]]:
        async with seeded.tenant(A) as session:
            found = await summaries.activity_summary(session, period(code), **filters)
        return [(r.system, r.faction, r.state, r.influence, r.counts) for r in found]

    adf_ct = counts(
        inf_primary=4,
        bounty_vouchers=100_000,
        combat_bonds=50_000,
        cz_space_high=1,
        search_rescue=4,
    )
    beta = ("Beta", BETA_UNION, "None", 0.6, counts(inf_secondary=-2, search_rescue=3))
    # state from Cara's snapshot, received last; influence from Bob's, the last that sent one;
    # the idle Alpha Pirates are left out
    assert await rows("ct") == [("Alpha", ADF, "CivilWar", 0.47, adf_ct), beta]
    assert await rows("lt") == [("Alpha", ADF, "Boom", 0.40, counts(inf_primary=5))]
    assert await rows("ld") == await rows("lt")  # tallies belong to the day their tick began
    assert await rows("all") == [
        ("Alpha", ADF, "CivilWar", 0.47, replace(adf_ct, inf_primary=9)),
        beta,
    ]
    assert await rows("ct", system="Beta") == [beta]
    assert await rows("ct", faction=ADF) == [("Alpha", ADF, "CivilWar", 0.47, adf_ct)]
    assert adf_ct.influence == 4
    assert adf_ct.cz_space == CZCount(high=1)


async def test_cmdr_activity(seeded: Database) -> None:
    async with seeded.tenant(A) as session:
        current = await summaries.cmdr_activity(session, period("ct"), "Ann")
        everything = await summaries.cmdr_activity(session, period("all"), "Ann")
        nobody = await summaries.cmdr_activity(session, period("all"), "Zed")
    assert [(r.cmdr, r.system, r.faction, r.counts) for r in current] == [
        ("Ann", "Alpha", ADF, counts(inf_primary=3, bounty_vouchers=100_000, cz_space_high=1)),
        ("Ann", "Beta", BETA_UNION, counts(inf_secondary=-2, search_rescue=3)),
    ]
    assert everything[0].counts == counts(inf_primary=8, bounty_vouchers=100_000, cz_space_high=1)
    assert nobody == []


async def test_activity_per_cmdr(seeded: Database) -> None:
    async with seeded.tenant(A) as session:
        current = await summaries.activity_per_cmdr(session, period("ct"))
    ann = counts(
        inf_primary=3, inf_secondary=-2, bounty_vouchers=100_000, cz_space_high=1, search_rescue=3
    )
    assert list(current.items()) == [  # by name
        ("Ann", ann),
        ("Bob", counts(combat_bonds=50_000, search_rescue=4)),
        ("Cara", counts(inf_primary=1)),
    ]
    assert sum(current.values(), ActivityCounts()).influence == 2


async def test_activity_per_cmdr_lists_the_cmdrs_who_worked_even_if_it_cancels_out(
    seeded: Database,
) -> None:
    async with seeded.tenant_write(A) as session:
        await replace_activity(
            session,
            snapshot(
                "Dan",
                TICK2,
                at(26, 18),
                {},
                Alpha=[faction(ADF, "War", 0.4, infprimary=1), faction(PIRATES, "War", 0.3)],
                Beta=[faction(BETA_UNION, "None", 0.6, infprimary=-1)],
            ),
        )
        # handed in nothing: stored (the plugin sent its rescue items), but no activity
        await replace_activity(
            session,
            snapshot(
                "Eve", TICK2, at(26, 18), {}, Alpha=[faction(ADF, "War", 0.4, sandr=rescue())]
            ),
        )
    async with summaries.reading(seeded, A) as session:
        current = await summaries.activity_per_cmdr(session, period("ct"))
        dan = await summaries.cmdr_activity(session, period("ct"), "Dan")
    assert current["Dan"] == ActivityCounts()  # worked for two factions, nothing left in sum
    assert "Eve" not in current
    assert [(r.faction, r.counts.influence) for r in dan] == [(ADF, 1), (BETA_UNION, -1)]


async def test_faction_activity_by_tick(seeded: Database) -> None:
    async with seeded.tenant(A) as session:
        three = await summaries.faction_activity_by_tick(session, ADF, ticks=3)
        two = await summaries.faction_activity_by_tick(session, ADF, ticks=2)
    assert [(t.tickid, t.ticktime, t.counts) for t in three] == [
        ("zoy-0", TICK0.ticktime, ActivityCounts()),  # known from a jump, no tally
        ("zoy-1", TICK1.ticktime, counts(inf_primary=5)),
        (
            "zoy-2",
            TICK2.ticktime,
            counts(
                inf_primary=4,
                bounty_vouchers=100_000,
                combat_bonds=50_000,
                cz_space_high=1,
                search_rescue=4,
            ),
        ),
    ]
    assert [t.tickid for t in two] == ["zoy-1", "zoy-2"]


def war(kills_by_type: dict[str, int], rescued: int = 0, reactivated: int = 0) -> ThargoidWar:
    return ThargoidWar(tuple(kills(**kills_by_type).values()), rescued, reactivated)


async def test_thargoid_war(seeded: Database) -> None:
    async def rows(code: str, **filters: str) -> list[tuple[str, str, ThargoidWar]]:
        async with seeded.tenant(A) as session:
            found = await summaries.thargoid_war(session, period(code), **filters)
        return [(r.cmdr, r.system, r.counts) for r in found]

    ann_beta = war({"cyclops": 1, "scout": 3}, rescued=3, reactivated=1)
    current = [("Ann", "Beta", ann_beta), ("Bob", "Beta", war({"scout": 1}))]
    assert await rows("ct") == current
    assert await rows("lt") == [("Ann", "Alpha", war({"scout": 2}))]
    assert await rows("ld") == await rows("lt")  # by the tick's time, as every tally
    assert await rows("all") == [("Ann", "Alpha", war({"scout": 2})), *current]
    assert await rows("all", system="Alpha") == [("Ann", "Alpha", war({"scout": 2}))]
    assert await rows("all", cmdr="Bob") == current[1:]
    assert await rows("lm") == []

    async with seeded.tenant(A) as session:
        found = await summaries.thargoid_war(session, period("all"))
    by_system = summaries.war_totals(found, lambda row: row.system)
    assert by_system == {
        "Alpha": war({"scout": 2}),
        "Beta": war({"cyclops": 1, "scout": 4}, rescued=3, reactivated=1),
    }
    assert by_system["Beta"].kills_by_type() == [("scout", 4), ("cyclops", 1)]
    ann = summaries.war_totals(found, lambda row: row.cmdr)["Ann"]
    assert (ann.total_kills, ann.rescue, ann.reactivated) == (6, 3, 1)


# --------------------------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------------------------


async def test_systems_worked(seeded: Database) -> None:
    galaxy_tick = TICK2.ticktime

    async def rows(code: str, tick: datetime | None = galaxy_tick) -> list[tuple[Any, ...]]:
        async with seeded.tenant(A) as session:
            found = await summaries.systems_worked(session, period(code), tick)
        return [(r.system, r.events, r.newest, r.fresh) for r in found]

    assert await rows("ct") == [
        ("Alpha", 16, at(26, 15, 20), True),
        ("Beta", 5, at(26, 14, 40), True),
        ("Delta", 1, at(26, 16), True),
    ]
    # last tick: the late hand-in counts for it; Alpha has newer data, Gamma has not
    assert await rows("lt") == [("Alpha", 3, at(26, 15, 20), True), ("Gamma", 1, at(25, 14), False)]
    assert await rows("ld") == [("Alpha", 2, at(26, 15, 20), True), ("Gamma", 1, at(25, 14), False)]
    assert await rows("all") == [
        ("Alpha", 19, at(26, 15, 20), True),
        ("Beta", 5, at(26, 14, 40), True),
        ("Delta", 1, at(26, 16), True),
        ("Gamma", 2, at(25, 14), False),
    ]
    assert [r[3] for r in await rows("ct", tick=None)] == [None, None, None]
    async with seeded.tenant(A) as session:
        gamma = (await summaries.systems_worked(session, period("lt"), galaxy_tick))[1]
    assert gamma.age_at_tick == timedelta(hours=21)


async def test_objective_systems_not_visited(seeded: Database) -> None:
    async with seeded.tenant(A) as session:
        since_tick = await summaries.objective_systems_not_visited(session, TICK2.ticktime, NOW)
        ever = await summaries.objective_systems_not_visited(session, None, NOW)
    # Alpha and Delta (named "delta") were visited since the tick; Gamma only before it (and by
    # guild B after it); Kappa never; Epsilon's and Zeta's objectives are not active.
    assert [(s.system, s.objectives) for s in since_tick] == [
        ("Gamma", ("Hold Alpha", "Scout")),
        ("Kappa", ("Hold Alpha",)),
    ]
    assert [s.system for s in ever] == ["Kappa"]


async def test_empty_tick_period_matches_nothing(seeded: Database) -> None:
    empty = period_for("lt", NOW, [TICK2])
    assert empty.by_tick and empty.tick is None
    async with seeded.tenant(A) as session:
        assert await summaries.leaderboard(session, empty, ADF) == []
        assert await summaries.influence_by_faction(session, empty) == []
        assert await summaries.space_czs(session, empty) == []
        assert await summaries.ground_czs(session, empty) == []
        assert await summaries.activity_summary(session, empty) == []
        assert await summaries.activity_per_cmdr(session, empty) == {}
        assert await summaries.cmdr_activity(session, empty, "Ann") == []
        assert await summaries.systems_worked(session, empty, TICK2.ticktime) == []
        assert await summaries.thargoid_war(session, empty) == []


ITEMS = ("damagedpods", "occupiedpods", "thargoidpods", "blackboxes", "wreckagecomponents")


async def test_stored_totals_agree_with_the_counters_they_come_from(db: Database) -> None:
    """The leaderboard ranks by each tally's stored totals, and by the JSON counters of one
    system when it is given one: over random tallies (keys missing, unknown or zero, objects
    absent), the totals equal the sum of every system's counters, for every cmdr."""
    rng = random.Random(16)
    systems = list(ADDRESS)

    def counters(keys: tuple[str, ...]) -> dict[str, int] | None:
        if rng.random() < 0.3:
            return None
        chosen = rng.sample([*keys, "unknown"], rng.randint(0, len(keys)))
        return {key: rng.randint(0, 5) for key in chosen}

    for cmdr in ("Ann", "Bob", "Cara"):
        for tick in TICKS:
            tally = snapshot(
                cmdr,
                tick,
                tick.ticktime,
                {
                    name: {"twkills": counters(TW_KILL_TYPES) or {}, "twsandr": counters(ITEMS)}
                    for name in systems
                },
                **{
                    name: [faction(f"F{n}", None, None, sandr=counters(ITEMS)) for n in range(3)]
                    for name in systems
                },
            )
            async with db.tenant_write(A) as session:
                await replace_activity(session, tally)

    def tallied(rows: list[CmdrMetrics]) -> dict[str, tuple[int, int, int]]:
        return {r.cmdr: (r.thargoid_kills, r.tw_rescue, r.search_rescue) for r in rows}

    everything = period("all")
    async with summaries.reading(db, A) as session:
        totals = tallied(await summaries.leaderboard(session, everything, ADF))
        by_system = [
            tallied(await summaries.leaderboard(session, everything, ADF, system=name))
            for name in systems
        ]
    summed = {
        cmdr: tuple(sum(part.get(cmdr, (0, 0, 0))[i] for part in by_system) for i in range(3))
        for cmdr in totals
    }
    assert totals == summed
    assert all(sum(values) > 0 for values in totals.values())
