"""/objective over the fake Discord: officers set objectives up, members' events arrive through
the real listener, members see the live progress in Discord and the plugin in game."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bgs import objectives
from bgs.objectives import ObjectiveProgress
from cogs._ui import ts
from tests.fakes.fake_discord import JSON, InteractionRecord
from tests.helpers.plugin import PluginClient
from tests.helpers.plugin_events import (
    ADF,
    ALPHA,
    ALPHA_POS,
    BETA,
    BETA_ADDRESS,
    BETA_POS,
    BETA_UNION,
    PIRATES,
    Event,
    combat_bond,
    ground_cz,
    influence,
    jump,
)
from tests.helpers.squadron import Squadron, eventually, settle

DENIED = "This command is for officers: you need Manage Server or one of these roles: <@&{}>."
ONE, TWO, THREE, FOUR, FIVE, SIX = (f"Cmdr {name}" for name in "ABCDEF")
OBJECTIVE_TYPES = [
    "recon",
    "win_war",
    "draw_war",
    "win_election",
    "draw_election",
    "boost",
    "expand",
    "reduce",
    "retreat",
    "equalise",
]
TARGET_TYPES = [
    "visit",
    "inf",
    "bv",
    "cb",
    "expl",
    "trade_prof",
    "bm_prof",
    "ground_cz",
    "space_cz",
    "murder",
    "mission_fail",
]
SHOW_FOOTER = "Objective #{} · live progress from members' BGS-Tally data"
LIST_FOOTER = "{} · /objective show for targets and contributors"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def typed(at: datetime) -> str:
    """A date as an officer types it."""
    return at.strftime("%Y-%m-%d %H:%M")


def api(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


async def stored(squadron: Squadron) -> list[ObjectiveProgress]:
    """Every objective of the guild as the database holds it."""
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        return await objectives.list_objectives(session, now=datetime.now(UTC))


async def only_objective(squadron: Squadron) -> ObjectiveProgress:
    [objective] = await stored(squadron)
    return objective


async def seed(squadron: Squadron, title: str, **fields: Any) -> int:
    """An objective stored directly (for tests about reading)."""
    values: dict[str, Any] = {"title": title, "objective_type": "boost"} | fields
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        return await objectives.create_objective(session, **values)


async def seed_target(
    squadron: Squadron, objective_id: int, target_type: str, **fields: Any
) -> int:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        return await objectives.add_target(session, objective_id, target_type=target_type, **fields)


async def send_events(plugin: PluginClient, squadron: Squadron, *events: Event) -> None:
    reply = await plugin.post_events(list(events))
    assert reply.status == 200, reply.body
    await settle(squadron.bot)


def description_lines(record: InteractionRecord, page: int = 0) -> list[str]:
    assert record.reply is not None
    return str(record.reply.embeds[page]["description"]).split("\n")


def only_embed(record: InteractionRecord) -> JSON:
    assert record.reply is not None
    [embed] = record.reply.embeds
    return embed


async def accept_any_value(squadron: Squadron) -> None:
    """Discord holds /objective for the guild without its choices, as for a hand-made request
    or a client with a stale definition: the values then reach the bot as they were typed."""
    [definition] = [c for c in squadron.fake.synced_commands() if c["name"] == "objective"]
    stale = copy.deepcopy(definition)
    for subcommand in stale["options"]:
        for option in subcommand.get("options", []):
            option.pop("choices", None)
    bot = squadron.bot
    assert bot.application_id is not None
    await bot.http.bulk_upsert_guild_commands(bot.application_id, squadron.guild.id, [stale])


# --------------------------------------------------------------------------------------------
# The whole flow: officers set up, members play, everyone sees the progress
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class War:
    """The objective the flow tests set up through Discord, and its ids."""

    start: datetime
    objective_id: int
    bonds: int
    influence: int
    ground: int
    visit: int
    settlement: int


async def set_up_war(squadron: Squadron) -> War:
    """An officer creates 'Win the war in Alpha' with four targets and a settlement."""
    start = minute(datetime.now(UTC) - timedelta(days=2))
    created = await squadron.officer(
        "objective create",
        {
            "title": "Win the war in Alpha",
            "type": "win_war",
            "system": ALPHA,
            "faction": ADF,
            "priority": 4,
            "start": typed(start),
            "description": "Support ADF in its war.",
        },
    )
    assert created.ephemeral, created.text()
    assert created.reply is not None
    assert created.reply.content == (
        "Objective created. Add what counts towards it with `/objective target-add`."
    )
    objective_id = (await only_objective(squadron)).id
    assert only_embed(created)["title"] == "[★★★★☆] Win the war in Alpha"

    async def target(options: dict[str, Any]) -> int:
        record = await squadron.officer(
            "objective target-add", {"objective": str(objective_id)} | options
        )
        assert record.ephemeral, record.text()
        assert record.reply is not None
        latest = (await only_objective(squadron)).targets[-1].id
        assert record.reply.content == f"Target #{latest} added."
        return latest

    bonds = await target({"type": "cb", "overall": 1_000_000, "individual": 500_000})
    influence_id = await target({"type": "inf", "overall": 10})
    ground = await target({"type": "ground_cz", "overall": 5})
    visit = await target({"type": "visit", "system": BETA})
    added = await squadron.officer(
        "objective settlement-add",
        {
            "objective": str(objective_id),
            "target": str(ground),
            "name": "Barnes Enterprise",
            "overall": 3,
        },
    )
    assert added.ephemeral and added.reply is not None
    assert added.reply.content == "Settlement “Barnes Enterprise” added."
    [settlement] = (await only_objective(squadron)).targets[2].settlements
    return War(start, objective_id, bonds, influence_id, ground, visit, settlement.id)


async def play(plugin: PluginClient, squadron: Squadron, war: War) -> None:
    """Six cmdrs' work through the listener, with work that must not count next to it."""
    at = war.start + timedelta(days=1)
    bonds = [(ONE, 600_000), (TWO, 300_000), (THREE, 200_000), (FOUR, 100_000), (FIVE, 50_000)]
    await send_events(
        plugin,
        squadron,
        jump(at, cmdr=ONE),  # ALPHA's coordinates, for the plugin
        *(combat_bond(at, ADF, amount, cmdr=cmdr) for cmdr, amount in bonds),
        combat_bond(at, ADF, 10_000, cmdr=SIX),
        combat_bond(at, PIRATES, 999_000, cmdr=ONE),  # another faction
        combat_bond(war.start - timedelta(hours=1), ADF, 5_000_000, cmdr=ONE),  # before start
        influence(at, ADF, "+++", cmdr=ONE),
        influence(at, ADF, "+", cmdr=TWO),
        ground_cz(at, ADF, "Barnes Enterprise", "medium", 2, cmdr=ONE),
        ground_cz(at, ADF, "Other Settlement", cmdr=TWO),
        ground_cz(at, PIRATES, "Barnes Enterprise", cmdr=THREE),  # for the enemy
        jump(at, BETA, BETA_ADDRESS, BETA_POS, cmdr=THREE),
    )


