"""The galaxy tick over the fake Discord, its sources served by the loopback fake tick source:
the "New galaxy tick" post (once, retried, skipped without a channel, once across processes)
and `/tick show`, `/tick refresh`, `/tick set`."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bgs.ticks import MANUAL, OFFICER, PRIMARY, tick_status
from settings import ChannelKind
from tests.fakes.fake_discord import SEND_MESSAGES, FakeDiscord, FakeGuild
from tests.fakes.tick_source import FakeTickSource, Mode
from tests.helpers.processes import ROOT
from tests.helpers.squadron import (
    DENIED,
    GUILD,
    Squadron,
    announcements,
    ledger_rows,
    notices,
    posts,
    running_warden,
    set_channel,
    ticks_of,
    titles,
)

T0 = datetime(2026, 11, 25, 11, 0, 2, tzinfo=UTC)  # the tick stored before
T1 = datetime(2026, 11, 26, 11, 0, 0, 123000, tzinfo=UTC)  # what the primary reports
ZOY = "Zoy's tick detector (galtick.json)"


@pytest.fixture(autouse=True)
def primary_at_t1(ticks: FakeTickSource) -> None:
    """Zoy's detector reports T1 unless a test says otherwise."""
    ticks.primary.tick = T1


async def stored_before(squadron: Squadron, at: datetime = T0) -> None:
    """A tick stored earlier (as by yesterday's poll), without announcing it."""
    result = await ticks_of(squadron.bot).monitor.set_manual(at, now=at + timedelta(minutes=1))
    assert result.new


def stamp(instant: datetime, style: str = "f") -> str:
    return f"<t:{int(instant.timestamp())}:{style}>"


def minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


# -- the "New galaxy tick" post -------------------------------------------------------------


async def test_a_new_tick_is_posted_once_with_time_and_source(squadron: Squadron) -> None:
    await stored_before(squadron)
    job = ticks_of(squadron.bot)

    await job.tick_poll(now=T1 + timedelta(minutes=5))
    await job.tick_poll(now=T1 + timedelta(minutes=10))

    [message] = posts(squadron, "bgs-tick")
    assert message.embeds[0]["title"] == "🕚 New galaxy tick"
    assert message.embeds[0]["description"] == (
        f"**Time:** {stamp(T1)} ({stamp(T1, 'R')})\n**Source:** {ZOY}"
    )
    assert await ledger_rows(squadron, "tick") == [
        (T1.isoformat(), squadron.channel("bgs-tick"), True)
    ]


async def test_the_first_tick_stored_is_a_baseline_not_news(squadron: Squadron) -> None:
    await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=5))

    assert posts(squadron, "bgs-tick") == []
    status = await tick_status(squadron.bot.services.db, T1 + timedelta(minutes=5))
    assert status.latest is not None and status.latest.tick_time == T1


async def test_a_tick_another_process_stored_is_posted_once(
    squadron: Squadron,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    await stored_before(squadron)
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        ticks.primary.tick = T0
        await ticks_of(second.bot).tick_poll(now=T0 + timedelta(hours=2))
        ticks.primary.tick = T1
        fake.fail_channel_posts(squadron.channel("bgs-tick"), status=503)
        await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=5))
        assert posts(squadron, "bgs-tick") == []  # stored by the first process, send failed

        # The second process did not store it, but sees a newer tick than before: news.
        await ticks_of(second.bot).tick_poll(now=T1 + timedelta(minutes=6))
        assert len(posts(squadron, "bgs-tick")) == 1
        await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=10))

    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as restarted:
        await ticks_of(restarted.bot).tick_poll(now=T1 + timedelta(minutes=15))

    assert len(posts(squadron, "bgs-tick")) == 1
    assert await ledger_rows(squadron, "tick") == [
        (T1.isoformat(), squadron.channel("bgs-tick"), True)
    ]


