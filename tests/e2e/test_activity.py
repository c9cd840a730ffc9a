"""/activity summary|cmdr|systems, /leaderboard, /top5 and /cz space|ground over the fake Discord,
from data the plugin sent through the real listener (captured BGS-Tally payloads and the event
builders), checked against values worked out by hand.

The data set (`squadron_data`): in the current tick (zoy-7aa3…, from 2026-11-26 11:00) Ann sold
100 t at 5,000 (bought at 4,000), won +3 INF for our faction and cashed 250,000 in bounties;
Bob lost −2 INF for our faction, cashed 1,500,000 in combat bonds and failed a mission; Cy
murdered ships of the protected Alpha Pirates in Alpha and Gamma (10,000 bounty each). In the
last tick Ann cashed 1,000,000 in bounties. Tallies: the captured one of Test Cmdr (Alpha; and
Beta, where he killed a Thargoid scout, handed in a damaged escape pod, counted both for the
Thargoid war and for Beta Union, and reactivated a settlement; 4 wreckage components for Alpha
Traders) and one of Ann (Beta Union in Beta: +2 INF, 100,000 in bounties, influence 62 %).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib.image
import pytest

from bgs import objectives, protected
from bgs.periods import period_for
from tests.fakes.fake_discord import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    InteractionRecord,
    SentFile,
)
from tests.helpers.plugin import PluginClient, sample
from tests.helpers.plugin_events import (
    ADF,
    ALPHA,
    BETA,
    BETA_ADDRESS,
    BETA_UNION,
    CMDR,
    PIRATES,
    TRADERS,
    Event,
    bounty,
    combat_bond,
    crime,
    docked,
    ground_cz,
    influence,
    market_sell,
    mission_failed,
    space_cz,
)
from tests.helpers.squadron import FACTION, Squadron, in_tick, settle, ticks_of, update_guild

TICK, TICK_TIME = "zoy-7aa3e8fcc79b08a08a58", datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
LAST, LAST_TIME = "zoy-0000000000000000last", datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
AT = TICK_TIME + timedelta(hours=2)
LAST_AT = LAST_TIME + timedelta(hours=1)
GAMMA, GAMMA_ADDRESS = "Test System Gamma", 1000003
DELTA = "Test System Delta"
CURRENT = f"**Period:** Current tick · Tick {TICK} from 2026-11-26 11:00 UTC (ongoing)"
WIDER = "Try a wider period: **This week** (`cw`) or **All time** (`all`)."
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UNKNOWN_PERIOD = (
    "unknown period '{}': use one of ct, lt, cd, ld, cw, lw, cm, lm, 2m, y, all, or one of this "
    "server's ticks (offered as you type)"
)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


async def send(plugin: PluginClient, *events: Event) -> None:
    reply = await plugin.post_events(list(events))
    assert reply.status == 200, reply.body


async def put(plugin: PluginClient, tally: dict[str, Any]) -> None:
    reply = await plugin.put_activity(tally)
    assert reply.status == 200, reply.body


def faction(name: str, state: str, share: float, **counters: Any) -> dict[str, Any]:
    """One faction of a tally as the plugin sends it: every counter zero unless given."""
    return {
        "name": name,
        "state": state,
        "influence": share,
        "stations": [],
        "bvs": 0,
        "cbs": 0,
        "exobiology": 0,
        "exploration": 0,
        "scenarios": 0,
        "missionfails": 0,
        "murdersground": 0,
        "murdersspace": 0,
        "tradebm": 0,
        "czground": {"low": 0, "medium": 0, "high": 0, "settlements": []},
        "czspace": {"low": 0, "medium": 0, "high": 0},
        **counters,
    }


def tally(
    cmdr: str,
    systems: list[tuple[str, int, list[dict[str, Any]]]],
    tickid: str = TICK,
    ticktime: datetime = TICK_TIME,
) -> dict[str, Any]:
    """A PUT /activities body: (system, address, factions) per system."""
    return {
        "cmdr": cmdr,
        "tickid": tickid,
        "ticktime": ticktime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timestamp": (ticktime + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "systems": [
            {"name": name, "address": address, "factions": factions}
            for name, address, factions in systems
        ],
    }


ANN_TALLY = tally(
    "Ann", [(BETA, BETA_ADDRESS, [faction(BETA_UNION, "None", 0.62, infprimary="2", bvs=100_000)])]
)


async def squadron_data(squadron: Squadron, plugin: PluginClient) -> None:
    """The data set of the module doc, Alpha Pirates protected before any of it."""
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        await protected.add_protected(session, PIRATES, force=True, now=LAST_TIME)
    gamma = {"system": GAMMA, "address": GAMMA_ADDRESS}
    await send(
        plugin,
        market_sell(AT, TRADERS, count=100, sale=5000, paid=4000, cmdr="Ann"),
        influence(AT, ADF, "+++", cmdr="Ann"),
        bounty(AT, ADF, 250_000, cmdr="Ann"),
        influence(AT, ADF, "++", "DownBad", cmdr="Bob"),
        combat_bond(AT, ADF, 1_500_000, cmdr="Bob"),
        mission_failed(AT, TRADERS, cmdr="Bob"),
        crime(AT, PIRATES, cmdr="Cy"),
        crime(AT, PIRATES, cmdr="Cy", **gamma),
        in_tick(
            bounty(LAST_TIME + timedelta(hours=1), ADF, 1_000_000, cmdr="Ann"), LAST, LAST_TIME
        ),
    )
    await put(plugin, sample("03-activities-put-first.json")["body_json"])
    await put(plugin, sample("03-activities-put-last.json")["body_json"])  # replaces the first
    await put(plugin, ANN_TALLY)
    await settle(squadron.bot)


async def run(squadron: Squadron, path: str, options: dict[str, Any] | None = None) -> list[str]:
    """A member runs a command that defers first; the lines of its reply's (first) embed."""
    record = await squadron.member(path, options)
    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert not record.ephemeral
    return description(record)


