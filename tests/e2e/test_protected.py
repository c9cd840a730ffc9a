"""/protected commands and protected-faction harm alerts, from the plugin's events through the
real listener to the messages on the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bgs import tenants
from bgs.protected import ALERT_KIND, ProtectedInfo, add_protected, alert_key, list_protected
from cogs._ui import ts
from db.models import KnownFaction, PostLedger, ProtectedHarm
from settings import ChannelKind
from tests.fakes.fake_discord import SEND_MESSAGES, FakeMessage
from tests.helpers.plugin import PluginClient
from tests.helpers.plugin_events import (
    ADF,
    ALPHA,
    BETA_UNION,
    CMDR,
    PIRATES,
    TRADERS,
    Event,
    combat_bond,
    crime,
    cz_objective,
    event,
    ground_cz,
    influence,
    jump,
    mission_failed,
    space_cz,
)
from tests.helpers.squadron import Squadron, eventually, settle

DENIED = "This command is for officers: you need Manage Server or one of these roles: <@&{}>."
TICK1 = "zoy-7aa3e8fcc79b08a08a58"  # the tick of plugin_events' events
TICK1_TIME = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
TICK2, TICK2_TIME = "zoy-0123456789abcdef0123", datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
OTHER_GUILD = 1_200_000_000_000 << 22
RED = 0xE74C3C
FOOTER = "Protected faction alert · updated as more harm arrives this tick"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def soon(seconds: int = 0) -> datetime:
    """A whole-second instant just after now (so after a faction protected now)."""
    return (datetime.now(UTC) + timedelta(seconds=60 + seconds)).replace(microsecond=0)


def in_tick(item: Event, tickid: str, ticktime: datetime) -> Event:
    return {**item, "tickid": tickid, "ticktime": ticktime.strftime("%Y-%m-%dT%H:%M:%SZ")}


def war(first: str, second: str, status: str = "active") -> dict[str, Any]:
    """A `Conflicts` entry as the plugin sends it in FSDJump/Location events."""
    return {
        "WarType": "war",
        "Status": status,
        "Faction1": {"Name": first, "Stake": "Alpha Gate", "WonDays": 1},
        "Faction2": {"Name": second, "Stake": "", "WonDays": 0},
    }


def kill_bond(at: datetime, victim: str, awarding: str = PIRATES, reward: int = 30000) -> Event:
    return event(
        "FactionKillBond", at, Reward=reward, AwardingFaction=awarding, VictimFaction=victim
    )


async def protect(squadron: Squadron, faction: str, **options: Any) -> None:
    record = await squadron.officer("protected add", {"faction": faction, "force": True} | options)
    assert record.text().startswith(f"**{faction}** is now protected."), record.text()


async def set_alerts_channel(squadron: Squadron, name: str | None = "bgs-alerts") -> None:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        guild = await tenants.get_tenant(session)
        assert guild is not None
        tenants.set_channel(guild, ChannelKind.ALERTS, squadron.channel(name) if name else None)


async def send_batch(plugin_for: PluginClient, squadron: Squadron, *events: Event) -> None:
    """The plugin posts a batch; wait until the after-ingest work (alerts) is done."""
    reply = await plugin_for.post_events(list(events))
    assert reply.status == 200, reply.body
    await settle(squadron.bot)


def posts(squadron: Squadron, channel: str = "bgs-alerts") -> list[FakeMessage]:
    return squadron.fake.channel_messages(squadron.channel(channel))


async def protected(squadron: Squadron, guild_id: int | None = None) -> list[ProtectedInfo]:
    async with squadron.bot.services.db.tenant(guild_id or squadron.guild.id) as session:
        return await list_protected(session)


async def faction_id(squadron: Squadron, name: str) -> int:
    return next(info.id for info in await protected(squadron) if info.name == name)


async def ledger_rows(squadron: Squadron) -> list[tuple[str, int | None, int | None]]:
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        rows = await session.execute(
            select(PostLedger.key, PostLedger.channel_id, PostLedger.message_id)
            .where(PostLedger.kind == ALERT_KIND)
            .order_by(PostLedger.id)
        )
        return [tuple(row) for row in rows]


async def harm_count(squadron: Squadron) -> int:
    async with squadron.bot.services.db.unscoped() as session:
        return len((await session.execute(select(ProtectedHarm.id))).all())


def line(at: datetime, detail: str, system: str = ALPHA) -> str:
    return f"{ts(at, 't')} **{system}** — {detail}"


def alert(
    faction: str,
    lines: list[str],
    totals: list[str],
    *,
    cmdr: str = CMDR,
    description: str | None = None,
    ticktime: datetime = TICK1_TIME,
) -> dict[str, Any]:
    """The embed of an alert as Discord stores it."""
    header = [f"*{description}*"] if description else []
    return {
        "type": "rich",
        "title": f"⚠️ CMDR {cmdr} harmed {faction}",
        "description": "\n".join([*header, f"Tick of {ts(ticktime)}", "", *lines]),
        "color": RED,
        "fields": [{"name": "Totals", "value": "\n".join(totals), "inline": False}],
        "footer": {"text": FOOTER},
        "flags": 0,
    }


# --------------------------------------------------------------------------------------------
# Alerts: each kind of harm
# --------------------------------------------------------------------------------------------


# Details as Discord receives them: names escaped (`cogs._ui.plain`), so they show literally.
HARM_CASES = {
    "negative influence": (
        TRADERS,
        False,
        lambda at: influence(at, TRADERS, "+++", "DownBad"),
        "−3 INF from mission “Mission\\_Delivery\\_name”",
        "influence lost through missions: 1 (−3 INF)",
    ),
    "mission failed": (
        TRADERS,
        False,
        lambda at: mission_failed(at, TRADERS),
        "failed mission “Mission\\_Courier\\_name” (fine 50,000 CR)",
        "failed missions: 1 (50,000 CR)",
    ),
    "ship killed in a CZ": (
        TRADERS,
        False,
        lambda at: kill_bond(at, TRADERS),
        "killed a ship in a conflict zone (bond 30,000 CR from Alpha Pirates)",
        "ships killed in conflict zones: 1 (30,000 CR)",
    ),
    "murder": (
        TRADERS,
        False,
        lambda at: crime(at, TRADERS),
        "murdered a ship (bounty 10,000 CR)",
        "murders: 1 (10,000 CR)",
    ),
    "mission for the opponent": (
        PIRATES,
        True,
        lambda at: influence(at, ADF, "++"),
        f"completed mission “Mission\\_Delivery\\_name” for {ADF} (+2 INF)",
        "missions for the opponent: 1 (+2 INF)",
    ),
    "space CZ for the opponent": (
        PIRATES,
        True,
        lambda at: space_cz(at, ADF, "high", 2),
        f"fought 2 space CZs (2 high) for {ADF}",
        "space CZs for the opponent: 2",
    ),
    "ground CZ for the opponent": (
        PIRATES,
        True,
        lambda at: ground_cz(at, ADF, "Barnes Enterprise"),
        f"fought a low ground CZ at Barnes Enterprise for {ADF}",
        "ground CZs for the opponent: 1",
    ),
    "CZ objective for the opponent": (
        PIRATES,
        True,
        lambda at: cz_objective(at, ADF),
        f"completed a SpecOps space\\-CZ objective for {ADF}",
        "CZ objectives for the opponent: 1",
    ),
    "combat bonds for the opponent": (
        PIRATES,
        True,
        lambda at: combat_bond(at, ADF, 500000),
        f"handed in 500,000 CR of combat bonds for {ADF}",
        "combat bonds for the opponent: 1 (500,000 CR)",
    ),
}


@pytest.mark.parametrize("case", HARM_CASES.values(), ids=list(HARM_CASES))
async def test_each_kind_of_harm_is_alerted(
    squadron: Squadron, plugin_for: PluginClient, case: tuple[str, bool, Any, str, str]
) -> None:
    faction, in_conflict, build, detail, total = case
    await set_alerts_channel(squadron)
    await protect(squadron, faction, description="our ally")
    at = soon()
    if in_conflict:  # a member's jump shows the war; the work comes in a later batch
        await send_batch(plugin_for, squadron, jump(at, Conflicts=[war(ADF, PIRATES)]))
    await send_batch(plugin_for, squadron, build(at + timedelta(seconds=1)))

    [message] = posts(squadron)
    assert message.embeds == [
        alert(faction, [line(at + timedelta(seconds=1), detail)], [total], description="our ally")
    ]
    key = alert_key(await faction_id(squadron, faction), CMDR, TICK1)
    assert await ledger_rows(squadron) == [(key, squadron.channel("bgs-alerts"), message.id)]


async def test_opponent_work_in_the_same_batch_as_the_jump(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, PIRATES)
    at = soon()
    await send_batch(
        plugin_for,
        squadron,
        jump(at, Conflicts=[war(PIRATES, ADF)]),
        space_cz(at + timedelta(seconds=1), ADF),
        space_cz(at + timedelta(seconds=2), BETA_UNION),  # not a side of the war
    )
    [message] = posts(squadron)
    assert message.embeds == [
        alert(
            PIRATES,
            [line(at + timedelta(seconds=1), f"fought a high space CZ for {ADF}")],
            ["space CZs for the opponent: 1"],
        )
    ]


async def test_no_opponent_harm_without_an_active_conflict(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, PIRATES)
    at = soon()
    await send_batch(
        plugin_for,
        squadron,
        jump(at, Conflicts=[war(ADF, PIRATES, status="pending")]),
        space_cz(at + timedelta(seconds=1), ADF),
        combat_bond(at + timedelta(seconds=2), ADF, 1000),
    )
    assert posts(squadron) == []
    assert await harm_count(squadron) == 0


# --------------------------------------------------------------------------------------------
# Alerts: one message per (faction, cmdr, tick)
# --------------------------------------------------------------------------------------------


async def test_more_harm_in_the_tick_edits_the_message(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, TRADERS)
    at = soon()
    await send_batch(plugin_for, squadron, crime(at, TRADERS))
    [first] = posts(squadron)
    assert squadron.fake.edits == []

    await send_batch(
        plugin_for,
        squadron,
        mission_failed(at + timedelta(seconds=5), TRADERS),
        crime(at + timedelta(seconds=9), TRADERS),
    )
    [same] = posts(squadron)
    assert same.id == first.id
    assert [edit.message_id for edit in squadron.fake.edits] == [first.id]
    assert same.embeds == [
        alert(
            TRADERS,
            [
                line(at, "murdered a ship (bounty 10,000 CR)"),
                line(
                    at + timedelta(seconds=5),
                    "failed mission “Mission\\_Courier\\_name” (fine 50,000 CR)",
                ),
                line(at + timedelta(seconds=9), "murdered a ship (bounty 10,000 CR)"),
            ],
            ["murders: 2 (20,000 CR)", "failed missions: 1 (50,000 CR)"],
        )
    ]

    # another tick, another cmdr: new messages; the first one is left alone
    later = soon(3600)
    await send_batch(plugin_for, squadron, in_tick(crime(later, TRADERS), TICK2, TICK2_TIME))
    await send_batch(plugin_for, squadron, crime(at + timedelta(seconds=20), TRADERS, cmdr="Bob"))
    assert len(squadron.fake.edits) == 1
    first_msg, next_tick, other_cmdr = posts(squadron)
    assert first_msg.id == first.id
    assert next_tick.embeds == [
        alert(
            TRADERS,
            [line(later, "murdered a ship (bounty 10,000 CR)")],
            ["murders: 1 (10,000 CR)"],
            ticktime=TICK2_TIME,
        )
    ]
    assert other_cmdr.embeds[0]["title"] == f"⚠️ CMDR Bob harmed {TRADERS}"

    traders = await faction_id(squadron, TRADERS)
    alerts = squadron.channel("bgs-alerts")
    assert await ledger_rows(squadron) == [
        (alert_key(traders, CMDR, TICK1), alerts, first.id),
        (alert_key(traders, CMDR, TICK2), alerts, next_tick.id),
        (alert_key(traders, "Bob", TICK1), alerts, other_cmdr.id),
    ]


async def test_the_factions_own_channel_is_used(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, TRADERS, channel=squadron.channel("bgs-summary"))
    await protect(squadron, PIRATES)
    at = soon()
    await send_batch(plugin_for, squadron, crime(at, TRADERS), crime(at, PIRATES))
    assert [m.embeds[0]["title"] for m in posts(squadron, "bgs-summary")] == [
        f"⚠️ CMDR {CMDR} harmed {TRADERS}"
    ]
    assert [m.embeds[0]["title"] for m in posts(squadron)] == [f"⚠️ CMDR {CMDR} harmed {PIRATES}"]


async def test_an_override_channel_works_without_an_alerts_channel(
    squadron: Squadron, plugin_for: PluginClient, caplog: pytest.LogCaptureFixture
) -> None:
    await protect(squadron, TRADERS, channel=squadron.channel("bgs-summary"))
    await protect(squadron, PIRATES)
    await send_batch(plugin_for, squadron, crime(soon(), TRADERS), crime(soon(), PIRATES))
    assert len(posts(squadron, "bgs-summary")) == 1
    assert posts(squadron) == []
    assert (
        "Protected-faction alerts are skipped: no alerts channel is set. Set one with "
        "`/protected edit` (the faction's channel) or `/config channel kind:alerts`."
    ) in caplog.text
    assert await harm_count(squadron) == 2  # the harm is recorded all the same


async def test_nothing_is_alerted_for_work_that_harms_no_protected_faction(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, TRADERS)
    async with squadron.bot.services.db.tenant_write(OTHER_GUILD) as session:  # another guild's
        await add_protected(session, BETA_UNION, force=True, now=datetime(2026, 1, 1, tzinfo=UTC))
    at = soon()
    await send_batch(
        plugin_for,
        squadron,
        crime(at, BETA_UNION),  # protected by the other guild only
        crime(at, PIRATES),  # protected by nobody
        influence(at, TRADERS, "++"),  # positive influence
        crime(at - timedelta(minutes=5), TRADERS),  # before it was protected
        kill_bond(at, PIRATES, awarding=TRADERS),  # for it, not against it
    )
    assert posts(squadron) == []
    assert await harm_count(squadron) == 0
    assert await ledger_rows(squadron) == []


async def test_a_failed_post_is_retried_with_the_next_harm(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, TRADERS)
    squadron.fake.fail_channel_posts(squadron.channel("bgs-alerts"), status=503)
    at = soon()
    await send_batch(plugin_for, squadron, crime(at, TRADERS))
    assert posts(squadron) == []
    await send_batch(plugin_for, squadron, crime(at + timedelta(seconds=1), TRADERS))
    [message] = posts(squadron)
    assert message.embeds[0]["fields"][0]["value"] == "murders: 2 (20,000 CR)"


# --------------------------------------------------------------------------------------------
# /protected add
# --------------------------------------------------------------------------------------------


async def know(squadron: Squadron, *names: str) -> None:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        session.add_all(KnownFaction(name=name, last_seen=datetime.now(UTC)) for name in names)


async def test_add(squadron: Squadron) -> None:
    await know(squadron, TRADERS)
    await set_alerts_channel(squadron)
    record = await squadron.officer(
        "protected add", {"faction": "alpha traders", "description": "allies since 3300"}
    )
    assert record.ephemeral
    assert record.text() == f"**{TRADERS}** is now protected. Alerts go to the alerts channel."
    [info] = await protected(squadron)
    assert (info.name, info.description, info.channel_id) == (TRADERS, "allies since 3300", None)
    assert info.created_by == squadron.fake.default_user.id

    summary = squadron.channel("bgs-summary")
    by_admin = await squadron.admin(
        "protected add", {"faction": PIRATES, "force": True, "channel": summary}
    )
    assert by_admin.text() == f"**{PIRATES}** is now protected. Alerts go to <#{summary}>."
    assert [(i.name, i.channel_id) for i in await protected(squadron)] == [
        (PIRATES, summary),
        (TRADERS, None),
    ]


async def test_add_warns_when_alerts_have_nowhere_to_go(squadron: Squadron) -> None:
    record = await squadron.officer("protected add", {"faction": TRADERS, "force": True})
    assert record.text() == (
        f"**{TRADERS}** is now protected. ⚠️ No alerts channel is set, so its alerts cannot be "
        "posted: set one with "
        "`/config channel kind:alerts`, or give this faction a channel with `/protected edit`."
    )


async def test_add_duplicates_and_unknown_factions(squadron: Squadron) -> None:
    unknown = await squadron.officer("protected add", {"faction": "Alpha Tradres"})
    assert unknown.ephemeral
    assert unknown.text() == (
        "No member's data has ever named a faction “Alpha Tradres”, so it may be misspelled and "
        "would never raise an alert. Pick a name from the suggestions, or add it anyway with "
        "force: True."
    )
    assert await protected(squadron) == []

    forced = await squadron.officer("protected add", {"faction": "Alpha Tradres", "force": True})
    assert forced.text().startswith("**Alpha Tradres** is now protected.")
    duplicate = await squadron.officer("protected add", {"faction": "ALPHA TRADRES"})
    assert duplicate.ephemeral
    assert duplicate.text().startswith("“Alpha Tradres” is already protected (since ")
    assert duplicate.text().endswith("Change its description or channel with /protected edit.")
    assert [info.name for info in await protected(squadron)] == ["Alpha Tradres"]


async def test_add_refuses_a_channel_the_bot_cannot_post_in(squadron: Squadron) -> None:
    summary = squadron.channel("bgs-summary")
    await squadron.fake.set_channel_overwrites(
        summary, [squadron.fake.bot_overwrite(deny=SEND_MESSAGES)]
    )
    record = await squadron.officer(
        "protected add", {"faction": TRADERS, "force": True, "channel": summary}
    )
    assert record.ephemeral
    assert record.text() == (
        f"I cannot post in <#{summary}>: I am missing Send Messages, Embed Links, Attach Files. "
        "Grant them in the channel's permissions and try again; nothing was changed."
    )
    assert await protected(squadron) == []


async def test_protected_changes_are_for_officers(squadron: Squadron) -> None:
    await protect(squadron, TRADERS)
    denied = DENIED.format(squadron.officer_role)
    for path, options in [
        ("protected add", {"faction": PIRATES, "force": True}),
        ("protected edit", {"faction": TRADERS, "description": "x"}),
        ("protected remove", {"faction": TRADERS}),
    ]:
        record = await squadron.member(path, options)
        assert record.ephemeral and record.text() == denied
    [info] = await protected(squadron)
    assert (info.name, info.description) == (TRADERS, None)


async def test_changes_are_logged(squadron: Squadron, caplog: pytest.LogCaptureFixture) -> None:
    await protect(squadron, TRADERS)
    await squadron.officer("protected edit", {"faction": TRADERS, "description": "allies"})
    prompt = await squadron.officer("protected remove", {"faction": TRADERS})
    await (await squadron.fake.press_button(prompt, "confirm:yes")).wait_reply()
    who = f"guild {squadron.guild.id}: Tester ({squadron.fake.default_user.id})"
    assert f"{who} protected faction '{TRADERS}' (#1, channel None, force True)" in caplog.text
    assert f"{who} edited protected faction '{TRADERS}' (#1): description 'allies'" in caplog.text
    assert f"{who} removed protected faction '{TRADERS}' (#1)" in caplog.text


# --------------------------------------------------------------------------------------------
# /protected edit
# --------------------------------------------------------------------------------------------


async def test_edit_description_and_channel(squadron: Squadron) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, TRADERS, description="old")
    summary = squadron.channel("bgs-summary")

    changed = await squadron.officer(
        "protected edit", {"faction": "alpha traders", "description": "new", "channel": summary}
    )
    assert changed.ephemeral
    assert changed.text() == f"**{TRADERS}** — description: “new”. Alerts go to <#{summary}>."
    [info] = await protected(squadron)
    assert (info.description, info.channel_id) == ("new", summary)

    channel_only = await squadron.officer(
        "protected edit", {"faction": TRADERS, "clear_channel": True}
    )
    assert channel_only.text() == (
        f"**{TRADERS}** — description: “new”. Alerts go to the alerts channel."
    )
    cleared = await squadron.officer(
        "protected edit", {"faction": TRADERS, "clear_description": True}
    )
    assert cleared.text() == f"**{TRADERS}** — description: none. Alerts go to the alerts channel."
    [info] = await protected(squadron)
    assert (info.description, info.channel_id) == (None, None)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({}, "Give a new description or channel (or clear one); nothing changed."),
        (
            {"description": "x", "clear_description": True},
            "Give a new description or clear_description, not both.",
        ),
        (
            {"channel": "bgs-summary", "clear_channel": True},
            "Give a new channel or clear_channel, not both.",
        ),
        ({"description": "x" * 201}, "The description has at most 200 characters."),
    ],
)
async def test_edit_bad_input(squadron: Squadron, options: dict[str, Any], error: str) -> None:
    await protect(squadron, TRADERS, description="kept")
    if "channel" in options:
        options["channel"] = squadron.channel(options["channel"])
    record = await squadron.officer("protected edit", {"faction": TRADERS} | options)
    assert record.ephemeral and record.text() == error
    [info] = await protected(squadron)
    assert (info.description, info.channel_id) == ("kept", None)


async def test_edit_unknown_faction_and_unpostable_channel(squadron: Squadron) -> None:
    unknown = await squadron.officer("protected edit", {"faction": PIRATES, "description": "x"})
    assert (
        unknown.text()
        == f"“{PIRATES}” is not on this server's protected list; /protected list shows it."
    )

    await protect(squadron, TRADERS)
    summary = squadron.channel("bgs-summary")
    await squadron.fake.set_channel_overwrites(
        summary, [squadron.fake.bot_overwrite(deny=SEND_MESSAGES)]
    )
    refused = await squadron.officer("protected edit", {"faction": TRADERS, "channel": summary})
    assert refused.text().startswith(f"I cannot post in <#{summary}>: I am missing Send Messages")
    assert [info.channel_id for info in await protected(squadron)] == [None]


# --------------------------------------------------------------------------------------------
# /protected remove
# --------------------------------------------------------------------------------------------


async def test_remove_asks_the_caller_to_confirm(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await set_alerts_channel(squadron)
    await protect(squadron, TRADERS)
    await send_batch(plugin_for, squadron, crime(soon(), TRADERS))

    prompt = await squadron.officer("protected remove", {"faction": "alpha traders"})
    assert prompt.ephemeral
    assert prompt.text() == (
        f"Remove **{TRADERS}** from the protected list? No more alerts are raised for it, and "
        "its 1 recorded harm(s) are deleted with it."
    )
    assert len(await protected(squadron)) == 1

    stranger = await squadron.fake.press_button(
        prompt, "confirm:yes", user_id=squadron.fake.snowflake()
    )
    refusal = await stranger.wait_reply()
    assert refusal.ephemeral
    assert refusal.text() == "Only the officer who ran /protected remove can answer this."
    assert len(await protected(squadron)) == 1

    confirm = await squadron.fake.press_button(prompt, "confirm:yes")
    done = await confirm.wait_reply()
    assert prompt.reply is not None and done.id == prompt.reply.id  # the prompt, edited
    assert done.text() == f"**{TRADERS}** is no longer protected; its recorded harm was deleted."
    assert done.components == []
    assert await protected(squadron) == []
    assert await harm_count(squadron) == 0


async def test_remove_cancelled(squadron: Squadron) -> None:
    await protect(squadron, TRADERS)
    prompt = await squadron.officer("protected remove", {"faction": TRADERS})
    assert prompt.text().endswith("and no harm is recorded for it.")
    cancel = await squadron.fake.press_button(prompt, "confirm:no")
    assert (await cancel.wait_reply()).text() == (
        f"Nothing was removed: **{TRADERS}** stays protected."
    )
    assert len(await protected(squadron)) == 1


async def test_remove_unanswered_times_out(
    squadron: Squadron, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the bot's own copy of the module (load_extension imports it afresh)
    monkeypatch.setattr(squadron.bot.extensions["cogs.protected"], "CONFIRM_TIMEOUT", 0.05)
    await protect(squadron, TRADERS)
    prompt = await squadron.officer("protected remove", {"faction": TRADERS})

    async def expired() -> bool:
        reply = prompt.reply
        return reply is not None and reply.text().startswith("No answer in time")

    await eventually(expired)
    assert prompt.reply is not None and prompt.reply.components == []
    assert len(await protected(squadron)) == 1


async def test_remove_unknown_faction(squadron: Squadron) -> None:
    record = await squadron.officer("protected remove", {"faction": TRADERS})
    assert record.ephemeral
    assert record.text() == (
        f"“{TRADERS}” is not on this server's protected list; /protected list shows it."
    )
    assert record.reply is not None and record.reply.components == []


async def test_remove_after_someone_else_removed_it(squadron: Squadron) -> None:
    await protect(squadron, TRADERS)
    first = await squadron.officer("protected remove", {"faction": TRADERS})
    second = await squadron.admin("protected remove", {"faction": TRADERS})
    await (await squadron.fake.press_button(first, "confirm:yes")).wait_reply()
    late = await squadron.fake.press_button(second, "confirm:yes")
    assert (await late.wait_reply()).text() == (
        f"“{TRADERS}” is not on this server's protected list; /protected list shows it."
    )


# --------------------------------------------------------------------------------------------
# /protected list
# --------------------------------------------------------------------------------------------


async def test_list(squadron: Squadron, plugin_for: PluginClient) -> None:
    empty = await squadron.member("protected list")
    assert empty.ephemeral
    assert empty.text() == "No faction is protected yet. Officers add one with `/protected add`."

    await set_alerts_channel(squadron)
    summary = squadron.channel("bgs-summary")
    await protect(squadron, TRADERS, description="allies", channel=summary)
    await protect(squadron, PIRATES)
    at = soon()
    await send_batch(
        plugin_for,
        squadron,
        crime(at, TRADERS),
        mission_failed(at, TRADERS),
        in_tick(crime(at, PIRATES), TICK2, TICK2_TIME),  # the newest tick: the current one
    )
    record = await squadron.member("protected list")
    assert record.ephemeral
    [pirates, traders] = await protected(squadron)
    assert record.reply is not None
    [page] = record.reply.embeds
    assert page["title"] == "Protected factions"
    assert page["description"] == "\n".join(
        [
            f"**{PIRATES}**",
            f"Alerts: the alerts channel · protected since {ts(pirates.created_at, 'D')}",
            "Harm: 1 this tick · 1 in the last 7 days",
            "",
            f"**{TRADERS}** — allies",
            f"Alerts: <#{summary}> · protected since {ts(traders.created_at, 'D')}",
            "Harm: 0 this tick · 2 in the last 7 days",
            "",
        ]
    )
    assert page["footer"]["text"] == "2 protected · members are alerted when work harms one"


async def test_long_list_pages(squadron: Squadron) -> None:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        for n in range(60):
            await add_protected(session, f"Faction {n:02d} " + "x" * 100, force=True)
    record = await squadron.member("protected list")
    assert record.reply is not None
    assert record.reply.find_component("page:next") is not None
    first = record.reply.text()
    assert record.reply.embeds[0]["footer"]["text"].endswith("page 1/9")
    assert "**Faction 00 " in first and "**Faction 59 " not in first
    turned = await squadron.fake.press_button(record, "page:next")
    second = (await turned.wait_reply()).text()
    assert second.endswith("page 2/9") and "**Faction 00 " not in second


# --------------------------------------------------------------------------------------------
# Autocomplete
# --------------------------------------------------------------------------------------------


async def choices(squadron: Squadron, path: str, typed: str) -> list[dict[str, Any]]:
    return await squadron.fake.autocomplete(
        path,
        {"faction": typed},
        focused="faction",
        guild_id=squadron.guild.id,
        roles=[squadron.officer_role],
    )


async def test_faction_autocomplete(squadron: Squadron) -> None:
    long_name = "Alpha " + "L" * 122  # 128 characters: a valid name, longer than a choice
    await know(squadron, ADF, TRADERS, BETA_UNION, long_name)
    await protect(squadron, TRADERS)
    await protect(squadron, "Alpha Ghosts")  # forced: in no member's data

    add = await choices(squadron, "protected add", "alpha")
    # a name longer than a choice's value is left out: cut, it would match nothing
    assert sorted(c["value"] for c in add) == sorted([ADF, TRADERS, "Alpha Ghosts"])
    assert [c["value"] for c in await choices(squadron, "protected add", "union")] == [BETA_UNION]

    for path in ("protected edit", "protected remove"):
        only = await choices(squadron, path, "alpha")
        assert sorted(c["value"] for c in only) == ["Alpha Ghosts", TRADERS]
        assert [c["value"] for c in await choices(squadron, path, "ghost")] == ["Alpha Ghosts"]
