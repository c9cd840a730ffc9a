"""Objectives: validation, CRUD, autocomplete, and live progress counted from stored events.

Every progress case stores, next to the events that count, the same event just outside the
window, for another faction, in another system and in another guild: the expected figures are
exact, so a missing filter fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from bgs import objectives as obj
from bgs.ingest import replace_activity
from bgs.names import faction_names, system_names
from bgs.objectives import Contribution, ObjectiveError, ObjectiveNotFoundError
from db import models
from db.database import Database
from tests.helpers.plugin_events import (
    ADF,
    ALPHA,
    ALPHA_ADDRESS,
    BETA,
    BETA_ADDRESS,
    BETA_POS,
    BETA_UNION,
    PIRATES,
    Event,
    bounty,
    combat_bond,
    crime,
    cz_objective,
    docked,
    exploration,
    ground_cz,
    influence,
    jump,
    market_sell,
    mission_failed,
    space_cz,
    store,
)

GUILD, OTHER_GUILD = 1001, 2002
START = datetime(2026, 11, 20, tzinfo=UTC)
END = datetime(2026, 11, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
INSIDE = datetime(2026, 11, 25, 10, tzinfo=UTC)
BEFORE = START - timedelta(seconds=1)
AFTER = END + timedelta(seconds=1)
ONE, TWO, THREE = "Cmdr One", "Cmdr Two", "Cmdr Three"


async def new_objective(db: Database, guild: int = GUILD, **fields: Any) -> int:
    values: dict[str, Any] = {
        "title": "Win the war",
        "objective_type": "win_war",
        "system": ALPHA,
        "faction": ADF,
        "starts_at": START,
        "ends_at": END,
    } | fields
    async with db.tenant_write(guild) as session:
        return await obj.create_objective(session, **values)


async def new_target(db: Database, objective_id: int, target_type: str, **fields: Any) -> int:
    async with db.tenant_write(GUILD) as session:
        return await obj.add_target(session, objective_id, target_type=target_type, **fields)


async def progress_of(
    db: Database, objective_id: int, now: datetime = NOW
) -> obj.ObjectiveProgress:
    async with db.tenant(GUILD) as session:
        return await obj.get_objective(session, objective_id, now=now)


# --------------------------------------------------------------------------------------------
# Progress per target type
# --------------------------------------------------------------------------------------------

Maker = Callable[[datetime, str, str, str, int], Event]  # (at, faction, cmdr, system, address)


@dataclass(frozen=True)
class Case:
    target_type: str
    make: Maker  # one event that counts `unit` for (faction, system)
    unit: int
    decoys: Callable[[datetime], list[Event]] = lambda _at: []  # right place and time, not counted


def _env(cmdr: str, system: str, address: int) -> dict[str, Any]:
    return {"cmdr": cmdr, "system": system, "address": address}


CASES = [
    Case(
        "inf",
        lambda at, f, c, s, a: influence(at, f, "++", effect_address=a, **_env(c, s, a)),
        2,
        lambda at: [influence(at, ADF, "+++", effect_address=BETA_ADDRESS)],
    ),
    Case(
        "bv",
        lambda at, f, c, s, a: bounty(at, f, 1500, **_env(c, s, a)),
        1500,
        lambda at: [combat_bond(at, ADF, 7000)],
    ),
    Case(
        "cb",
        lambda at, f, c, s, a: combat_bond(at, f, 80000, **_env(c, s, a)),
        80000,
        lambda at: [bounty(at, ADF, 7000)],
    ),
    Case("expl", lambda at, f, c, s, a: exploration(at, f, 120000, **_env(c, s, a)), 120000),
    Case(
        "expl",
        lambda at, f, c, s, a: exploration(at, f, 350000, multi=True, **_env(c, s, a)),
        350000,
    ),
    Case(
        "trade_prof",
        lambda at, f, c, s, a: market_sell(at, f, count=8, sale=51000, paid=45000, **_env(c, s, a)),
        48000,
        lambda at: [market_sell(at, ADF, count=1, sale=900, paid=100, black_market=True)],
    ),
    Case(
        "bm_prof",
        lambda at, f, c, s, a: market_sell(
            at, f, count=2, sale=900, paid=100, black_market=True, **_env(c, s, a)
        ),
        1600,
        lambda at: [market_sell(at, ADF, count=1, sale=51000, paid=45000)],
    ),
    Case(
        "space_cz",
        lambda at, f, c, s, a: space_cz(at, f, "medium", **_env(c, s, a)),
        1,
        lambda at: [ground_cz(at, ADF, "Barnes Enterprise")],
    ),
    Case("space_cz", lambda at, f, c, s, a: cz_objective(at, f, 2, **_env(c, s, a)), 2),
    Case(
        "ground_cz",
        lambda at, f, c, s, a: ground_cz(at, f, "Barnes Enterprise", "high", **_env(c, s, a)),
        1,
        lambda at: [space_cz(at, ADF)],
    ),
    Case(
        "murder",
        lambda at, f, c, s, a: crime(at, f, **_env(c, s, a)),
        1,
        lambda at: [crime(at, ADF, "assault")],
    ),
    Case(
        "mission_fail",
        lambda at, f, c, s, a: mission_failed(at, f, **_env(c, s, a)),
        1,
        lambda at: [influence(at, ADF, "+")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.target_type}-{i}" for i, c in enumerate(CASES)])
async def test_target_progress_counts_only_the_window_faction_system_and_guild(
    db: Database, case: Case
) -> None:
    objective_id = await new_objective(db)
    await new_target(db, objective_id, case.target_type, target_overall=3 * case.unit)
    here = (ALPHA, ALPHA_ADDRESS)
    await store(
        db,
        GUILD,
        case.make(START, ADF, ONE, *here),  # the window's bounds are inside
        case.make(INSIDE, ADF, ONE, *here),
        case.make(END, ADF, TWO, *here),
        case.make(BEFORE, ADF, ONE, *here),
        case.make(AFTER, ADF, TWO, *here),
        case.make(INSIDE, PIRATES, ONE, *here),
        case.make(INSIDE, ADF, TWO, BETA, BETA_ADDRESS),
        *case.decoys(INSIDE),
    )
    await store(db, OTHER_GUILD, case.make(INSIDE, ADF, ONE, *here))

    target = (await progress_of(db, objective_id)).targets[0]

    assert target.progress == 3 * case.unit
    assert target.contributors == (Contribution(ONE, 2 * case.unit), Contribution(TWO, case.unit))
    assert target.complete
    assert target.completion == 1.0


async def test_target_system_and_faction_override_the_objectives(db: Database) -> None:
    objective_id = await new_objective(db)
    await new_target(db, objective_id, "bv", system=BETA, faction=BETA_UNION)
    await store(
        db,
        GUILD,
        bounty(INSIDE, BETA_UNION, 100, system=BETA, address=BETA_ADDRESS),
        bounty(INSIDE, ADF, 200, system=BETA, address=BETA_ADDRESS),
        bounty(INSIDE, BETA_UNION, 400),
    )
    target = (await progress_of(db, objective_id)).targets[0]
    assert (target.effective_system, target.effective_faction) == (BETA, BETA_UNION)
    assert target.progress == 100
    assert not target.complete  # 0 = open-ended: never complete
    assert target.completion is None


async def test_open_end_counts_until_now(db: Database) -> None:
    objective_id = await new_objective(db, ends_at=None)
    await new_target(db, objective_id, "cb")
    later = NOW + timedelta(days=3)
    await store(db, GUILD, combat_bond(INSIDE, ADF, 10), combat_bond(later, ADF, 1000))
    assert (await progress_of(db, objective_id)).targets[0].progress == 10
    assert (await progress_of(db, objective_id, now=later)).targets[0].progress == 1010


async def test_influence_follows_the_effects_system_address(db: Database) -> None:
    objective_id = await new_objective(db)
    await new_target(db, objective_id, "inf", target_overall=10)
    unknown_here = 3000003  # another guild knows this address as "Test System Alpha"
    await store(
        db,
        GUILD,
        jump(BEFORE),  # makes Alpha's address known
        # handed in at Beta, the effect is on Alpha: counts
        influence(
            INSIDE, ADF, "+++", effect_address=ALPHA_ADDRESS, system=BETA, address=BETA_ADDRESS
        ),
        # handed in at Alpha, the effect is on Beta: does not count
        influence(INSIDE, ADF, "++", effect_address=BETA_ADDRESS),
        # an effect without an address is on no known system
        influence(INSIDE, ADF, "+", effect_address=None),
        influence(
            INSIDE, ADF, "+++++", effect_address=unknown_here, system=BETA, address=BETA_ADDRESS
        ),
    )
    await store(db, OTHER_GUILD, jump(BEFORE, ALPHA, unknown_here))
    assert (await progress_of(db, objective_id)).targets[0].progress == 3


async def test_negative_influence_target_means_undermine(db: Database) -> None:
    objective_id = await new_objective(db, system=BETA, faction=BETA_UNION)
    await new_target(db, objective_id, "inf", target_overall=-10, target_individual=-3)
    beta = {"system": BETA, "address": BETA_ADDRESS, "cmdr": ONE}
    await store(
        db,
        GUILD,
        influence(INSIDE, BETA_UNION, "++", "DownBad", effect_address=BETA_ADDRESS, **beta),
        influence(INSIDE, BETA_UNION, "++", "DownBad", effect_address=BETA_ADDRESS, **beta),
        influence(
            INSIDE, BETA_UNION, "+", "DownBad", effect_address=BETA_ADDRESS, **beta | {"cmdr": TWO}
        ),
        influence(
            INSIDE, BETA_UNION, "+", "UpGood", effect_address=BETA_ADDRESS, **beta | {"cmdr": THREE}
        ),
    )
    target = (await progress_of(db, objective_id)).targets[0]
    assert target.progress == -4
    assert target.contributors == (
        Contribution(ONE, -4),
        Contribution(TWO, -1),
        Contribution(THREE, 1),
    )
    assert not target.complete
    assert target.completion == pytest.approx(0.4)

    await store(
        db,
        GUILD,
        influence(INSIDE, BETA_UNION, "+++++", "DownBad", effect_address=BETA_ADDRESS, **beta),
        influence(INSIDE, BETA_UNION, "+", "DownBad", effect_address=BETA_ADDRESS, **beta),
    )
    target = (await progress_of(db, objective_id)).targets[0]
    assert target.progress == -10
    assert target.complete
    assert (await progress_of(db, objective_id)).complete


async def test_ground_cz_progress_per_settlement(db: Database) -> None:
    objective_id = await new_objective(db)
    target_id = await new_target(db, objective_id, "ground_cz", target_overall=10)
    async with db.tenant_write(GUILD) as session:
        await obj.add_settlement(
            session, objective_id, target_id, name="Barnes Enterprise", target_overall=3
        )
        await obj.add_settlement(
            session, objective_id, target_id, name="Fort Other", target_overall=1
        )
    await store(
        db,
        GUILD,
        ground_cz(INSIDE, ADF, "Barnes Enterprise", cmdr=ONE),
        ground_cz(INSIDE, ADF, "Barnes Enterprise", "medium", cmdr=ONE),
        ground_cz(INSIDE, ADF, "Barnes Enterprise", "medium", cmdr=TWO),
        ground_cz(INSIDE, ADF, "Barnes Enterprise", "low", -1, cmdr=TWO),  # a correction
        ground_cz(INSIDE, ADF, "Fort Other", "high", cmdr=TWO),
        ground_cz(INSIDE, ADF, "Unlisted Base", cmdr=ONE),
        ground_cz(INSIDE, PIRATES, "Barnes Enterprise", cmdr=ONE),
        ground_cz(BEFORE, ADF, "Fort Other", cmdr=ONE),
    )
    target = (await progress_of(db, objective_id)).targets[0]
    assert target.progress == 4
    assert target.contributors == (Contribution(ONE, 3), Contribution(TWO, 1))
    barnes, fort = target.settlements
    assert (barnes.name, barnes.progress, barnes.complete) == ("Barnes Enterprise", 2, False)
    assert barnes.contributors == (Contribution(ONE, 2),)  # Two's net 0 is no contribution
    assert barnes.completion == pytest.approx(2 / 3)
    assert (fort.name, fort.progress, fort.complete) == ("Fort Other", 1, True)
    assert fort.contributors == (Contribution(TWO, 1),)


async def test_visit_a_system(db: Database) -> None:
    objective_id = await new_objective(db)
    await new_target(db, objective_id, "visit", system=BETA)
    await store(
        db,
        GUILD,
        jump(BEFORE, BETA, BETA_ADDRESS, BETA_POS, cmdr=THREE),
        jump(INSIDE, ALPHA, cmdr=THREE),
        docked(INSIDE, "Beta Station", BETA, BETA_ADDRESS, cmdr=THREE),
    )
    await store(db, OTHER_GUILD, jump(INSIDE, BETA, BETA_ADDRESS, BETA_POS, cmdr=THREE))
    target = (await progress_of(db, objective_id)).targets[0]
    assert (target.progress, target.complete, target.completion) == (0, False, 0.0)

    await store(
        db,
        GUILD,
        jump(INSIDE, BETA, BETA_ADDRESS, BETA_POS, cmdr=ONE),
        jump(INSIDE + timedelta(hours=1), BETA, BETA_ADDRESS, BETA_POS, cmdr=ONE),
        jump(INSIDE, BETA, BETA_ADDRESS, BETA_POS, cmdr=TWO, name="Location"),
        jump(INSIDE, BETA, BETA_ADDRESS, BETA_POS, cmdr=THREE, name="CarrierJump"),
    )
    target = (await progress_of(db, objective_id)).targets[0]
    assert (target.progress, target.complete, target.completion) == (1, True, 1.0)
    assert target.contributors == (
        Contribution(ONE, 2),
        Contribution(THREE, 1),
        Contribution(TWO, 1),
    )


async def test_visit_a_station_needs_docking_there(db: Database) -> None:
    objective_id = await new_objective(db)
    await new_target(db, objective_id, "visit", station="Alpha Port")
    await store(
        db,
        GUILD,
        jump(INSIDE, cmdr=ONE),
        docked(INSIDE, "Alpha Outpost", cmdr=ONE),
        docked(INSIDE, "Alpha Port", BETA, BETA_ADDRESS, cmdr=ONE),  # same name, other system
        docked(BEFORE, "Alpha Port", cmdr=ONE),
    )
    assert (await progress_of(db, objective_id)).targets[0].progress == 0

    await store(
        db,
        GUILD,
        docked(INSIDE, "Alpha Port", cmdr=TWO),
        jump(INSIDE, name="Location", StationName="Alpha Port", Docked=True, cmdr=THREE),
    )
    target = (await progress_of(db, objective_id)).targets[0]
    assert target.progress == 1
    assert target.contributors == (Contribution(THREE, 1), Contribution(TWO, 1))


async def test_visit_without_any_system_counts_nothing(db: Database) -> None:
    objective_id = await new_objective(db, system=None)
    await new_target(db, objective_id, "visit")
    await store(db, GUILD, jump(INSIDE))
    assert (await progress_of(db, objective_id)).targets[0].progress == 0


async def test_objective_without_system_and_faction_counts_everywhere(db: Database) -> None:
    objective_id = await new_objective(db, system=None, faction=None)
    await new_target(db, objective_id, "cb")
    await store(
        db,
        GUILD,
        combat_bond(INSIDE, ADF, 10),
        combat_bond(INSIDE, BETA_UNION, 20, system=BETA, address=BETA_ADDRESS),
    )
    assert (await progress_of(db, objective_id)).targets[0].progress == 30


@contextmanager
def recorded_statements(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.engine().sync_engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


async def test_one_progress_query_for_every_target_of_every_objective(db: Database) -> None:
    first = await new_objective(db)
    for target_type in obj.TARGET_TYPES:
        await new_target(db, first, target_type)
    second = await new_objective(db, priority=1)
    await new_target(db, second, "cb", faction=PIRATES)
    await store(
        db, GUILD, combat_bond(INSIDE, ADF, 5), combat_bond(INSIDE, PIRATES, 7), jump(INSIDE)
    )
    loads = 3  # the objectives, their targets, the targets' settlements

    with recorded_statements(db) as statements:
        progress = await progress_of(db, first)
    assert {t.type: t.progress for t in progress.targets} == dict.fromkeys(obj.TARGET_TYPES, 0) | {
        "cb": 5,
        "visit": 1,
    }
    assert len(statements) == loads + 1
    assert "UNION ALL" in statements[-1]

    with recorded_statements(db) as statements:
        async with db.tenant(GUILD) as session:
            listed = await obj.list_objectives(session, now=NOW)
    assert [(o.id, o.targets[-1].progress) for o in listed] == [(second, 7), (first, 0)]
    assert len(statements) == loads + 1

    with recorded_statements(db) as statements:
        async with db.tenant(GUILD) as session:
            served = await obj.plugin_objectives(session, "1.8.0", NOW)
    assert len(served) == 2
    assert len(statements) == loads + 2  # and the systems' coordinates


# --------------------------------------------------------------------------------------------
# Validation: each mistake says what is allowed
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"objective_type": "war"},
            "'war' is not an objective type. Use one of: recon, win_war, draw_war, "
            "win_election, draw_election, boost, expand, reduce, retreat, equalise.",
        ),
        ({"priority": 6}, "The priority must be a whole number from 0 to 5."),
        ({"priority": -1}, "The priority must be a whole number from 0 to 5."),
        (
            {"ends_at": START - timedelta(days=1)},
            "The end (2026-11-19T00:00:00Z) must be after the start (2026-11-20T00:00:00Z).",
        ),
        (
            {"ends_at": START},
            "The end (2026-11-20T00:00:00Z) must be after the start (2026-11-20T00:00:00Z).",
        ),
        ({"title": "   "}, "The title cannot be empty."),
        ({"title": "x" * 201}, "The title is too long: at most 200 characters."),
        ({"system": "S" * 129}, "The system name is too long: at most 128 characters."),
        ({"faction": "F" * 129}, "The faction name is too long: at most 128 characters."),
    ],
)
async def test_create_refuses(db: Database, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ObjectiveError) as raised:
        await new_objective(db, **fields)
    assert str(raised.value) == message
    async with db.tenant(GUILD) as session:
        assert (await session.execute(select(func.count(models.Objective.id)))).scalar_one() == 0


@pytest.mark.parametrize(
    ("target_type", "fields", "message"),
    [
        (
            "trade",
            {},
            "'trade' is not a target type. Use one of: visit, inf, bv, cb, expl, trade_prof, "
            "bm_prof, ground_cz, space_cz, murder, mission_fail.",
        ),
        (
            "bv",
            {"station": "Alpha Port"},
            "A station can only be set on a visit target, not on a bv target.",
        ),
        (
            "cb",
            {"target_overall": -5},
            "Goals cannot be negative, except on inf targets, where a negative goal means "
            "undermine the faction.",
        ),
        (
            "murder",
            {"target_individual": -1},
            "Goals cannot be negative, except on inf targets, where a negative goal means "
            "undermine the faction.",
        ),
        ("visit", {"station": "S" * 129}, "The station name is too long: at most 128 characters."),
    ],
)
async def test_add_target_refuses(
    db: Database, target_type: str, fields: dict[str, Any], message: str
) -> None:
    objective_id = await new_objective(db)
    with pytest.raises(ObjectiveError) as raised:
        await new_target(db, objective_id, target_type, **fields)
    assert str(raised.value) == message
    assert (await progress_of(db, objective_id)).targets == ()


async def test_settlement_rules(db: Database) -> None:
    objective_id = await new_objective(db)
    space = await new_target(db, objective_id, "space_cz")
    ground = await new_target(db, objective_id, "ground_cz")
    async with db.tenant_write(GUILD) as session:
        with pytest.raises(ObjectiveError) as raised:
            await obj.add_settlement(session, objective_id, space, name="Barnes Enterprise")
        assert str(raised.value) == (
            "Settlements can only be added to ground_cz targets; this is a space_cz target."
        )
        with pytest.raises(ObjectiveError) as raised:
            await obj.add_settlement(session, objective_id, ground, name="  ")
        assert str(raised.value) == "The settlement name cannot be empty."
        with pytest.raises(ObjectiveError) as raised:
            await obj.add_settlement(session, objective_id, ground, name="B", target_overall=-1)
        assert str(raised.value) == "Settlement goals cannot be negative."


async def test_at_most_25_targets_and_25_settlements_per_target(db: Database) -> None:
    objective_id = await new_objective(db)
    async with db.tenant_write(GUILD) as session:
        for _ in range(obj.MAX_TARGETS):
            target_id = await obj.add_target(session, objective_id, target_type="ground_cz")
        for index in range(obj.MAX_TARGETS):
            await obj.add_settlement(session, objective_id, target_id, name=f"Base {index}")
    with pytest.raises(ObjectiveError) as raised:
        await new_target(db, objective_id, "cb")
    assert str(raised.value) == "An objective can have at most 25 targets; remove one first."
    with pytest.raises(ObjectiveError) as raised:
        async with db.tenant_write(GUILD) as session:
            await obj.add_settlement(session, objective_id, target_id, name="One more")
    assert str(raised.value) == "A target can have at most 25 settlements; remove one first."


async def test_unknown_ids_and_other_guilds_objectives_are_not_found(db: Database) -> None:
    theirs = await new_objective(db, guild=OTHER_GUILD)
    ours = await new_objective(db)
    target_id = await new_target(db, ours, "ground_cz")
    async with db.tenant_write(GUILD) as session:
        settlement_id = await obj.add_settlement(session, ours, target_id, name="Barnes")
    attempts = [
        (
            lambda s: obj.get_objective(s, theirs, now=NOW),
            f"There is no objective #{theirs}; pick one from the list.",
        ),
        (
            lambda s: obj.edit_objective(s, theirs, title="mine now"),
            f"There is no objective #{theirs}; pick one from the list.",
        ),
        (
            lambda s: obj.delete_objective(s, theirs),
            f"There is no objective #{theirs}; pick one from the list.",
        ),
        (
            lambda s: obj.add_target(s, theirs, target_type="cb"),
            f"There is no objective #{theirs}; pick one from the list.",
        ),
        (
            lambda s: obj.remove_target(s, theirs, target_id),
            f"Objective #{theirs} has no target #{target_id}; pick one from the list.",
        ),
        (
            lambda s: obj.add_settlement(s, theirs, target_id, name="X"),
            f"Objective #{theirs} has no target #{target_id}; pick one from the list.",
        ),
        (
            lambda s: obj.remove_settlement(s, theirs, settlement_id),
            f"Objective #{theirs} has no settlement #{settlement_id}; pick one from the list.",
        ),
    ]
    for attempt, message in attempts:
        with pytest.raises(ObjectiveNotFoundError) as raised:
            async with db.tenant_write(GUILD) as session:
                await attempt(session)
        assert str(raised.value) == message
    async with db.tenant(OTHER_GUILD) as session:
        untouched = await obj.get_objective(session, theirs, now=NOW)
    assert (untouched.title, untouched.targets) == ("Win the war", ())


# --------------------------------------------------------------------------------------------
# Changing and reading
# --------------------------------------------------------------------------------------------


async def test_create_edit_and_read_back(db: Database) -> None:
    objective_id = await new_objective(
        db, priority=4, description="  Push them out.  ", created_by=42
    )
    created = await progress_of(db, objective_id)
    assert (created.title, created.type, created.type_label) == (
        "Win the war",
        "win_war",
        "Win a War",
    )
    assert (created.system, created.faction, created.priority) == (ALPHA, ADF, 4)
    assert (created.starts_at, created.ends_at) == (START, END)
    assert (created.description, created.created_by) == ("Push them out.", 42)
    assert not created.complete  # no targets yet

    async with db.tenant_write(GUILD) as session:
        await obj.edit_objective(session, objective_id, title=" Hold the line ", priority=2)
    edited = await progress_of(db, objective_id)
    assert (edited.title, edited.priority) == ("Hold the line", 2)
    assert (edited.system, edited.faction, edited.ends_at, edited.description) == (
        ALPHA,
        ADF,
        END,
        "Push them out.",
    )

    async with db.tenant_write(GUILD) as session:
        await obj.edit_objective(
            session,
            objective_id,
            ends_at=None,
            system="",
            description=None,
            objective_type="boost",
        )
    cleared = await progress_of(db, objective_id)
    assert (cleared.ends_at, cleared.system, cleared.description, cleared.type) == (
        None,
        None,
        None,
        "boost",
    )


async def test_edit_validates_before_changing_anything(db: Database) -> None:
    objective_id = await new_objective(db)
    with pytest.raises(ObjectiveError) as raised:
        async with db.tenant_write(GUILD) as session:
            await obj.edit_objective(
                session, objective_id, title="New", starts_at=END + timedelta(days=1)
            )
    assert str(raised.value) == (
        "The end (2026-11-30T00:00:00Z) must be after the start (2026-12-01T00:00:00Z)."
    )
    assert (await progress_of(db, objective_id)).title == "Win the war"


async def test_targets_and_settlements_are_added_and_removed(db: Database) -> None:
    objective_id = await new_objective(db)
    keep = await new_target(db, objective_id, "space_cz", target_overall=20, target_individual=2)
    ground = await new_target(db, objective_id, "ground_cz", target_overall=10)
    async with db.tenant_write(GUILD) as session:
        barnes = await obj.add_settlement(
            session,
            objective_id,
            ground,
            name="Barnes Enterprise",
            target_overall=3,
            target_individual=1,
        )
        await obj.add_settlement(session, objective_id, ground, name="Fort Other")
    loaded = await progress_of(db, objective_id)
    assert [(t.id, t.type, t.target_overall, t.target_individual) for t in loaded.targets] == [
        (keep, "space_cz", 20, 2),
        (ground, "ground_cz", 10, 0),
    ]
    assert [
        (s.name, s.target_overall, s.target_individual) for s in loaded.targets[1].settlements
    ] == [
        ("Barnes Enterprise", 3, 1),
        ("Fort Other", 0, 0),
    ]

    async with db.tenant_write(GUILD) as session:
        await obj.remove_settlement(session, objective_id, barnes)
    assert [s.name for s in (await progress_of(db, objective_id)).targets[1].settlements] == [
        "Fort Other"
    ]
    async with db.tenant_write(GUILD) as session:
        await obj.remove_target(session, objective_id, ground)
    assert [t.id for t in (await progress_of(db, objective_id)).targets] == [keep]
    async with db.tenant(GUILD) as session:
        left = (
            await session.execute(select(func.count(models.ObjectiveSettlement.id)))
        ).scalar_one()
    assert left == 0


async def test_delete_removes_the_whole_tree(db: Database) -> None:
    objective_id = await new_objective(db)
    ground = await new_target(db, objective_id, "ground_cz")
    async with db.tenant_write(GUILD) as session:
        await obj.add_settlement(session, objective_id, ground, name="Barnes Enterprise")
    other = await new_objective(db, guild=OTHER_GUILD)
    async with db.tenant_write(GUILD) as session:
        assert await obj.delete_objective(session, objective_id) == "Win the war"
    async with db.unscoped() as session:
        for model in (models.Objective, models.ObjectiveTarget, models.ObjectiveSettlement):
            guilds = (await session.execute(select(model.guild_id))).scalars().all()
            assert GUILD not in guilds
        remaining = (await session.execute(select(models.Objective.id))).scalars().all()
    assert remaining == [other]


async def test_list_orders_and_filters(db: Database) -> None:
    day = timedelta(days=1)
    ids = {
        "late": await new_objective(db, title="late", priority=5, ends_at=NOW + 3 * day),
        "soon": await new_objective(db, title="soon", priority=5, ends_at=NOW + day),
        "open": await new_objective(db, title="open", priority=1, ends_at=None),
        "ended": await new_objective(db, title="ended", priority=3, ends_at=NOW - day),
        "future": await new_objective(
            db,
            title="future",
            priority=2,
            starts_at=NOW + day,
            ends_at=NOW + 2 * day,
            system=BETA,
            faction=BETA_UNION,
        ),
    }
    await new_target(db, ids["open"], "inf", system=BETA)
    await new_objective(db, guild=OTHER_GUILD, title="theirs", priority=5)

    async def titles(**filters: Any) -> list[str]:
        async with db.tenant(GUILD) as session:
            return [o.title for o in await obj.list_objectives(session, now=NOW, **filters)]

    assert await titles() == ["soon", "late", "ended", "future", "open"]
    assert await titles(active_only=True) == ["soon", "late", "open"]
    assert await titles(system="test system beta") == ["future", "open"]
    assert await titles(faction="BETA UNION") == ["future"]
    assert await titles(active_only=True, system=BETA) == ["open"]


async def test_list_carries_progress(db: Database) -> None:
    objective_id = await new_objective(db)
    await new_target(db, objective_id, "cb", target_overall=100)
    await new_target(db, objective_id, "visit", system=BETA)
    await new_target(db, objective_id, "bv")  # open-ended: not part of the completion
    await store(db, GUILD, combat_bond(INSIDE, ADF, 50))
    async with db.tenant(GUILD) as session:
        (listed,) = await obj.list_objectives(session, now=NOW)
    assert [t.progress for t in listed.targets] == [50, 0, 0]
    assert listed.completion == pytest.approx(0.25)
    assert listed.active(NOW)
    assert not listed.active(AFTER)


# --------------------------------------------------------------------------------------------
# Autocomplete
# --------------------------------------------------------------------------------------------


async def test_objective_target_and_settlement_choices(db: Database) -> None:
    war = await new_objective(db, title="Win the war in Alpha", priority=5)
    boost = await new_objective(db, title="Boost 100% of Alpha_Traders", priority=1)
    await new_objective(db, guild=OTHER_GUILD, title="Alpha for them")
    async with db.tenant(GUILD) as session:
        assert await obj.objective_choices(session, "alpha") == [
            (war, f"#{war} Win the war in Alpha"),
            (boost, f"#{boost} Boost 100% of Alpha_Traders"),
        ]
        assert await obj.objective_choices(session, "100%") == [
            (boost, f"#{boost} Boost 100% of Alpha_Traders")
        ]
        assert await obj.objective_choices(session, "a_t") == [
            (boost, f"#{boost} Boost 100% of Alpha_Traders")
        ]
        assert await obj.objective_choices(session, "", limit=1) == [
            (war, f"#{war} Win the war in Alpha")
        ]

    cb = await new_target(db, war, "cb")
    visit = await new_target(db, war, "visit", system=BETA, station="Beta Station")
    ground = await new_target(db, war, "ground_cz", faction=PIRATES)
    async with db.tenant_write(GUILD) as session:
        barnes = await obj.add_settlement(session, war, ground, name="Barnes Enterprise")
        fort = await obj.add_settlement(session, war, ground, name="Fort Other")
    async with db.tenant(GUILD) as session:
        assert await obj.target_choices(session, war, "") == [
            (cb, f"#{cb} Combat bonds · {ADF} · {ALPHA}"),
            (visit, f"#{visit} Visit Beta Station in {BETA}"),
            (ground, f"#{ground} Ground CZs · {PIRATES} · {ALPHA}"),
        ]
        assert await obj.target_choices(session, war, "pirates") == [
            (ground, f"#{ground} Ground CZs · {PIRATES} · {ALPHA}")
        ]
        assert await obj.target_choices(session, boost, "") == []
        assert await obj.settlement_choices(session, war, "") == [
            (barnes, f"Barnes Enterprise (target #{ground})"),
            (fort, f"Fort Other (target #{ground})"),
        ]
        assert await obj.settlement_choices(session, war, "fort") == [
            (fort, f"Fort Other (target #{ground})")
        ]
        assert await obj.settlement_choices(session, boost, "") == []


async def test_long_choice_labels_fit_discord(db: Database) -> None:
    objective_id = await new_objective(db, title="T" * 200)
    async with db.tenant(GUILD) as session:
        ((found, label),) = await obj.objective_choices(session, "t")
    assert found == objective_id
    assert len(label) == 100
    assert label.endswith("…")


async def test_system_and_faction_names_come_from_the_guilds_data(db: Database) -> None:
    await store(
        db,
        GUILD,
        jump(INSIDE, "Alphard", 5000005, [1.0, 2.0, 3.0]),
        jump(INSIDE, ALPHA),
        jump(INSIDE, BETA, BETA_ADDRESS, BETA_POS, SystemFaction={"Name": BETA_UNION}),
        combat_bond(INSIDE, ADF, 1),
        crime(INSIDE, PIRATES),
    )
    await store(db, OTHER_GUILD, jump(INSIDE, "Alpha Centauri", 6000006, [0.0, 0.0, 1.0]))
    activity = models.Activity(
        cmdr="Cmdr One",
        tickid="zoy-1",
        ticktime=None,
        timestamp=INSIDE,
        systems=[
            models.ActivitySystem(
                name="Activity Only",
                address=7000007,
                twkills={},
                twsandr=None,
                factions=[models.ActivityFaction(name="Alpha Activity Faction")],
            )
        ],
    )
    async with db.tenant_write(GUILD) as session:
        await replace_activity(session, activity)
    async with db.tenant(GUILD) as session:
        assert await system_names(session, "alpha") == ["Alphard", ALPHA]
        assert await system_names(session, "") == [
            "Activity Only",
            "Alphard",
            ALPHA,
            BETA,
        ]
        assert await system_names(session, "", limit=2) == ["Activity Only", "Alphard"]
        assert await faction_names(session, "alpha") == [
            "Alpha Activity Faction",
            ADF,
            PIRATES,
        ]
        assert await faction_names(session, "union") == [BETA_UNION]
        assert await faction_names(session, "force") == [ADF]


# --------------------------------------------------------------------------------------------
# The plugin's format (the listener test covers it over HTTP against the captured sample)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "as_object"),
    [
        ("1.8.0", True),
        ("1.10.0", True),
        ("2.0.0", True),
        ("1.7.9", False),
        (None, False),
        ("x.y", False),
    ],
)
async def test_plugin_system_form_follows_the_api_version(
    db: Database, api_version: str | None, as_object: bool
) -> None:
    objective_id = await new_objective(db, ends_at=None)
    await new_target(db, objective_id, "visit", system=BETA)
    await store(db, GUILD, jump(INSIDE), jump(INSIDE, BETA, BETA_ADDRESS, BETA_POS))
    async with db.tenant(GUILD) as session:
        (served,) = await obj.plugin_objectives(session, api_version, NOW)
    alpha = {"name": ALPHA, "x": 1.5, "y": -2.25, "z": 10.0}
    beta = {"name": BETA, "x": 0.0, "y": 0.0, "z": 0.0}
    assert served["system"] == (alpha if as_object else ALPHA)
    assert served["targets"][0]["system"] == (beta if as_object else BETA)
    assert "enddate" not in served
    assert served["startdate"] == "2026-11-20T00:00:00Z"


async def test_plugin_leaves_out_ended_objectives(db: Database) -> None:
    await new_objective(db, title="ended", ends_at=NOW - timedelta(seconds=1))
    await new_objective(db, title="ends now", ends_at=NOW)
    await new_objective(db, title="not started", starts_at=NOW + timedelta(days=1), ends_at=None)
    async with db.tenant(GUILD) as session:
        served = await obj.plugin_objectives(session, "1.8.0", NOW)
    assert [o["title"] for o in served] == ["ends now", "not started"]
    assert [o["targets"] for o in served] == [[], []]