def description(record: InteractionRecord) -> list[str]:
    assert record.reply is not None
    return str(record.reply.embeds[0].get("description", "")).split("\n")


def footer(record: InteractionRecord) -> str:
    assert record.reply is not None
    return str(record.reply.embeds[0].get("footer", {}).get("text", ""))


def png_size(file: SentFile) -> tuple[int, int]:
    """A PNG attachment's (width, height), after checking that it decodes."""
    assert file.data.startswith(PNG_SIGNATURE)
    pixels = matplotlib.image.imread(io.BytesIO(file.data), format="png")
    height, width = pixels.shape[:2]
    return width, height


async def invoke_unchecked(
    squadron: Squadron, path: str, options: dict[str, Any]
) -> InteractionRecord:
    """Run a command with option values outside their choices, as a crafted or stale client
    could send them (the fake refuses them otherwise): its synced definition is used without
    choices for this one call."""
    name, *subcommands = path.split()
    [command] = [c for c in squadron.fake.synced_commands() if c["name"] == name]
    definitions = command["options"]
    for part in subcommands:
        definitions = next(d for d in definitions if d["name"] == part)["options"]
    removed = {d["name"]: d.pop("choices") for d in definitions if d["name"] in options}
    try:
        return await squadron.member(path, options)
    finally:
        for definition in definitions:
            if definition["name"] in removed:
                definition["choices"] = removed[definition["name"]]


def expect_refused(record: InteractionRecord, text: str) -> None:
    """An ephemeral answer before any deferral: the option was checked first."""
    assert record.responses[0]["type"] == CHANNEL_MESSAGE
    assert record.ephemeral
    assert record.text() == text
    assert record.files == []


def calendar_line(code: str, before: datetime, after: datetime) -> set[str]:
    """The period line of a calendar period at either instant (a test may straddle midnight)."""
    return {
        f"**Period:** {period.label} · {period.description}"
        for period in (period_for(code, before, []), period_for(code, after, []))
    }


# --------------------------------------------------------------------------------------------
# /activity summary
# --------------------------------------------------------------------------------------------