async def test_a_failed_tick_post_is_retried_at_the_next_poll(squadron: Squadron) -> None:
    await stored_before(squadron)
    job = ticks_of(squadron.bot)
    squadron.fake.fail_channel_posts(squadron.channel("bgs-tick"), status=503)

    await job.tick_poll(now=T1 + timedelta(minutes=5))
    assert posts(squadron, "bgs-tick") == []
    assert await ledger_rows(squadron, "tick") == []

    await job.tick_poll(now=T1 + timedelta(minutes=10))
    assert len(posts(squadron, "bgs-tick")) == 1
    assert await ledger_rows(squadron, "tick") == [
        (T1.isoformat(), squadron.channel("bgs-tick"), True)
    ]


async def test_a_guild_without_a_tick_channel_is_skipped(
    squadron: Squadron, caplog: pytest.LogCaptureFixture
) -> None:
    await stored_before(squadron)
    await set_channel(squadron, ChannelKind.TICK, None)

    await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=5))

    assert posts(squadron, "bgs-tick") == []
    assert await ledger_rows(squadron, "tick") == []
    told = (
        "New galaxy tick posts are skipped: no tick channel is set. Set one with "
        "`/config channel kind:tick`."
    )
    assert f"guild {GUILD}: tick '{T1.isoformat()}' skipped: {told}" in caplog.text
    assert await notices(squadron) == [told]  # what /status shows


async def test_a_tick_channel_the_bot_may_not_post_in_is_reported_once(
    squadron: Squadron,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await stored_before(squadron)
    tick = squadron.channel("bgs-tick")
    await fake.set_channel_overwrites(tick, [fake.bot_overwrite(deny=SEND_MESSAGES)])
    told = (
        f"New galaxy tick posts could not be posted in <#{tick}>: Discord refused (I lack View "
        "Channel, Send Messages, Embed Links or Attach Files there). Grant them in the channel's "
        "permissions, or choose another channel with `/config channel kind:tick`."
    )

    await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=5))
    await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=10))  # tried again
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        await ticks_of(second.bot).tick_poll(now=T1 + timedelta(minutes=15))

    assert posts(squadron, "bgs-tick") == []
    assert await ledger_rows(squadron, "tick") == []  # a later poll may still post it
    assert await notices(squadron) == [told]  # told once, though two processes met it
    warnings = [r.message for r in caplog.records if r.levelname == "WARNING" and told in r.message]
    assert len(warnings) == 2  # the first time in each process

    await fake.set_channel_overwrites(tick, [])
    await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=20))
    assert len(posts(squadron, "bgs-tick")) == 1


async def test_a_tick_channel_that_is_gone_is_reported(squadron: Squadron) -> None:
    """A channel deleted while no event reached this process is still in the settings."""
    await stored_before(squadron)
    gone = squadron.fake.snowflake()
    await set_channel(squadron, ChannelKind.TICK, gone)

    await ticks_of(squadron.bot).tick_poll(now=T1 + timedelta(minutes=5))

    assert await ledger_rows(squadron, "tick") == []
    assert await notices(squadron) == [
        f"New galaxy tick posts could not be posted: <#{gone}> no longer exists. Choose another "
        "channel with `/config channel kind:tick`."
    ]


# -- /tick show -------------------------------------------------------------------------------


async def test_tick_show_before_any_tick(squadron: Squadron) -> None:
    record = await squadron.member("tick show")
    assert "No galaxy tick seen yet." in record.text()
    assert "`/tick refresh`" in record.text()


async def test_tick_show(squadron: Squadron) -> None:
    tick = minute(datetime.now(UTC)) - timedelta(hours=2)
    await stored_before(squadron, tick)

    record = await squadron.member("tick show")

    assert not record.ephemeral
    text = record.text()
    assert f"**Time:** {stamp(tick)} ({stamp(tick, 'R')})" in text
    assert "**Age:** 2 h" in text
    assert "**Source:** recorded by hand" in text
    assert "⚠️" not in text


async def test_tick_show_warns_when_no_tick_came_for_25_hours(squadron: Squadron) -> None:
    await stored_before(squadron, datetime.now(UTC) - timedelta(hours=26))
    record = await squadron.member("tick show")
    assert "**Age:** 1 d 2 h" in record.text()
    assert "⚠️ No new tick for over 25 hours" in record.text()


# -- /tick refresh ----------------------------------------------------------------------------


