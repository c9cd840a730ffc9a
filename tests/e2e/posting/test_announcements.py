"""Scheduled posts over the fake Discord: the post-tick summary, the daily summary and the CZ
summaries, from fixed data stored through the listener. Each: its content, its ledger row, no
second post on a second run or from a second bot on the same database, a failed send retried,
a guild without a channel (or with the post turned off) skipped. And the scheduler's triggers,
read from the registered jobs without waiting on the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bgs import objectives, protected
from bgs.conflicts import CHANGE_KIND
from cogs.announcements import (
    DAILY,
    DIGEST,
    GROUND_CZ,
    JOBS,
    POST_TICK,
    SPACE_CZ,
)
from cogs.members import INARA_SYNC
from cogs.recruits import RECRUITS_POST
from cogs.ticks import TICK_POLL
from settings import ChannelKind
from tests.fakes.fake_discord import FakeDiscord, FakeGuild
from tests.fakes.tick_source import FakeTickSource
from tests.helpers.plugin import PluginClient, sample
from tests.helpers.plugin_events import (
    ADF,
    ALPHA,
    BETA,
    BETA_ADDRESS,
    BETA_UNION,
    PIRATES,
    TRADERS,
    bounty,
    combat_bond,
    crime,
    exploration,
    ground_cz,
    influence,
    market_sell,
    space_cz,
)
from tests.helpers.squadron import (
    FACTION,
    GUILD,
    Squadron,
    announcements,
    in_tick,
    ledger_rows,
    posts,
    running_warden,
    set_channel,
    settle,
    ticks_of,
    update_guild,
)
from warden.services import RECOVERY_JOB, RETENTION_JOB, ROLLUP_JOB

# The plugin's events and tallies are of tick zoy-7aa3… (11:00 on the 26th): the tick that ends
# when the galaxy ticks at 11:00 on the 27th.
ENDED = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
TICK = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
SEEN = TICK + timedelta(minutes=2)
DUE = SEEN + timedelta(minutes=15)  # the default delay
NEXT_TICKID = "zoy-next"
DAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # the day the daily summaries report
MIDNIGHT = datetime(2026, 11, 26, 0, 0, 5, tzinfo=UTC)


async def send(plugin: PluginClient, *events: dict[str, Any]) -> None:
    """Events through the listener, then wait for the after-ingest work."""
    reply = await plugin.post_events(list(events))
    assert reply.status == 200, reply.body


def stamp(instant: datetime, style: str = "f") -> str:
    return f"<t:{int(instant.timestamp())}:{style}>"


def texts(squadron: Squadron, channel: str) -> list[str]:
    return [message.text() for message in posts(squadron, channel)]


# -- the post-tick summary --------------------------------------------------------------------


async def tick_data(squadron: Squadron, plugin: PluginClient) -> None:
    """The galaxy ticks, a protected faction, an objective, the ended tick's tally and events,
    and some data of the new tick that must not show."""
    monitor = ticks_of(squadron.bot).monitor
    assert (await monitor.set_manual(ENDED, now=ENDED + timedelta(minutes=1))).new
    assert (await monitor.set_manual(TICK, now=SEEN)).new
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        await protected.add_protected(session, PIRATES, force=True, now=ENDED)
        objective = await objectives.create_objective(
            session,
            title="Boost ADF",
            objective_type="boost",
            system=ALPHA,
            faction=ADF,
            starts_at=ENDED,
        )
        await objectives.add_target(session, objective, target_type="bv", target_overall=1_000_000)
    tally = sample("03-activities-put-last.json")["body_json"]
    assert (await plugin.put_activity(tally)).status == 200
    later = tally | {
        "cmdr": "Other Cmdr",
        "tickid": NEXT_TICKID,
        "ticktime": "2026-11-27T11:00:00Z",
    }
    assert (await plugin.put_activity(later)).status == 200
    at = ENDED + timedelta(hours=2)
    await send(
        plugin,
        bounty(at, ADF, 250_000),
        crime(at, PIRATES),
        in_tick(crime(TICK + timedelta(minutes=5), PIRATES, cmdr="Other Cmdr"), NEXT_TICKID, TICK),
    )
    await settle(squadron.bot)


async def test_post_tick_summary(squadron: Squadron, plugin_for: PluginClient) -> None:
    await tick_data(squadron, plugin_for)
    job = announcements(squadron.bot)

    await job.post_tick_summaries(now=DUE - timedelta(seconds=1))
    assert posts(squadron, "bgs-summary") == []

    await job.post_tick_summaries(now=DUE)
    [message] = posts(squadron, "bgs-summary")
    [embed] = message.embeds
    assert embed["title"] == "📊 Tick summary"
    assert embed["description"].split("\n") == [
        f"The tick from {stamp(ENDED)} to {stamp(TICK)}.",
        "",
        "**Activity by system**",
        f"__{ALPHA}__ ⚠️",
        "• Alpha Defence Force (War): INF +1 · bounties 250K · bonds 500K · space CZ 1 (L0 M0 H1)"
        " · ground CZ 1 (L0 M1 H0) · scenarios 1 · failed missions 1",
        "• Alpha Pirates (War): murders 1",
        "• Alpha Traders (Boom): INF +3 · trade profit 48K · bought 112.5K · black market 22K"
        " · exploration 470K · exobiology 1M · murders 1 · S&R 4",
        f"__{BETA}__",
        "• Thargoid kills 1 (1 scout) · TW rescue 1 · settlements reactivated 1",
        "• Beta Union: S&R 1",
        "",
        "**Top contributors**",
        "1. Test Cmdr ⚠️ — INF +4 · bounties 250K · bonds 500K · trade profit 48K · bought 112.5K"
        " · black market 22K · exploration 470K · exobiology 1M · space CZ 1 (L0 M0 H1)"
        " · ground CZ 1 (L0 M1 H0) · scenarios 1 · failed missions 1 · murders 2 · S&R 5"
        " · Thargoid kills 1 (1 scout) · TW rescue 1 · settlements reactivated 1",
        "",
        "**Objectives**",
        "[☆☆☆☆☆] **Boost ADF** ▰▰▱▱▱▱▱▱▱▱ 25%",
        f"• [250K / 1M CR] Bounty vouchers · {ADF} · {ALPHA}",
        "",
        "**⚠️ Work against protected factions**",
        f"• {PIRATES} in {ALPHA}: Test Cmdr: murders ×1 (10,000 CR)",
    ]
    assert await ledger_rows(squadron, "post_tick") == [
        (TICK.isoformat(), squadron.channel("bgs-summary"), True)
    ]

    await job.post_tick_summaries(now=DUE + timedelta(minutes=1))
    assert len(posts(squadron, "bgs-summary")) == 1


async def test_post_tick_summary_is_posted_once_by_two_bots(
    squadron: Squadron,
    plugin_for: PluginClient,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    await tick_data(squadron, plugin_for)
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        await announcements(squadron.bot).post_tick_summaries(now=DUE)
        await announcements(second.bot).post_tick_summaries(now=DUE + timedelta(minutes=1))
    assert len(posts(squadron, "bgs-summary")) == 1
    assert len(await ledger_rows(squadron, "post_tick")) == 1


async def test_post_tick_summary_follows_the_guilds_delay(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await tick_data(squadron, plugin_for)
    await update_guild(squadron, post_tick_delay_minutes=60)
    job = announcements(squadron.bot)

    await job.post_tick_summaries(now=DUE)
    assert posts(squadron, "bgs-summary") == []
    await job.post_tick_summaries(now=SEEN + timedelta(minutes=60))
    assert len(posts(squadron, "bgs-summary")) == 1


async def test_post_tick_summary_is_not_posted_long_after_its_time(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await tick_data(squadron, plugin_for)
    await announcements(squadron.bot).post_tick_summaries(now=DUE + timedelta(hours=2))
    assert posts(squadron, "bgs-summary") == []
    assert await ledger_rows(squadron, "post_tick") == []


async def test_a_failed_post_tick_summary_is_retried(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await tick_data(squadron, plugin_for)
    job = announcements(squadron.bot)
    squadron.fake.fail_channel_posts(squadron.channel("bgs-summary"), status=503)

    await job.post_tick_summaries(now=DUE)
    assert posts(squadron, "bgs-summary") == []
    assert await ledger_rows(squadron, "post_tick") == []

    await job.post_tick_summaries(now=DUE + timedelta(minutes=1))
    assert len(posts(squadron, "bgs-summary")) == 1
    assert len(await ledger_rows(squadron, "post_tick")) == 1


async def test_post_tick_summary_without_a_summary_channel(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await tick_data(squadron, plugin_for)
    await set_channel(squadron, ChannelKind.SUMMARY, None)
    await announcements(squadron.bot).post_tick_summaries(now=DUE)
    assert await ledger_rows(squadron, "post_tick") == []
    assert all(posts(squadron, name) == [] for name in ("bgs-summary", "general"))


async def test_post_tick_summary_without_member_data(squadron: Squadron) -> None:
    monitor = ticks_of(squadron.bot).monitor
    assert (await monitor.set_manual(TICK, now=SEEN)).new

    await announcements(squadron.bot).post_tick_summaries(now=DUE)

    [message] = posts(squadron, "bgs-summary")
    assert message.embeds[0]["description"].split("\n") == [
        f"The galaxy ticked {stamp(TICK)}; no member data of the tick before it.",
        "",
        "**Activity by system**",
        "No activity reported by members for this tick.",
    ]


async def test_a_long_post_tick_summary_is_split_within_discords_limits(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await tick_data(squadron, plugin_for)
    tally = sample("03-activities-put-last.json")["body_json"]
    alpha = tally["systems"][0]
    systems = [alpha | {"name": f"Far System {n:03d}", "address": 2_000_000 + n} for n in range(80)]
    assert (await plugin_for.put_activity(tally | {"systems": systems})).status == 200

    await announcements(squadron.bot).post_tick_summaries(now=DUE)

    messages = posts(squadron, "bgs-summary")
    assert len(messages) > 1
    for message in messages:
        assert 1 <= len(message.embeds) <= 10
        assert sum(len(discord.Embed.from_dict(embed)) for embed in message.embeds) <= 6000
        assert all(len(embed["description"]) <= 4096 for embed in message.embeds)
    text = "\n".join(message.text() for message in messages)
    assert all(f"__Far System {n:03d}__" in text for n in range(80))
    [(_, _, recorded)] = await ledger_rows(squadron, "post_tick")
    assert recorded


# -- the daily summary ------------------------------------------------------------------------


async def day_data(plugin: PluginClient) -> None:
    await send(
        plugin,
        market_sell(DAY, TRADERS, count=100, sale=5000, paid=4000, cmdr="Ann"),
        market_sell(DAY, TRADERS, count=300, sale=5000, paid=4500, cmdr="Bob"),
        influence(DAY, ADF, "+++", cmdr="Ann"),
        influence(DAY, PIRATES, "++", cmdr="Bob"),
        bounty(DAY, ADF, 250_000, cmdr="Ann"),
        combat_bond(DAY, ADF, 500_000, cmdr="Bob"),
        exploration(DAY, TRADERS, 470_000, cmdr="Ann"),
        crime(DAY, PIRATES, cmdr="Bob"),
        bounty(MIDNIGHT, ADF, 999_999, cmdr="Cy"),  # today: not in yesterday's summary
    )


async def test_daily_summary(squadron: Squadron, plugin_for: PluginClient) -> None:
    await day_data(plugin_for)
    job = announcements(squadron.bot)

    await job.daily_summaries(now=MIDNIGHT)
    await job.daily_summaries(now=MIDNIGHT + timedelta(minutes=15))

    [message] = posts(squadron, "bgs-summary")
    [embed] = message.embeds
    assert embed["title"] == "📅 Daily summary for 2026-11-25 (UTC)"
    assert embed["description"].split("\n") == [
        "**📦 Market**",
        "1. Bob — 1,500,000 Cr · 300 t",
        "2. Ann — 500,000 Cr · 100 t",
        "",
        "**📜 Missions completed**",
        "1. Ann — 1",
        "2. Bob — 1",
        "",
        "**🗳️ Influence by faction**",
        f"1. Ann — {ADF} +3",
        f"2. Bob — {PIRATES} +2",
        "",
        f"**🗳️ Influence for {FACTION}**",
        "1. Ann — +3",
        "",
        "**💰 Bounty vouchers**",
        "1. Ann — 250,000 Cr",
        "",
        "**⚔️ Combat bonds**",
        "1. Bob — 500,000 Cr",
        "",
        "**🔭 Exploration data**",
        "1. Ann — 470,000 Cr",
        "",
        "**🚨 Bounties and fines**",
        "1. Bob — 10,000 Cr",
    ]
    assert await ledger_rows(squadron, "daily") == [
        ("2026-11-25", squadron.channel("bgs-summary"), True)
    ]


async def test_daily_summary_uses_the_guilds_own_faction(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await day_data(plugin_for)
    await update_guild(squadron, faction=PIRATES)
    await announcements(squadron.bot).daily_summaries(now=MIDNIGHT)
    [text] = texts(squadron, "bgs-summary")
    assert f"**🗳️ Influence for {PIRATES}**\n1. Bob — +2\n" in text
    assert f"Influence for {FACTION}" not in text


async def test_daily_summary_once_across_two_bots_and_retried_after_a_failure(
    squadron: Squadron,
    plugin_for: PluginClient,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    await day_data(plugin_for)
    fake.fail_channel_posts(squadron.channel("bgs-summary"), status=503)
    await announcements(squadron.bot).daily_summaries(now=MIDNIGHT)
    assert posts(squadron, "bgs-summary") == []
    assert await ledger_rows(squadron, "daily") == []

    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        await announcements(second.bot).daily_summaries(now=MIDNIGHT + timedelta(minutes=15))
        await announcements(squadron.bot).daily_summaries(now=MIDNIGHT + timedelta(minutes=30))
    assert len(posts(squadron, "bgs-summary")) == 1
    assert len(await ledger_rows(squadron, "daily")) == 1


async def test_daily_summary_skipped_when_off_empty_or_without_a_channel(
    squadron: Squadron, plugin_for: PluginClient, caplog: pytest.LogCaptureFixture
) -> None:
    job = announcements(squadron.bot)
    await job.daily_summaries(now=MIDNIGHT)  # nothing happened that day
    assert f"guild {GUILD}: no activity on 2026-11-25; no daily summary" in caplog.text

    await day_data(plugin_for)
    await update_guild(squadron, daily_summary=False)
    await job.daily_summaries(now=MIDNIGHT)
    assert f"guild {GUILD}: daily summary is off; 2026-11-25 skipped" in caplog.text

    await update_guild(squadron, daily_summary=True)
    await set_channel(squadron, ChannelKind.SUMMARY, None)
    await job.daily_summaries(now=MIDNIGHT)
    assert (
        f"guild {GUILD}: daily '2026-11-25' skipped: Daily summaries are skipped: no summary "
        "channel is set. Set one with `/config channel kind:summary`."
    ) in caplog.text

    assert posts(squadron, "bgs-summary") == []
    assert await ledger_rows(squadron, "daily") == []


# -- the CZ summaries -------------------------------------------------------------------------


async def cz_data(plugin: PluginClient) -> None:
    beta = {"system": BETA, "address": BETA_ADDRESS}
    await send(
        plugin,
        space_cz(DAY, ADF, "high", cmdr="Ann"),
        space_cz(DAY, ADF, "low", 2, cmdr="Bob"),
        space_cz(DAY, PIRATES, "medium", cmdr="Bob"),
        space_cz(DAY, BETA_UNION, "low", cmdr="Ann", **beta),
        ground_cz(DAY, ADF, "Barnes Enterprise", "medium", cmdr="Ann"),
        ground_cz(DAY, ADF, "Barnes Enterprise", "low", cmdr="Bob"),
        ground_cz(DAY, ADF, "Kowalski Hub", "high", cmdr="Bob"),
        space_cz(MIDNIGHT, ADF, "high", cmdr="Cy"),  # today
    )


async def test_space_cz_summary_one_post_per_system(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await cz_data(plugin_for)
    job = announcements(squadron.bot)

    await job.space_cz_summaries(now=MIDNIGHT + timedelta(minutes=1))
    await job.space_cz_summaries(now=MIDNIGHT + timedelta(minutes=16))

    alpha, beta = posts(squadron, "bgs-summary")
    assert alpha.embeds[0]["title"] == f"🚀 Space CZs in {ALPHA}"
    assert alpha.embeds[0]["description"].split("\n") == [
        "2026-11-25 (UTC)",
        "**Total: 4 (L2 M1 H1)**",
        "",
        "**Fought for**",
        f"• {ADF}: 3 (L2 M0 H1)",
        f"• {PIRATES}: 1 (L0 M1 H0)",
        "",
        "**Cmdrs**",
        "1. Bob — 3 (L2 M1 H0)",
        "2. Ann — 1 (L0 M0 H1)",
    ]
    assert beta.embeds[0]["title"] == f"🚀 Space CZs in {BETA}"
    assert "**Total: 1 (L1 M0 H0)**" in beta.embeds[0]["description"]
    channel = squadron.channel("bgs-summary")
    assert await ledger_rows(squadron, "cz_space") == [
        (f"2026-11-25:{ALPHA}", channel, True),
        (f"2026-11-25:{BETA}", channel, True),
    ]


async def test_ground_cz_summary(squadron: Squadron, plugin_for: PluginClient) -> None:
    await cz_data(plugin_for)

    await announcements(squadron.bot).ground_cz_summaries(now=MIDNIGHT + timedelta(minutes=2))

    [message] = posts(squadron, "bgs-summary")
    assert message.embeds[0]["title"] == f"🪖 Ground CZs in {ALPHA}"
    assert message.embeds[0]["description"].split("\n") == [
        "2026-11-25 (UTC)",
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
        "1. Bob — 2 (L1 M0 H1)",
        "2. Ann — 1 (L0 M1 H0)",
    ]
    assert await ledger_rows(squadron, "cz_ground") == [
        (f"2026-11-25:{ALPHA}", squadron.channel("bgs-summary"), True)
    ]


async def test_cz_summaries_once_across_two_bots_retried_and_skipped(
    squadron: Squadron,
    plugin_for: PluginClient,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    await cz_data(plugin_for)
    fake.fail_channel_posts(squadron.channel("bgs-summary"), status=503)
    await announcements(squadron.bot).space_cz_summaries(now=MIDNIGHT)
    assert [m.embeds[0]["title"] for m in posts(squadron, "bgs-summary")] == [
        f"🚀 Space CZs in {BETA}"  # Alpha's send failed
    ]
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        await announcements(second.bot).space_cz_summaries(now=MIDNIGHT + timedelta(minutes=15))
    assert [m.embeds[0]["title"] for m in posts(squadron, "bgs-summary")] == [
        f"🚀 Space CZs in {BETA}",
        f"🚀 Space CZs in {ALPHA}",
    ]

    await update_guild(squadron, cz_summaries=False)
    await announcements(squadron.bot).ground_cz_summaries(now=MIDNIGHT)
    await update_guild(squadron, cz_summaries=True)
    await set_channel(squadron, ChannelKind.SUMMARY, None)
    await announcements(squadron.bot).ground_cz_summaries(now=MIDNIGHT)
    assert await ledger_rows(squadron, "cz_ground") == []
    assert len(posts(squadron, "bgs-summary")) == 2


# -- job timing -------------------------------------------------------------------------------


def trigger(squadron: Squadron, job_id: str) -> Any:
    job = squadron.bot.services.scheduler.get_job(job_id)
    assert job is not None
    return job.trigger


async def test_the_jobs_and_their_triggers(squadron: Squadron) -> None:
    scheduler = squadron.bot.services.scheduler
    assert sorted(job.id for job in scheduler.get_jobs()) == sorted(
        (*JOBS, TICK_POLL, INARA_SYNC, RECRUITS_POST, RECOVERY_JOB, RETENTION_JOB, ROLLUP_JOB)
    )

    poll = trigger(squadron, TICK_POLL)
    assert isinstance(poll, IntervalTrigger) and poll.interval == timedelta(minutes=5)
    first = scheduler.get_job(TICK_POLL).next_run_time
    assert first - datetime.now(UTC) < timedelta(seconds=15)  # soon after start
    for job_id in (POST_TICK,):
        every = trigger(squadron, job_id)
        assert isinstance(every, IntervalTrigger) and every.interval == timedelta(minutes=1)

    afternoon = datetime(2026, 11, 26, 13, 7, tzinfo=UTC)
    midnight = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    fold = trigger(squadron, ROLLUP_JOB)  # the rollups' backlog, off the request path
    assert isinstance(fold, IntervalTrigger) and fold.interval == timedelta(minutes=1)
    prune = trigger(squadron, RETENTION_JOB)  # raw events past retention, once a day
    assert prune.get_next_fire_time(None, afternoon) == midnight + timedelta(hours=3, minutes=17)
    for job_id, minute in ((DAILY, 0), (SPACE_CZ, 1), (GROUND_CZ, 2)):
        cron = trigger(squadron, job_id)
        assert isinstance(cron, CronTrigger)
        first_run = cron.get_next_fire_time(None, afternoon)
        assert first_run == midnight + timedelta(minutes=minute)
        # The runs later in that hour retry a failed send; the next day starts over.
        retry = cron.get_next_fire_time(first_run, first_run + timedelta(seconds=1))
        assert retry == first_run + timedelta(minutes=15)
        last = first_run + timedelta(minutes=45)
        assert cron.get_next_fire_time(last, last + timedelta(seconds=1)) == first_run + timedelta(
            days=1
        )

    digest = trigger(squadron, DIGEST)
    assert isinstance(digest, CronTrigger)
    assert digest.get_next_fire_time(None, datetime(2026, 11, 26, 5, 59, 30, tzinfo=UTC)) == (
        datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    )


async def test_the_tick_poll_interval_comes_from_the_settings(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path, ticks: FakeTickSource
) -> None:
    async with running_warden(
        fake, guild, sqlite_url, tmp_path, ticks, tick_poll_minutes=2
    ) as running:
        assert trigger(running, TICK_POLL).interval == timedelta(minutes=2)


async def test_unloading_the_cog_removes_its_jobs_and_outbox_handler(squadron: Squadron) -> None:
    services = squadron.bot.services
    assert CHANGE_KIND in squadron.bot.outbox.handlers
    await squadron.bot.unload_extension("cogs.announcements")
    assert not {job.id for job in services.scheduler.get_jobs()} & set(JOBS)
    assert CHANGE_KIND not in squadron.bot.outbox.handlers


async def test_the_post_tick_check_before_a_tick_or_outside_the_window_is_cheap(
    squadron: Squadron,
) -> None:
    job = announcements(squadron.bot)
    await job.post_tick_summaries(now=DUE)  # no tick stored
    monitor = ticks_of(squadron.bot).monitor
    assert (await monitor.set_manual(TICK, now=SEEN)).new
    await job.post_tick_summaries(now=SEEN - timedelta(minutes=1))
    assert posts(squadron, "bgs-summary") == []