ALPHA_LINES = [
    f"• {ADF} (War, 45.0%): INF +1 · bounties 250K · bonds 500K · space CZ 1 (L0 M0 H1)"
    " · ground CZ 1 (L0 M1 H0) · scenarios 1 · failed missions 1",
    f"• {PIRATES} (War, 30.0%): murders 1",
    f"• {TRADERS} (Boom, 25.0%): INF +3 · trade profit 48K · bought 112.5K · black market 22K"
    " · exploration 470K · exobiology 1M · murders 1 · S&R 4",
]
BETA_LINES = [
    f"__{BETA}__",
    "• Thargoid kills 1 (1 scout) · TW rescue 1 · settlements reactivated 1",
    f"• {BETA_UNION} (62.0%): INF +2 · bounties 100K · S&R 1",
]


async def test_activity_summary(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)

    record = await squadron.member("activity summary")

    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert not record.ephemeral
    assert record.reply is not None
    assert record.reply.embeds[0]["title"] == "📊 Squadron activity"
    assert description(record) == [
        CURRENT,
        "",
        f"__{ALPHA}__ ⚠️ harmed {PIRATES} (1 murder)",
        *ALPHA_LINES,
        *BETA_LINES,
        f"__{GAMMA}__ ⚠️ harmed {PIRATES} (1 murder)",
    ]
    assert footer(record) == (
        "2 system(s), 4 faction(s) · state and influence as members last reported them"
    )
    assert record.files == []
    assert record.reply.find_component("page:next") is None


async def test_activity_summary_filters(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)

    in_beta = await squadron.member("activity summary", {"system": BETA})
    assert in_beta.reply is not None
    assert in_beta.reply.embeds[0]["title"] == f"📊 Squadron activity in {BETA}"
    assert description(in_beta)[2:] == BETA_LINES

    for_adf = await run(squadron, "activity summary", {"faction": ADF})
    assert for_adf[2:] == [f"__{ALPHA}__", ALPHA_LINES[0]]  # the harm was to another faction

    for_pirates = await run(squadron, "activity summary", {"faction": PIRATES, "system": ALPHA})
    assert for_pirates[2:] == [f"__{ALPHA}__ ⚠️ harmed {PIRATES} (1 murder)", ALPHA_LINES[1]]