async def test_tick_refresh_stores_and_announces_a_new_tick(
    squadron: Squadron, ticks: FakeTickSource
) -> None:
    now = datetime.now(UTC)
    await stored_before(squadron, now - timedelta(days=1))
    ticks.primary.tick = minute(now) - timedelta(minutes=10)

    record = await squadron.officer("tick refresh")

    assert record.ephemeral
    assert f"**New galaxy tick:** {stamp(ticks.primary.tick)}" in record.text()
    assert f"Source: {ZOY}" in record.text()
    assert f"Announced in <#{squadron.channel('bgs-tick')}>." in record.text()
    [post] = posts(squadron, "bgs-tick")
    assert stamp(ticks.primary.tick) in post.text()
    status = await tick_status(squadron.bot.services.db)
    assert status.latest is not None
    assert (status.latest.tick_time, status.latest.source) == (ticks.primary.tick, PRIMARY)


async def test_tick_refresh_says_when_the_announcement_failed_or_has_no_channel(
    squadron: Squadron, ticks: FakeTickSource
) -> None:
    now = datetime.now(UTC)
    await stored_before(squadron, now - timedelta(days=2))
    ticks.primary.tick = minute(now) - timedelta(days=1)
    squadron.fake.fail_channel_posts(squadron.channel("bgs-tick"), status=503)

    failed = await squadron.officer("tick refresh")
    assert f"Posting it in <#{squadron.channel('bgs-tick')}> failed" in failed.text()
    assert posts(squadron, "bgs-tick") == []

    await set_channel(squadron, ChannelKind.TICK, None)
    ticks.primary.tick = minute(now) - timedelta(minutes=5)
    unset = await squadron.officer("tick refresh")
    assert "No tick channel is set (`/config channel`)" in unset.text()
    assert posts(squadron, "bgs-tick") == []


async def test_tick_refresh_with_the_same_tick(squadron: Squadron, ticks: FakeTickSource) -> None:
    tick = minute(datetime.now(UTC)) - timedelta(hours=3)
    await stored_before(squadron, tick)
    ticks.primary.tick = tick

    record = await squadron.officer("tick refresh")

    assert f"**No new tick.** {ZOY} reports {stamp(tick)}" in record.text()
    assert "same tick as the last stored" in record.text()
    assert posts(squadron, "bgs-tick") == []


async def test_tick_refresh_says_which_sources_fail_and_why(
    squadron: Squadron, ticks: FakeTickSource
) -> None:
    await stored_before(squadron, datetime.now(UTC) - timedelta(hours=30))
    ticks.primary.mode = Mode.DOWN
    ticks.fallback.mode = Mode.GARBAGE

    record = await squadron.officer("tick refresh")

    text = record.text()
    assert "**No source answered**, so nothing changed." in text
    assert f"• {ZOY}: HTTP 500" in text
    assert "• EDCD tick API: not JSON: b'<html>502 Bad Gateway</html>'" in text
    assert "⚠️ No new tick for over 25 hours" in text


async def test_tick_refresh_is_for_officers(squadron: Squadron, ticks: FakeTickSource) -> None:
    record = await squadron.member("tick refresh")
    assert record.ephemeral
    assert record.text() == DENIED.format(squadron.officer_role)
    assert ticks.primary.requests == 0


# -- /tick set --------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%SZ"])
async def test_tick_set_records_the_guilds_own_tick_and_announces_it(
    squadron: Squadron, ticks: FakeTickSource, layout: str
) -> None:
    ticks.primary.mode = ticks.fallback.mode = Mode.DOWN
    galaxy = minute(datetime.now(UTC)) - timedelta(hours=30)
    await stored_before(squadron, galaxy)
    tick = minute(datetime.now(UTC)) - timedelta(hours=1)

    record = await squadron.officer("tick set", {"time": tick.strftime(layout)})

    assert record.ephemeral
    assert f"Recorded this server's tick at {stamp(tick)}" in record.text()
    assert "other servers are not affected" in record.text()
    assert f"Announced in <#{squadron.channel('bgs-tick')}>." in record.text()
    [post] = posts(squadron, "bgs-tick")
    assert "**Source:** set by an officer of this server" in post.text()
    db = squadron.bot.services.db
    own = (await tick_status(db, guild_id=squadron.guild.id)).latest
    assert own is not None and (own.tick_time, own.source) == (tick, OFFICER)
    shared = (await tick_status(db)).latest  # the galaxy tick is not moved
    assert shared is not None and (shared.tick_time, shared.source) == (galaxy, MANUAL)
    shown = await squadron.member("tick show")
    assert f"**Time:** {stamp(tick)}" in shown.text()
    assert "**Source:** set by an officer of this server" in shown.text()