async def test_objective_progress_from_members_events(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    war = await set_up_war(squadron)
    await play(plugin_for, squadron, war)

    record = await squadron.member("objective show", {"objective": str(war.objective_id)})
    assert not record.ephemeral
    embed = only_embed(record)
    assert embed["title"] == "[★★★★☆] Win the war in Alpha"
    assert embed["footer"]["text"] == SHOW_FOOTER.format(war.objective_id)
    assert description_lines(record) == [
        "› Support ADF in its war.",
        f"**Win a War** · {ADF} · {ALPHA}",
        f"{ts(war.start)} → no end date",
        "Overall ▰▰▰▰▰▰▰▰▱▱ 75%",
        "",
        f"**[✓ 1.3M / 1M CR] Combat bonds · {ADF} · {ALPHA}**",
        "▰▰▰▰▰▰▰▰▰▰ 100% · per cmdr 500K CR",
        f"1. {ONE} — 600K CR ✓",
        f"2. {TWO} — 300K CR",
        f"3. {THREE} — 200K CR",
        f"4. {FOUR} — 100K CR",
        f"5. {FIVE} — 50K CR",
        "",
        f"**[4 / 10 INF] Influence · {ADF} · {ALPHA}**",
        "▰▰▰▰▱▱▱▱▱▱ 40%",
        f"1. {ONE} — 3 INF",
        f"2. {TWO} — 1 INF",
        "",
        f"**[3 / 5 wins] Ground CZs · {ADF} · {ALPHA}**",
        "▰▰▰▰▰▰▱▱▱▱ 60%",
        "› [2 / 3 wins] Barnes Enterprise ▰▰▰▰▰▰▰▱▱▱ 67%",
        f"1. {ONE} — 2 wins",
        f"2. {TWO} — 1 wins",
        "",
        f"**[✓] Visit {BETA}**",
        f"Visited by {THREE}",
    ]

    listed = await squadron.member("objective list")
    assert description_lines(listed) == [
        f"[★★★★☆] **Win the war in Alpha** ▰▰▰▰▰▰▰▰▱▱ 75% · {ts(war.start, 'd')} → no end date"
    ]


async def test_the_plugin_gets_what_officers_set(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    war = await set_up_war(squadron)
    await play(plugin_for, squadron, war)
    ended = minute(datetime.now(UTC) - timedelta(days=30))
    await squadron.officer(
        "objective create",
        {"title": "Last month", "type": "boost", "start": typed(ended), "end": typed(ended)[:10]},
    )

    reply = await plugin_for.request("GET", "objectives")
    assert reply.status == 200
    alpha = {"name": ALPHA, "x": ALPHA_POS[0], "y": ALPHA_POS[1], "z": ALPHA_POS[2]}
    beta = {"name": BETA, "x": BETA_POS[0], "y": BETA_POS[1], "z": BETA_POS[2]}
    assert reply.body == [
        {
            "title": "Win the war in Alpha",
            "priority": 4,
            "type": "win_war",
            "description": "Support ADF in its war.",
            "system": alpha,
            "faction": ADF,
            "startdate": api(war.start),
            "targets": [
                {
                    "type": "cb",
                    "targetindividual": 500_000,
                    "targetoverall": 1_000_000,
                    "progress": 1_260_000,
                },
                {"type": "inf", "targetindividual": 0, "targetoverall": 10, "progress": 4},
                {
                    "type": "ground_cz",
                    "targetindividual": 0,
                    "targetoverall": 5,
                    "progress": 3,
                    "settlements": [
                        {
                            "name": "Barnes Enterprise",
                            "targetindividual": 0,
                            "targetoverall": 3,
                            "progress": 2,
                        }
                    ],
                },
                {
                    "type": "visit",
                    "system": beta,
                    "targetindividual": 0,
                    "targetoverall": 0,
                    "progress": 1,
                },
            ],
        }
    ]

    plugin_for.api_version = "1.7.0"
    older = await plugin_for.request("GET", "objectives")
    assert older.body[0]["system"] == ALPHA
    assert older.body[0]["targets"][3]["system"] == BETA


# --------------------------------------------------------------------------------------------
# Officers' changes
# --------------------------------------------------------------------------------------------


async def test_create_defaults_and_dates(squadron: Squadron) -> None:
    before = datetime.now(UTC)
    record = await squadron.officer(
        "objective create",
        {"title": "  Scout Beta  ", "type": "recon", "end": "2030-01-31"},
    )
    assert record.ephemeral
    objective = await only_objective(squadron)
    assert (objective.title, objective.type, objective.priority) == ("Scout Beta", "recon", 0)
    assert (objective.system, objective.faction, objective.description) == (None, None, None)
    assert before - timedelta(seconds=1) <= objective.starts_at <= datetime.now(UTC)
    assert objective.ends_at == datetime(2030, 1, 31, 23, 59, 59, tzinfo=UTC)
    assert objective.created_by == squadron.fake.default_user.id
    assert description_lines(record) == [
        "**Recon Mission** · any faction · any system",
        f"{ts(objective.starts_at)} → {ts(objective.ends_at)}",
        "Overall no targets yet",
        "",
        "No targets yet: officers add them with `/objective target-add`.",
    ]


async def test_manage_server_is_enough_to_create(squadron: Squadron) -> None:
    record = await squadron.admin("objective create", {"title": "Boost ADF", "type": "boost"})
    assert record.ephemeral and record.reply is not None
    assert record.reply.content.startswith("Objective created.")
    assert [o.title for o in await stored(squadron)] == ["Boost ADF"]


async def test_edit_changes_only_the_given_fields(squadron: Squadron) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    objective_id = await seed(
        squadron,
        "Boost ADF",
        system=ALPHA,
        faction=ADF,
        priority=2,
        starts_at=start,
        ends_at=datetime(2030, 2, 1, tzinfo=UTC),
        description="Push them up.",
    )
    record = await squadron.officer(
        "objective edit", {"objective": str(objective_id), "priority": 5, "end": "2030-03-01 18:30"}
    )
    assert record.ephemeral and record.reply is not None
    assert record.reply.content == "Objective updated."
    assert only_embed(record)["title"] == "[★★★★★] Boost ADF"
    edited = await only_objective(squadron)
    assert (edited.title, edited.type, edited.system, edited.faction) == (
        "Boost ADF",
        "boost",
        ALPHA,
        ADF,
    )
    assert (edited.priority, edited.starts_at, edited.description) == (5, start, "Push them up.")
    assert edited.ends_at == datetime(2030, 3, 1, 18, 30, tzinfo=UTC)

    await squadron.officer(
        "objective edit",
        {
            "objective": str(objective_id),
            "title": "Expand from Alpha",
            "type": "expand",
            "clear_end": True,
            "clear_description": True,
        },
    )
    edited = await only_objective(squadron)
    assert (edited.title, edited.type, edited.ends_at, edited.description) == (
        "Expand from Alpha",
        "expand",
        None,
        None,
    )
    assert (edited.priority, edited.system, edited.faction) == (5, ALPHA, ADF)


async def test_targets_and_settlements_are_removed(squadron: Squadron) -> None:
    objective_id = await seed(squadron, "Win the war", system=ALPHA, faction=ADF)
    bonds = await seed_target(squadron, objective_id, "cb", target_overall=1000)
    ground = await seed_target(squadron, objective_id, "ground_cz")
    for name in ("Barnes Enterprise", "Hollow Dome"):
        added = await squadron.officer(
            "objective settlement-add",
            {"objective": str(objective_id), "target": str(ground), "name": name},
        )
        assert added.reply is not None and added.reply.content == f"Settlement “{name}” added."
    [barnes, hollow] = (await only_objective(squadron)).targets[1].settlements

    removed = await squadron.officer(
        "objective settlement-remove",
        {"objective": str(objective_id), "settlement": str(barnes.id)},
    )
    assert removed.reply is not None
    assert removed.reply.content == f"Settlement #{barnes.id} removed."
    assert [s.id for s in (await only_objective(squadron)).targets[1].settlements] == [hollow.id]

    removed = await squadron.officer(
        "objective target-remove", {"objective": str(objective_id), "target": str(bonds)}
    )
    assert removed.reply is not None and removed.reply.content == f"Target #{bonds} removed."
    assert [t.id for t in (await only_objective(squadron)).targets] == [ground]


async def test_changes_are_logged(squadron: Squadron, caplog: pytest.LogCaptureFixture) -> None:
    await squadron.officer("objective create", {"title": "Boost ADF", "type": "boost"})
    objective_id = (await only_objective(squadron)).id
    await squadron.officer("objective edit", {"objective": str(objective_id), "priority": 3})
    await squadron.officer("objective target-add", {"objective": str(objective_id), "type": "bv"})
    who = f"guild {squadron.guild.id}: Tester ({squadron.fake.default_user.id})"
    assert f"{who} created objective #{objective_id} ('Boost ADF', boost," in caplog.text
    assert f"{who} edited objective #{objective_id}: priority 3" in caplog.text
    assert f"{who} added target #" in caplog.text


# --------------------------------------------------------------------------------------------
# Members are refused the officer subcommands
# --------------------------------------------------------------------------------------------

OFFICER_COMMANDS = {
    "create": {"title": "Boost ADF", "type": "boost"},
    "edit": {"objective": "{objective}", "priority": 5},
    "delete": {"objective": "{objective}"},
    "target-add": {"objective": "{objective}", "type": "bv"},
    "target-remove": {"objective": "{objective}", "target": "{target}"},
    "settlement-add": {"objective": "{objective}", "target": "{target}", "name": "Dome"},
    "settlement-remove": {"objective": "{objective}", "settlement": "{settlement}"},
}


@pytest.mark.parametrize("subcommand", OFFICER_COMMANDS)
async def test_members_are_refused_changes(squadron: Squadron, subcommand: str) -> None:
    objective_id = await seed(squadron, "Win the war", system=ALPHA, faction=ADF, priority=1)
    target_id = await seed_target(squadron, objective_id, "ground_cz")
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        settlement_id = await objectives.add_settlement(
            session, objective_id, target_id, name="Barnes Enterprise"
        )
    ids = {"objective": objective_id, "target": target_id, "settlement": settlement_id}
    options = {
        name: value.format(**ids) if isinstance(value, str) else value
        for name, value in OFFICER_COMMANDS[subcommand].items()
    }
    before = await stored(squadron)

    record = await squadron.member(f"objective {subcommand}", options)
    assert record.ephemeral
    assert record.text() == DENIED.format(squadron.officer_role)
    assert await stored(squadron) == before


# --------------------------------------------------------------------------------------------
# Delete asks first; only the caller can answer
# --------------------------------------------------------------------------------------------


async def test_delete_asks_the_caller_to_confirm(squadron: Squadron) -> None:
    objective_id = await seed(squadron, "Win the war", system=ALPHA, faction=ADF)
    await seed_target(squadron, objective_id, "cb")
    await seed_target(squadron, objective_id, "visit")

    prompt = await squadron.officer("objective delete", {"objective": str(objective_id)})
    assert prompt.ephemeral
    assert prompt.text() == (
        "Delete the objective **Win the war** (its 2 targets)? Members stop seeing it in "
        "Discord and in game."
    )

    stranger = await squadron.fake.press_button(
        prompt, "confirm:yes", user_id=squadron.fake.snowflake()
    )
    refusal = await stranger.wait_reply()
    assert refusal.ephemeral
    assert refusal.text() == "Only the officer who ran /objective delete can answer this."
    assert len(await stored(squadron)) == 1

    confirm = await squadron.fake.press_button(prompt, "confirm:yes")
    done = await confirm.wait_reply()
    assert prompt.reply is not None and done.id == prompt.reply.id  # the prompt, edited
    assert done.text() == (
        "Deleted the objective **Win the war** with its targets; the plugin drops it at its "
        "next poll."
    )
    assert done.components == []
    assert await stored(squadron) == []
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        assert await objectives.target_choices(session, objective_id, "") == []


async def test_delete_cancelled(squadron: Squadron) -> None:
    objective_id = await seed(squadron, "Win the war")
    prompt = await squadron.officer("objective delete", {"objective": str(objective_id)})
    assert "(no targets)" in prompt.text()
    cancel = await squadron.fake.press_button(prompt, "confirm:no")
    assert (await cancel.wait_reply()).text() == "Nothing was deleted: **Win the war** stays."
    assert len(await stored(squadron)) == 1


async def test_delete_unanswered_times_out(
    squadron: Squadron, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the bot's own copy of the module (load_extension imports it afresh)
    monkeypatch.setattr(squadron.bot.extensions["cogs.objectives"], "CONFIRM_TIMEOUT", 0.05)
    objective_id = await seed(squadron, "Win the war")
    prompt = await squadron.officer("objective delete", {"objective": str(objective_id)})

    async def expired() -> bool:
        reply = prompt.reply
        return reply is not None and reply.text().startswith("No answer in time")

    await eventually(expired)
    assert prompt.reply is not None
    assert prompt.reply.text() == (
        "No answer in time; nothing was deleted: **Win the war** stays. "
        "Run /objective delete again to delete it."
    )
    assert prompt.reply.components == []
    assert len(await stored(squadron)) == 1


async def test_delete_after_someone_else_deleted_it(squadron: Squadron) -> None:
    objective_id = await seed(squadron, "Win the war")
    first = await squadron.officer("objective delete", {"objective": str(objective_id)})
    second = await squadron.admin("objective delete", {"objective": str(objective_id)})
    await (await squadron.fake.press_button(first, "confirm:yes")).wait_reply()
    late = await squadron.fake.press_button(second, "confirm:yes")
    assert (await late.wait_reply()).text() == (
        f"There is no objective #{objective_id}; pick one from the list."
    )


# --------------------------------------------------------------------------------------------
# Mistakes are answered with what is allowed, and nothing changes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    subcommand: str
    options: dict[str, Any]
    answer: str
    raw: bool = False  # sent past Discord's choices (a hand-made request)


MISTAKES = {
    "unknown objective type": Mistake(
        "create",
        {"title": "Take Alpha", "type": "conquer"},
        "'conquer' is not an objective type. Use one of: " + ", ".join(OBJECTIVE_TYPES) + ".",
        raw=True,
    ),
    "unknown target type": Mistake(
        "target-add",
        {"objective": "{objective}", "type": "mining"},
        "'mining' is not a target type. Use one of: " + ", ".join(TARGET_TYPES) + ".",
        raw=True,
    ),
    "priority out of range": Mistake(
        "create",
        {"title": "Take Alpha", "type": "boost", "priority": 7},
        "The priority must be a whole number from 0 to 5.",
    ),
    "end before start": Mistake(
        "create",
        {
            "title": "Take Alpha",
            "type": "boost",
            "start": "2030-01-20 18:00",
            "end": "2030-01-20 12:00",
        },
        "The end (2030-01-20T12:00:00Z) must be after the start (2030-01-20T18:00:00Z).",
    ),
    "edit to end before the stored start": Mistake(
        "edit",
        {"objective": "{objective}", "end": "2029-12-31"},
        "The end (2029-12-31T23:59:59Z) must be after the start (2030-01-01T00:00:00Z).",
    ),
    "unreadable date": Mistake(
        "create",
        {"title": "Take Alpha", "type": "boost", "start": "20/01/2030"},
        "“20/01/2030” is not a start I can read: use YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC), "
        "e.g. 2026-11-20 or 2026-11-20 18:00. Nothing was changed.",
    ),
    "settlement on a cb target": Mistake(
        "settlement-add",
        {"objective": "{objective}", "target": "{target}", "name": "Barnes Enterprise"},
        "Settlements can only be added to ground_cz targets; this is a cb target.",
    ),
    "station on a cb target": Mistake(
        "target-add",
        {"objective": "{objective}", "type": "cb", "station": "Alpha Port"},
        "A station can only be set on a visit target, not on a cb target.",
    ),
    "negative goal on a bv target": Mistake(
        "target-add",
        {"objective": "{objective}", "type": "bv", "overall": -5},
        "Goals cannot be negative, except on inf targets, where a negative goal means undermine "
        "the faction.",
    ),
    "objective typed, not picked": Mistake(
        "edit",
        {"objective": "Win the war", "priority": 1},
        "Pick the objective from the list that appears as you type; “Win the war” is not one.",
    ),
    "unknown objective id": Mistake(
        "target-add",
        {"objective": "424242", "type": "bv"},
        "There is no objective #424242; pick one from the list.",
    ),
    "target of another objective": Mistake(
        "target-remove",
        {"objective": "{other}", "target": "{target}"},
        "Objective #{other} has no target #{target}; pick one from the list.",
    ),
    "nothing to edit": Mistake(
        "edit",
        {"objective": "{objective}"},
        "Nothing to change: give at least one new value (title, type, system, faction, "
        "priority, start, end, description) or clear_end / clear_description.",
    ),
    "end and clear_end": Mistake(
        "edit",
        {"objective": "{objective}", "end": "2030-02-01", "clear_end": True},
        "Give a new end or clear_end, not both; nothing was changed.",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES.values(), ids=list(MISTAKES))
async def test_mistakes_are_explained(squadron: Squadron, mistake: Mistake) -> None:
    objective_id = await seed(squadron, "Win the war", starts_at=datetime(2030, 1, 1, tzinfo=UTC))
    target_id = await seed_target(squadron, objective_id, "cb")
    other_id = await seed(squadron, "Scout Beta", objective_type="recon")
    ids = {"objective": objective_id, "target": target_id, "other": other_id}
    options = {
        name: value.format(**ids) if isinstance(value, str) else value
        for name, value in mistake.options.items()
    }
    if mistake.raw:
        await accept_any_value(squadron)
    before = await stored(squadron)

    record = await squadron.officer(f"objective {mistake.subcommand}", options)
    assert record.ephemeral
    assert record.text() == mistake.answer.format(**ids)
    assert await stored(squadron) == before


async def test_show_needs_a_picked_objective(squadron: Squadron) -> None:
    record = await squadron.member("objective show", {"objective": "Win the war"})
    assert record.ephemeral
    assert record.text() == (
        "Pick the objective from the list that appears as you type; “Win the war” is not one."
    )
    unknown = await squadron.member("objective show", {"objective": "#77"})
    assert unknown.ephemeral
    assert unknown.text() == "There is no objective #77; pick one from the list."


# --------------------------------------------------------------------------------------------
# /objective list: pages and filters
# --------------------------------------------------------------------------------------------


async def test_list_pages(squadron: Squadron) -> None:
    start = minute(datetime.now(UTC) - timedelta(days=1))
    titles = [f"Objective {n:02d}: hold the line in the systems around Alpha" for n in range(30)]
    for title in titles:
        await seed(squadron, title, priority=2, starts_at=start)

    record = await squadron.member("objective list")
    assert not record.ephemeral
    assert record.reply is not None
    [first] = record.reply.embeds
    assert first["title"] == "Running objectives"
    assert first["footer"]["text"] == LIST_FOOTER.format("30 objectives") + " · page 1/2"
    turned = await squadron.fake.press_button(record, "page:next")
    await turned.wait_reply()
    [second] = record.reply.embeds
    assert second["footer"]["text"] == LIST_FOOTER.format("30 objectives") + " · page 2/2"

    lines = first["description"].split("\n") + second["description"].split("\n")
    assert lines == [
        f"[★★☆☆☆] **{title}** no targets yet · {ts(start, 'd')} → no end date" for title in titles
    ]


async def test_list_filters(squadron: Squadron) -> None:
    now = datetime.now(UTC)
    start = minute(now - timedelta(days=1))
    alpha = await seed(
        squadron, "Hold Alpha", system=ALPHA, faction=ADF, priority=5, starts_at=start
    )
    beta = await seed(
        squadron,
        "Undermine Beta Union",
        system=BETA,
        faction=BETA_UNION,
        priority=3,
        starts_at=start,
    )
    await seed_target(squadron, beta, "inf", system=ALPHA, target_overall=-10)
    ended_at = minute(now - timedelta(days=2))
    await seed(
        squadron, "Old war", system=ALPHA, starts_at=start - timedelta(days=9), ends_at=ended_at
    )
    soon = minute(now + timedelta(days=3))
    await seed(squadron, "Next election", system=ALPHA, priority=1, starts_at=soon)
    await seed_target(squadron, alpha, "visit")

    def line(title: str, stars: str, bar: str, start: datetime, end: str = "no end date") -> str:
        return f"{stars} **{title}** {bar} · {ts(start, 'd')} → {end}"

    hold = line("Hold Alpha", "[★★★★★]", "▱▱▱▱▱▱▱▱▱▱ 0%", start)
    undermine = line("Undermine Beta Union", "[★★★☆☆]", "▱▱▱▱▱▱▱▱▱▱ 0%", start)

    running = await squadron.member("objective list")
    assert description_lines(running) == [hold, undermine]
    assert only_embed(running)["footer"]["text"] == LIST_FOOTER.format("2 objectives")

    in_alpha = await squadron.member("objective list", {"system": ALPHA})
    assert description_lines(in_alpha) == [f"About system {ALPHA}.", hold, undermine]

    for_union = await squadron.member("objective list", {"faction": "beta union"})
    assert description_lines(for_union) == ["About faction beta union.", undermine]

    everything = await squadron.member("objective list", {"active": False, "system": ALPHA})
    assert only_embed(everything)["title"] == "Objectives"
    assert description_lines(everything) == [
        f"About system {ALPHA}.",
        hold,
        undermine,
        line("Next election", "[★☆☆☆☆]", "no targets yet", soon) + f" · starts {ts(soon, 'R')}",
        line("Old war", "[☆☆☆☆☆]", "no targets yet", start - timedelta(days=9), ts(ended_at, "d"))
        + " · ended",
    ]

    nothing = await squadron.member("objective list", {"faction": PIRATES})
    assert description_lines(nothing) == [
        f"About faction {PIRATES}.",
        "No running objective found. `/objective list active:False` shows ended and upcoming "
        "ones too.",
    ]
    assert only_embed(nothing)["footer"]["text"] == LIST_FOOTER.format("0 objectives")


# --------------------------------------------------------------------------------------------
# Autocomplete and choices
# --------------------------------------------------------------------------------------------


async def test_autocomplete(squadron: Squadron, plugin_for: PluginClient) -> None:
    war = await seed(squadron, "Win the war in Alpha", system=ALPHA, faction=ADF, priority=2)
    scout = await seed(squadron, "Scout Beta", objective_type="recon")
    bonds = await seed_target(squadron, war, "cb")
    ground = await seed_target(squadron, war, "ground_cz", system=BETA)
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        barnes = await objectives.add_settlement(session, war, ground, name="Barnes Enterprise")
    at = datetime.now(UTC) - timedelta(hours=1)
    await send_events(
        plugin_for,
        squadron,
        jump(at, BETA, BETA_ADDRESS, BETA_POS),
        combat_bond(at, PIRATES, 1000),
        influence(at, BETA_UNION, "+", system=BETA, address=BETA_ADDRESS),
    )
    fake = squadron.fake

    async def choices(path: str, focused: str, **options: Any) -> list[tuple[str, str]]:
        answer = await fake.autocomplete(f"objective {path}", options, focused=focused)
        return [(choice["name"], choice["value"]) for choice in answer]

    assert await choices("show", "objective", objective="war") == [
        (f"#{war} Win the war in Alpha", str(war))
    ]
    assert await choices("delete", "objective", objective="") == [
        (f"#{war} Win the war in Alpha", str(war)),
        (f"#{scout} Scout Beta", str(scout)),
    ]
    assert await choices("target-remove", "target", objective=str(war), target="") == [
        (f"#{bonds} Combat bonds · {ADF} · {ALPHA}", str(bonds)),
        (f"#{ground} Ground CZs · {ADF} · {BETA}", str(ground)),
    ]
    assert await choices("settlement-add", "target", objective=str(war), target="ground") == [
        (f"#{ground} Ground CZs · {ADF} · {BETA}", str(ground))
    ]
    assert await choices("target-remove", "target", objective="Win the war", target="") == []
    assert await choices("target-remove", "target", objective=str(scout), target="") == []
    assert await choices(
        "settlement-remove", "settlement", objective=str(war), settlement="barn"
    ) == [(f"Barnes Enterprise (target #{ground})", str(barnes))]
    assert await choices("create", "system", system="beta") == [(BETA, BETA)]
    assert await choices("target-add", "faction", faction="union") == [(BETA_UNION, BETA_UNION)]
    assert await choices("list", "faction", faction="alpha p") == [(PIRATES, PIRATES)]


async def test_types_are_offered_from_the_enums(squadron: Squadron) -> None:
    [definition] = [c for c in squadron.fake.synced_commands() if c["name"] == "objective"]
    subcommands = {option["name"]: option for option in definition["options"]}
    assert set(subcommands) == {
        "list",
        "show",
        "create",
        "edit",
        "delete",
        "target-add",
        "target-remove",
        "settlement-add",
        "settlement-remove",
    }

    def choices(subcommand: str) -> list[str]:
        [option] = [o for o in subcommands[subcommand]["options"] if o["name"] == "type"]
        return [choice["value"] for choice in option["choices"]]

    assert choices("create") == OBJECTIVE_TYPES
    assert choices("edit") == OBJECTIVE_TYPES
    assert choices("target-add") == TARGET_TYPES
    [priority] = [o for o in subcommands["create"]["options"] if o["name"] == "priority"]
    assert (priority["min_value"], priority["max_value"]) == (0, 5)
    assert definition.get("default_member_permissions") is None  # members see list and show