async def test_activity_summary_last_tick_and_empty(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await squadron_data(squadron, plugin_for)
    lines = await run(squadron, "activity summary", {"period": "lt"})
    assert lines == [
        f"**Period:** Last tick · Tick {LAST} from 2026-11-25 11:00 UTC to 2026-11-26 11:00 UTC",
        "",
        f"No activity reported by members in this period. {WIDER}",
    ]


async def test_activity_summary_without_any_data(squadron: Squadron) -> None:
    record = await squadron.member("activity summary")
    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert description(record) == [
        "**Period:** Current tick: no tick is known yet",
        "",
        f"No activity reported by members in this period. {WIDER}",
    ]

    before = datetime.now(UTC)
    record = await squadron.member("activity summary", {"period": "cw"})
    after = datetime.now(UTC)
    head, _, empty = description(record)
    assert head in calendar_line("cw", before, after)
    assert head.endswith("(end excluded)")
    assert empty == (
        "No activity reported by members in this period. "
        "Try a wider period: **This month** (`cm`) or **All time** (`all`)."
    )

    everything = await run(squadron, "activity summary", {"period": "all"})
    assert everything == [
        "**Period:** All time: no bounds",
        "",
        "No activity reported by members in this period. "
        "Members' BGS-Tally has not sent any such data yet.",
    ]


async def test_activity_summary_chart(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)
    adf = faction(ADF, "War", 0.4, infprimary="5", cbs=2_000_000)
    await put(plugin_for, tally("Ann", [(ALPHA, 1000001, [adf])], LAST, LAST_TIME))

    record = await squadron.member("activity summary", {"chart": True})

    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    [chart] = record.files
    assert chart.filename == "activity.png"
    assert png_size(chart) == (800, 600)
    assert description(record)[0] == CURRENT


async def test_activity_summary_chart_needs_our_faction(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await squadron_data(squadron, plugin_for)
    await update_guild(squadron, faction=None)
    record = await squadron.member("activity summary", {"chart": True})
    expect_refused(
        record,
        "The chart shows our faction's activity, and this server has no faction set. An officer "
        "can set it with `/config faction`; leave `chart` off meanwhile.",
    )


async def test_long_activity_summary_pages(squadron: Squadron, plugin_for: PluginClient) -> None:
    systems = [
        (f"Colony {n:02d}", 2_000_000 + n, [faction(f"Colony Faction {n:02d}", "Boom", 0.5, bvs=n)])
        for n in range(1, 61)
    ]
    await put(plugin_for, tally("Ann", systems))

    record = await squadron.member("activity summary")

    assert record.reply is not None
    assert record.reply.find_component("page:next") is not None
    first = description(record)
    assert first[0] == CURRENT
    assert "__Colony 01__" in first and "__Colony 60__" not in first
    assert footer(record).endswith("page 1/3")
    turned = await squadron.fake.press_button(record, "page:next")
    second = await turned.wait_reply()
    page = str(second.embeds[0]["description"]).split("\n")
    assert page[0] == CURRENT  # the period heads every page
    assert "__Colony 01__" not in page
    assert str(second.embeds[0]["footer"]["text"]).endswith("page 2/3")


# --------------------------------------------------------------------------------------------
# /activity cmdr and /activity systems
# --------------------------------------------------------------------------------------------


async def test_activity_of_every_cmdr(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)
    record = await squadron.member("activity cmdr")
    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert description(record) == [
        CURRENT,
        "",
        f"1. {CMDR} — INF +4 · bounties 250K · bonds 500K · trade profit 48K · bought 112.5K"
        " · black market 22K · exploration 470K · exobiology 1M · space CZ 1 (L0 M0 H1)"
        " · ground CZ 1 (L0 M1 H0) · scenarios 1 · failed missions 1 · murders 2 · S&R 5"
        " · Thargoid kills 1 (1 scout) · TW rescue 1 · settlements reactivated 1",
        "2. Ann — INF +2 · bounties 100K",
    ]
    assert footer(record) == "2 cmdr(s) · one cmdr's details: /activity cmdr cmdr:<name>"


async def test_activity_of_one_cmdr(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)

    ann = await squadron.member("activity cmdr", {"cmdr": "Ann"})
    assert (await ann.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert ann.reply is not None and ann.reply.embeds[0]["title"] == "👤 CMDR Ann"
    assert description(ann) == [
        CURRENT,
        "",
        "**Totals**",
        "sold 500K · 100 t · profit 100K (25.0%) · missions 1 · INF +3 · bounties 250K",
        "",
        "**By system** (BGS-Tally)",
        f"__{BETA}__",
        f"• {BETA_UNION}: INF +2 · bounties 100K",
    ]

    cy = await run(squadron, "activity cmdr", {"cmdr": "Cy"})
    assert cy[2:] == [
        "**Totals**",
        "fines 20K",
        "",
        "**By system** (BGS-Tally)",
        f"__{ALPHA}__ ⚠️ harmed {PIRATES} (1 murder)",
        f"__{GAMMA}__ ⚠️ harmed {PIRATES} (1 murder)",
    ]

    ann_last = await run(squadron, "activity cmdr", {"cmdr": "Ann", "period": "lt"})
    assert ann_last[2:] == ["**Totals**", "bounties 1M"]

    nobody = await run(squadron, "activity cmdr", {"cmdr": "Zed"})
    assert nobody[2:] == [f"Nothing from CMDR Zed in this period. {WIDER}"]


async def test_activity_systems(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)
    galaxy = TICK_TIME + timedelta(hours=3)  # an hour after the data of `squadron_data`
    assert (await ticks_of(squadron.bot).monitor.set_manual(galaxy, now=galaxy)).new
    await send(plugin_for, docked(galaxy + timedelta(hours=1), "Beta Port", BETA, BETA_ADDRESS))
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        for title, kind, system in (
            ("Boost ADF", "boost", ALPHA),
            ("Expand to Beta", "expand", BETA),
            ("Scout Delta", "recon", DELTA),
        ):
            await objectives.create_objective(
                session, title=title, objective_type=kind, system=system, starts_at=LAST_TIME
            )

    record = await squadron.member("activity systems")

    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    newest = AT.timestamp()
    docked_at = (galaxy + timedelta(hours=1)).timestamp()
    assert description(record) == [
        CURRENT,
        f"**Galaxy tick:** <t:{galaxy.timestamp():.0f}:f> (<t:{galaxy.timestamp():.0f}:R>)",
        "",
        "**Systems worked** (3)",
        f"• **{ALPHA}** — 7 events · newest <t:{newest:.0f}:R> · ⚠️ 1 h 0 min before the tick",
        f"• **{BETA}** — 1 event · newest <t:{docked_at:.0f}:R> · ✅ since the tick",
        f"• **{GAMMA}** — 1 event · newest <t:{newest:.0f}:R> · ⚠️ 1 h 0 min before the tick",
        "",
        "**Objective systems nobody visited since the tick**",
        f"• **{ALPHA}** — Boost ADF",
        f"• **{DELTA}** — Scout Delta",
    ]


async def test_activity_systems_without_data(squadron: Squadron) -> None:
    lines = await run(squadron, "activity systems", {"period": "lt"})
    assert lines == [
        "**Period:** Last tick: no tick is known yet",
        "**Galaxy tick:** not known",
        "",
        f"No member reported from any system in this period. {WIDER}",
    ]


# --------------------------------------------------------------------------------------------
# /leaderboard and /top5
# --------------------------------------------------------------------------------------------


async def test_leaderboard(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)

    record = await squadron.member("leaderboard")

    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert record.reply is not None and record.reply.embeds[0]["title"] == "🏆 Leaderboard"
    assert description(record) == [
        CURRENT,
        "**Ranked by:** Trade volume",
        "",
        "**1. Ann** — 500,000 Cr",
        "sold 500K · 100 t · profit 100K (25.0%) · missions 1 · INF +3 · bounties 250K",
        "**2. Bob** — 0 Cr",
        "missions 1 · failed missions 1 · INF -2 · bonds 1.5M",
        "**3. Cy** — 0 Cr",
        "fines 20K",
        f"**4. {CMDR}** — 0 Cr",
        "Thargoid kills 1 · S&R 5 · TW rescue 1",
    ]
    assert footer(record) == "4 cmdr(s)"
    [chart] = record.files
    assert chart.filename == "leaderboard.png"
    assert png_size(chart) == (800, 450)


async def test_leaderboard_by_another_metric_and_period(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await squadron_data(squadron, plugin_for)

    by_influence = await run(squadron, "leaderboard", {"metric": "influence"})
    assert [line for line in by_influence if line.startswith("**")] == [
        CURRENT,
        "**Ranked by:** Influence for our faction",
        "**1. Ann** — +3 INF",
        "**2. Cy** — +0 INF",
        f"**3. {CMDR}** — +0 INF",
        "**4. Bob** — -2 INF",  # signed: Bob's mission lowered our influence
    ]

    record = await squadron.member("leaderboard", {"metric": "bounty_vouchers", "period": "all"})
    assert description(record)[:4] == [
        "**Period:** All time: no bounds",
        "**Ranked by:** Bounty vouchers",
        "",
        "**1. Ann** — 1,250,000 Cr",
    ]
    assert png_size(record.files[0]) == (800, 450)


async def test_leaderboard_of_nothing(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)
    record = await squadron.member("leaderboard", {"metric": "exploration_sales"})
    assert description(record)[:3] == [
        CURRENT,
        "**Ranked by:** Exploration sales",
        "Nobody has any exploration sales in this period: no chart.",
    ]
    assert record.files == []


async def test_leaderboard_without_any_data(squadron: Squadron) -> None:
    record = await squadron.member("leaderboard")
    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert description(record) == [
        "**Period:** Current tick: no tick is known yet",
        "**Ranked by:** Trade volume",
        "",
        f"No cmdr did anything in this period. {WIDER}",
    ]
    assert record.files == []


async def test_long_leaderboard_pages(squadron: Squadron, plugin_for: PluginClient) -> None:
    await send(plugin_for, *(bounty(AT, ADF, 1000 * n, cmdr=f"Cmdr {n:02d}") for n in range(1, 61)))
    record = await squadron.member("leaderboard", {"metric": "bounty_vouchers"})
    assert record.reply is not None
    assert record.reply.find_component("page:next") is not None
    lines = description(record)
    assert lines[3] == "**1. Cmdr 60** — 60,000 Cr"
    assert footer(record) == "60 cmdr(s) · the chart shows the top 15 · page 1/2"
    assert png_size(record.files[0]) == (800, 450)
    turned = await squadron.fake.press_button(record, "page:next")
    second = await turned.wait_reply()
    assert str(second.embeds[0]["description"]).split("\n")[:2] == [
        CURRENT,
        "**Ranked by:** Bounty vouchers",
    ]
    assert "**60. Cmdr 01** — 1,000 Cr" in str(second.embeds[0]["description"])


async def test_leaderboard_refuses_bad_options(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await squadron_data(squadron, plugin_for)
    unknown_metric = await invoke_unchecked(squadron, "leaderboard", {"metric": "fame"})
    expect_refused(
        unknown_metric,
        "unknown metric 'fame': use one of trade_volume, tonnage, trade_profit, "
        "missions_completed, missions_failed, influence, bounty_vouchers, combat_bonds, "
        "exploration_sales, bounty_fines, thargoid_kills, search_rescue, tw_rescue",
    )
    unknown_period = await squadron.member("leaderboard", {"period": "fortnight"})
    expect_refused(unknown_period, UNKNOWN_PERIOD.format("fortnight"))
    await update_guild(squadron, faction=None)
    no_faction = await squadron.member("leaderboard", {"metric": "influence"})
    expect_refused(
        no_faction,
        "Influence is counted for our faction, and this server has no faction set. An officer "
        "can set it with `/config faction`.",
    )


async def test_top5(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)

    record = await squadron.member("top5")

    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert record.reply is not None and record.reply.embeds[0]["title"] == "🏅 Top 5"
    assert description(record) == [
        CURRENT,
        "",
        "**📦 Market**",
        "1. Ann — 500,000 Cr · 100 t",
        "",
        "**📈 Trade profit**",
        "1. Ann — 100,000 Cr",
        "",
        "**📜 Missions completed**",
        "1. Ann — 1",
        "2. Bob — 1",
        "",
        "**📉 Missions failed**",
        "1. Bob — 1",
        "",
        "**🗳️ Influence by faction**",
        f"1. Ann — {ADF} +3",
        "",
        f"**🗳️ Influence for {FACTION}**",
        "1. Ann — +3",
        "",
        "**💰 Bounty vouchers**",
        "1. Ann — 250,000 Cr",
        "",
        "**⚔️ Combat bonds**",
        "1. Bob — 1,500,000 Cr",
        "",
        "**🚨 Bounties and fines**",
        "1. Cy — 20,000 Cr",
        "",
        "**👾 Thargoid kills**",
        f"1. {CMDR} — 1",
        "",
        "**🛟 Search and rescue**",
        f"1. {CMDR} — 5",
        "",
        "**🛟 Thargoid war rescue**",
        f"1. {CMDR} — 1",
    ]

    last = await run(squadron, "top5", {"period": "lt"})
    assert last[2:] == ["**💰 Bounty vouchers**", "1. Ann — 1,000,000 Cr"]


async def test_top5_without_any_data(squadron: Squadron) -> None:
    lines = await run(squadron, "top5", {"period": "lt"})
    assert lines == [
        "**Period:** Last tick: no tick is known yet",
        "",
        f"No cmdr did anything in this period. {WIDER}",
    ]


# --------------------------------------------------------------------------------------------
# /leaderboard system, the tallies' metrics, periods that name a tick
# --------------------------------------------------------------------------------------------


async def test_leaderboard_of_one_system_by_the_tallies_metrics(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await squadron_data(squadron, plugin_for)

    record = await squadron.member("leaderboard", {"system": BETA, "metric": "thargoid_kills"})

    assert record.reply is not None
    assert record.reply.embeds[0]["title"] == f"🏆 Leaderboard in {BETA}"
    assert description(record) == [
        CURRENT,
        "**Ranked by:** Thargoid kills",
        "",
        f"**1. {CMDR}** — 1",
        "Thargoid kills 1 · S&R 1 · TW rescue 1",  # Beta Union's pod, not Alpha Traders' wreckage
    ]
    assert footer(record) == "1 cmdr(s)"
    assert png_size(record.files[0]) == (800, 450)

    in_alpha = await run(squadron, "leaderboard", {"system": ALPHA, "metric": "search_rescue"})
    assert in_alpha[:5] == [
        CURRENT,
        "**Ranked by:** Search and rescue items",
        "",
        f"**1. {CMDR}** — 4",
        "S&R 4",
    ]
    rescue = await run(squadron, "leaderboard", {"metric": "tw_rescue", "period": "all"})
    assert rescue[:4] == [
        "**Period:** All time: no bounds",
        "**Ranked by:** Thargoid war rescue items",
        "",
        f"**1. {CMDR}** — 1",
    ]
    nowhere = await run(squadron, "leaderboard", {"system": DELTA})
    assert nowhere[3] == f"No cmdr did anything in {DELTA} in this period. {WIDER}"


async def test_a_period_can_name_a_tick(squadron: Squadron, plugin_for: PluginClient) -> None:
    await squadron_data(squadron, plugin_for)

    last = await run(squadron, "leaderboard", {"period": LAST, "metric": "bounty_vouchers"})
    assert last[:4] == [
        f"**Period:** Tick of 2026-11-25 11:00 UTC ({LAST}) to 2026-11-26 11:00 UTC",
        "**Ranked by:** Bounty vouchers",
        "",
        "**1. Ann** — 1,000,000 Cr",
    ]
    current = await run(squadron, "activity summary", {"period": TICK})
    assert current[0] == f"**Period:** Tick of 2026-11-26 11:00 UTC ({TICK}) (ongoing)"
    assert current[2:] == (await run(squadron, "activity summary"))[2:]
    empty = await run(squadron, "cz space", {"period": LAST})
    assert empty[-1] == "No space CZs in this period. Try a wider period: **All time** (`all`)."

    unknown = await squadron.member("top5", {"period": "zoy-not-ours"})
    expect_refused(unknown, UNKNOWN_PERIOD.format("zoy-not-ours"))


async def test_the_period_option_offers_the_guilds_last_ticks(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    days = range(25)
    await send(
        plugin_for,
        *(
            in_tick(
                docked(TICK_TIME - timedelta(days=n, hours=-1), "Alpha Port"),
                f"zoy-{n:02d}",
                TICK_TIME - timedelta(days=n),
            )
            for n in days
        ),
    )

    async def offered(path: str, typed: str) -> list[dict[str, Any]]:
        return await squadron.fake.autocomplete(
            path, {"period": typed}, focused="period", guild_id=squadron.guild.id
        )

    codes = ["ct", "lt", "cd", "ld", "cw", "lw", "cm", "lm", "2m", "y", "all"]
    for path in (
        "activity summary",
        "activity cmdr",
        "activity systems",
        "leaderboard",
        "top5",
        "cz space",
        "cz ground",
    ):
        first = await offered(path, "")
        assert [c["value"] for c in first] == [*codes, *(f"zoy-{n:02d}" for n in range(14))]
    ticks = await offered("leaderboard", "tick of")
    assert [c["value"] for c in ticks] == [f"zoy-{n:02d}" for n in range(20)]  # the last 20
    assert ticks[0]["name"] == "Tick of 2026-11-26 11:00 UTC · zoy-00"
    assert [c["value"] for c in await offered("top5", "2026-11-10")] == ["zoy-16"]
    assert await offered("top5", "2026-11-02") == []  # zoy-24: older than the last 20
    assert [c["value"] for c in await offered("top5", "LAST")] == ["lt", "lw", "lm"]


# --------------------------------------------------------------------------------------------
# /cz space and /cz ground
# --------------------------------------------------------------------------------------------


async def cz_data(plugin: PluginClient) -> None:
    """The captured batches (Test Cmdr: one high space CZ; a low ground CZ corrected to a
    medium one at Barnes Enterprise) and more CZs of Ann and Bob."""
    for batch in range(1, 11):
        await send(plugin, *sample(f"02-events-batch-{batch:02d}.json")["body_json"])
    beta = {"system": BETA, "address": BETA_ADDRESS}
    await send(
        plugin,
        space_cz(AT, ADF, "low", 2, cmdr="Ann"),
        space_cz(AT, PIRATES, "medium", cmdr="Bob"),
        space_cz(AT, BETA_UNION, "high", cmdr="Bob", **beta),
        ground_cz(AT, ADF, "Kowalski Hub", "high", cmdr="Ann"),
        ground_cz(AT, ADF, "Barnes Enterprise", "low", cmdr="Bob"),
    )


async def test_cz_space(squadron: Squadron, plugin_for: PluginClient) -> None:
    await cz_data(plugin_for)

    record = await squadron.member("cz space")

    assert (await record.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert record.reply is not None and record.reply.embeds[0]["title"] == "🚀 Space CZs"
    assert description(record) == [
        CURRENT,
        "",
        f"__{ALPHA}__",
        "**Total: 4 (L2 M1 H1)**",
        "",
        "**Fought for**",
        f"• {ADF}: 3 (L2 M0 H1)",
        f"• {PIRATES}: 1 (L0 M1 H0)",
        "",
        "**Cmdrs**",
        "1. Ann — 2 (L2 M0 H0)",
        "2. Bob — 1 (L0 M1 H0)",
        f"3. {CMDR} — 1 (L0 M0 H1)",
        "",
        f"__{BETA}__",
        "**Total: 1 (L0 M0 H1)**",
        "",
        "**Fought for**",
        f"• {BETA_UNION}: 1 (L0 M0 H1)",
        "",
        "**Cmdrs**",
        "1. Bob — 1 (L0 M0 H1)",
        "",
    ]

    in_beta = await squadron.member("cz space", {"system": BETA})
    assert in_beta.reply is not None
    assert in_beta.reply.embeds[0]["title"] == f"🚀 Space CZs in {BETA}"
    assert description(in_beta)[2:4] == [f"__{BETA}__", "**Total: 1 (L0 M0 H1)**"]


async def test_cz_ground(squadron: Squadron, plugin_for: PluginClient) -> None:
    await cz_data(plugin_for)

    lines = await run(squadron, "cz ground", {"system": ALPHA})

    assert lines == [
        CURRENT,
        "",
        f"__{ALPHA}__",
        "**Total: 3 (L1 M1 H1)**",
        "",
        "**Fought for**",
        f"• {ADF}: 3 (L1 M1 H1)",
        "",
        "**Settlements**",
        "• Barnes Enterprise: 2",
        "• Kowalski Hub: 1",
        "",
        "**Cmdrs**",
        "1. Ann — 1 (L0 M0 H1)",
        "2. Bob — 1 (L1 M0 H0)",
        f"3. {CMDR} — 1 (L0 M1 H0)",
        "",
    ]

    nothing = await run(squadron, "cz ground", {"system": BETA})
    assert nothing[2:] == [f"No ground CZs in {BETA} in this period. {WIDER}"]


async def test_cz_refuses_an_unknown_period(squadron: Squadron) -> None:
    record = await squadron.member("cz space", {"period": "zz"})
    expect_refused(record, UNKNOWN_PERIOD.format("zz"))


# --------------------------------------------------------------------------------------------
# Autocomplete
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "option", "typed", "expected"),
    [
        ("activity summary", "system", "beta", [BETA]),
        ("activity summary", "faction", "alpha", sorted([ADF, PIRATES, TRADERS])),
        ("activity cmdr", "cmdr", "b", ["Bob"]),
        ("cz space", "system", "gam", [GAMMA]),
        ("cz ground", "system", "ALPHA", [ALPHA]),
    ],
)
async def test_autocomplete(
    squadron: Squadron,
    plugin_for: PluginClient,
    path: str,
    option: str,
    typed: str,
    expected: list[str],
) -> None:
    await squadron_data(squadron, plugin_for)
    choices = await squadron.fake.autocomplete(
        path, {option: typed}, focused=option, guild_id=squadron.guild.id
    )
    assert sorted(choice["value"] for choice in choices) == expected
    assert all(choice["name"] == choice["value"] for choice in choices)