@pytest.mark.parametrize("text", ["yesterday", "2026-11-26", "11:00", "2026-13-40 11:00"])
async def test_tick_set_refuses_what_is_not_a_date_and_time(squadron: Squadron, text: str) -> None:
    record = await squadron.officer("tick set", {"time": text})

    assert record.ephemeral
    assert record.text() == (
        "Give the tick's date and time in UTC, like `2026-11-26 11:00` or `2026-11-26T11:00` "
        f"(got `{text}`). Nothing was recorded."
    )
    assert (await tick_status(squadron.bot.services.db)).latest is None


async def test_tick_set_refuses_a_future_or_older_tick(squadron: Squadron) -> None:
    last = minute(datetime.now(UTC)) - timedelta(hours=1)
    await stored_before(squadron, last)
    future = minute(datetime.now(UTC)) + timedelta(hours=2)

    ahead = await squadron.officer("tick set", {"time": f"{future:%Y-%m-%d %H:%M}"})
    older = await squadron.officer(
        "tick set", {"time": f"{last - timedelta(hours=3):%Y-%m-%d %H:%M}"}
    )

    assert ahead.ephemeral and older.ephemeral
    assert ahead.text().startswith(
        f"The tick was not recorded: tick {future.isoformat()} is in the future."
    )
    assert older.text().startswith("The tick was not recorded: older than the last stored tick")
    assert f"The last tick is {stamp(last)}" in older.text()
    status = await tick_status(squadron.bot.services.db, guild_id=squadron.guild.id)
    assert status.latest is not None and status.latest.tick_time == last
    assert posts(squadron, "bgs-tick") == []


async def test_tick_set_is_for_officers(squadron: Squadron) -> None:
    record = await squadron.member("tick set", {"time": "2026-11-26 11:00"})
    assert record.text() == DENIED.format(squadron.officer_role)
    db = squadron.bot.services.db
    assert (await tick_status(db, guild_id=squadron.guild.id)).latest is None


# -- whose tick: a guild's own, the galaxy's -------------------------------------------------


async def test_an_officers_tick_is_posted_in_their_guild_alone(
    two_squadrons: tuple[Squadron, Squadron], ticks: FakeTickSource
) -> None:
    """Guild A's officer sets A's tick: only A announces it and posts its post-tick summary;
    B sees nothing and keeps the galaxy tick. A later galaxy tick from the sources reaches
    both, and supersedes A's own tick."""
    alpha, beta = two_squadrons
    ticks.primary.mode = ticks.fallback.mode = Mode.DOWN
    now = minute(datetime.now(UTC))
    galaxy = now - timedelta(hours=30)
    await stored_before(alpha, galaxy)
    own = now - timedelta(hours=3)

    record = await alpha.officer("tick set", {"time": f"{own:%Y-%m-%d %H:%M}"})
    summaries = announcements(alpha.bot)
    await summaries.post_tick_summaries(now=datetime.now(UTC) + timedelta(minutes=16))

    assert f"Announced in <#{alpha.channel('bgs-tick')}>." in record.text()
    assert [stamp(own) in post.text() for post in posts(alpha, "bgs-tick")] == [True]
    assert titles(alpha, "bgs-summary") == ["📊 Tick summary"]
    assert stamp(own) in posts(alpha, "bgs-summary")[0].text()
    assert posts(beta, "bgs-tick") == posts(beta, "bgs-summary") == []
    db = alpha.bot.services.db
    theirs = (await tick_status(db, guild_id=beta.guild.id)).latest
    assert theirs is not None and theirs.tick_time == galaxy
    assert f"**Time:** {stamp(galaxy)}" in (await beta.member("tick show")).text()
    assert await ledger_rows(beta, "tick") == await ledger_rows(beta, "post_tick") == []

    later = now - timedelta(hours=1)
    ticks.primary.mode = Mode.NORMAL
    ticks.primary.tick = later
    await ticks_of(alpha.bot).tick_poll()
    await summaries.post_tick_summaries(now=datetime.now(UTC) + timedelta(minutes=16))

    for squadron in (alpha, beta):
        assert stamp(later) in posts(squadron, "bgs-tick")[-1].text()
        assert ZOY in posts(squadron, "bgs-tick")[-1].text()
        assert stamp(later) in posts(squadron, "bgs-summary")[-1].text()
        status = await tick_status(db, guild_id=squadron.guild.id)
        assert status.latest is not None and status.latest.tick_time == later
    assert len(posts(alpha, "bgs-tick")) == len(posts(alpha, "bgs-summary")) == 2
    assert len(posts(beta, "bgs-tick")) == len(posts(beta, "bgs-summary")) == 1


async def test_the_same_tick_from_a_source_is_not_announced_again(
    two_squadrons: tuple[Squadron, Squadron], ticks: FakeTickSource
) -> None:
    """A galaxy tick within the duplicate window of A's own tick is the tick A announced:
    B announces it, A does not announce it a second time."""
    alpha, beta = two_squadrons
    ticks.primary.mode = ticks.fallback.mode = Mode.DOWN
    now = minute(datetime.now(UTC))
    await stored_before(alpha, now - timedelta(hours=30))
    own = now - timedelta(hours=1)
    await alpha.officer("tick set", {"time": f"{own:%Y-%m-%d %H:%M}"})

    ticks.primary.mode = Mode.NORMAL
    ticks.primary.tick = own - timedelta(minutes=4)  # the detector's exact time
    await ticks_of(alpha.bot).tick_poll()

    assert [stamp(own) in post.text() for post in posts(alpha, "bgs-tick")] == [True]
    [news] = posts(beta, "bgs-tick")
    assert stamp(ticks.primary.tick) in news.text()


async def test_the_operators_galaxy_tick_reaches_every_guild(
    two_squadrons: tuple[Squadron, Squadron],
    ticks: FakeTickSource,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    """`bot.py tick set` (a real subprocess on the bot's database) records the galaxy tick;
    the bot announces it in every guild at its next poll, even with every source down."""
    alpha, beta = two_squadrons
    ticks.primary.mode = ticks.fallback.mode = Mode.DOWN
    now = minute(datetime.now(UTC))
    await stored_before(alpha, now - timedelta(hours=30))
    await ticks_of(alpha.bot).tick_poll()  # the running bot has seen the last tick
    tick = now - timedelta(hours=1)

    code, out, err = await operator(sqlite_url, tmp_path, "tick", "set", f"{tick:%Y-%m-%d %H:%M}")
    assert code == 0, err
    assert f"recorded the galaxy tick {tick.isoformat()} for every guild" in out
    await ticks_of(alpha.bot).tick_poll()

    for squadron in (alpha, beta):
        [post] = posts(squadron, "bgs-tick")
        assert stamp(tick) in post.text() and "**Source:** recorded by hand" in post.text()

    code, out, err = await operator(sqlite_url, tmp_path, "tick", "set", f"{tick:%Y-%m-%d %H:%M}")
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "error: the galaxy tick was not recorded: same tick as the last stored (last stored "
        f"tick: {tick.isoformat()}). Give a UTC time after the last tick and not in the future."
    )
    code, _, err = await operator(sqlite_url, tmp_path, "tick", "set", "yesterday")
    assert code == 1
    assert "error: not a UTC date and time: 'yesterday'" in err
    assert "Nothing was recorded." in err


async def operator(sqlite_url: str, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    """`python bot.py ARGV` as the operator runs it, on the test's database."""
    env = {**os.environ, "DATABASE_URL": sqlite_url, "TENANTS_FILE": str(tmp_path / "none")}
    env.pop("DISCORD_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        *argv,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_tick_http_session_closes_with_the_bot(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path, ticks: FakeTickSource
) -> None:
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as running:
        cog = ticks_of(running.bot)
        assert not cog.http.closed
    assert cog.http.closed
