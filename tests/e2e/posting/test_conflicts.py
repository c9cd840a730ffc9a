"""Conflicts over the fake Discord, from members' jump events sent through the listener: the
change posts as they arrive (routed to the conflict channel, a protected faction's channel or
the alerts channel), the scheduled digest, and `/conflicts [scope]`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bgs import protected
from settings import ChannelKind
from tests.fakes.fake_discord import FakeDiscord, FakeGuild
from tests.fakes.tick_source import FakeTickSource
from tests.helpers.plugin import PluginClient
from tests.helpers.plugin_events import (
    ADF,
    ALPHA,
    BETA,
    BETA_ADDRESS,
    BETA_POS,
    BETA_UNION,
    PIRATES,
    docked,
    jump,
)
from tests.helpers.squadron import (
    FACTION,
    GUILD,
    Squadron,
    announcements,
    ledger_rows,
    notices,
    outbox_rows,
    posts,
    running_warden,
    set_channel,
    settle,
    ticks_of,
    titles,
    update_guild,
)
from tests.integration.test_bgs_conflicts import war

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TICK = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
GAMMA, DELTA = "Gamma Corp", "Delta Party"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def seen(
    minutes: int, *conflicts: dict[str, Any], system: str = ALPHA, cmdr: str = "Test Cmdr"
) -> dict[str, Any]:
    """A member's FSDJump into a system with these conflicts."""
    where: dict[str, Any] = {}
    if system == BETA:
        where = {"system": BETA, "address": BETA_ADDRESS, "pos": BETA_POS}
    factions = [{"Name": name, "Influence": 0.2} for name in (ADF, PIRATES, GAMMA, DELTA)]
    return jump(at(minutes), cmdr=cmdr, Conflicts=list(conflicts), Factions=factions, **where)


async def send(squadron: Squadron, plugin: PluginClient, *events: dict[str, Any]) -> None:
    """Events through the listener; wait until their alerts are posted."""
    reply = await plugin.post_events(list(events))
    assert reply.status == 200, reply.body
    await settle(squadron.bot)


def stamp(instant: datetime, style: str = "f") -> str:
    return f"<t:{int(instant.timestamp())}:{style}>"


async def protect(squadron: Squadron, name: str, channel: str | None = None) -> None:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        await protected.add_protected(
            session,
            name,
            channel_id=squadron.channel(channel) if channel else None,
            force=True,
            now=T0 - timedelta(days=1),
        )


# -- conflict changes -------------------------------------------------------------------------


async def test_a_war_from_start_to_end_posts_each_change_once(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    others = war(GAMMA, DELTA)
    steps = [
        seen(0, war(ADF, PIRATES, (0, 0)), others),
        seen(10, war(ADF, PIRATES, (0, 0)), war(GAMMA, DELTA, (1, 0))),  # unchanged for us
        seen(20, war(ADF, PIRATES, (1, 0)), others),
        seen(30, war(ADF, PIRATES, (1, 0)), others, cmdr="Other Cmdr"),  # a repeat
        seen(40, war(ADF, PIRATES, (1, 1)), others),
        seen(50, war(ADF, PIRATES, (2, 1)), others),
        seen(60, war(ADF, PIRATES, (2, 1), status=""), others),
        seen(70, war(ADF, PIRATES, (2, 1), status=""), others),  # still listed, decided
    ]
    for step in steps:
        await send(squadron, plugin_for, step)

    war_in = f"the war in {ALPHA}"
    assert titles(squadron, "bgs-conflict") == [
        f"⚔️ New war in {ALPHA}",
        f"✅ Day won in {war_in}",
        f"❌ Day lost in {war_in}",
        f"✅ Day won in {war_in}",
        f"🏁 The war in {ALPHA} ended: won",
    ]
    new, won, lost, _, ended = posts(squadron, "bgs-conflict")
    assert new.embeds[0]["description"].split("\n") == [
        f"**{ADF}** 0 – 0 {PIRATES}",
        "Stakes: Alpha Gate · none",
        f"Seen by CMDR Test Cmdr {stamp(at(0), 'R')}",
    ]
    assert won.embeds[0]["description"].split("\n")[:2] == [
        f"**{ADF}** 1 – 0 {PIRATES}",
        "Before: 0 – 0",
    ]
    assert won.embeds[0]["color"] == discord.Colour.green().value
    assert lost.embeds[0]["description"].split("\n")[:2] == [
        f"**{ADF}** 1 – 1 {PIRATES}",
        "Before: 1 – 0",
    ]
    assert lost.embeds[0]["color"] == discord.Colour.red().value
    assert ended.embeds[0]["description"].startswith(f"**{ADF}** 2 – 1 {PIRATES}")
    rows = await ledger_rows(squadron, "conflict_change")
    assert len(rows) == 5
    assert {channel for _, channel, _ in rows} == {squadron.channel("bgs-conflict")}
    assert all(has_message for _, _, has_message in rows)
    assert posts(squadron, "bgs-alerts") == [] and posts(squadron, "general") == []


async def test_a_pending_conflict_that_starts_and_one_that_is_gone(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await send(squadron, plugin_for, seen(0, war(ADF, PIRATES, status="pending")))
    await send(squadron, plugin_for, seen(10, war(ADF, PIRATES)))
    await send(squadron, plugin_for, seen(20))  # the system no longer lists it

    assert titles(squadron, "bgs-conflict") == [
        f"⚔️ New war in {ALPHA}",
        f"⚔️ The war in {ALPHA} has started",
        f"🏁 The war in {ALPHA} is over: a draw",
    ]
    pending, _, gone = posts(squadron, "bgs-conflict")
    assert "Status: pending (fighting starts after the next tick)" in pending.text()
    assert "The game no longer lists it; the score is the last one seen." in gone.text()


async def test_protected_factions_changes_go_to_their_channel_or_the_alerts_channel(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await protect(squadron, BETA_UNION, channel="general")
    await protect(squadron, GAMMA)

    await send(
        squadron,
        plugin_for,
        seen(0, war(BETA_UNION, "Beta Corp", war_type="election"), system=BETA),
        seen(1, war(GAMMA, DELTA, war_type="civilwar")),
    )

    assert titles(squadron, "general") == [f"⚔️ New election in {BETA}"]
    assert posts(squadron, "general")[0].text().split("\n")[1:3] == [
        f"🛡️ Protected faction **{BETA_UNION}**",
        f"**{BETA_UNION}** 0 – 0 Beta Corp",
    ]
    assert titles(squadron, "bgs-alerts") == [f"⚔️ New civil war in {ALPHA}"]
    assert f"🛡️ Protected faction **{GAMMA}**" in posts(squadron, "bgs-alerts")[0].text()
    assert posts(squadron, "bgs-conflict") == []


async def test_a_failed_change_post_is_retried_with_backoff(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    squadron.fake.fail_channel_posts(squadron.channel("bgs-conflict"), status=503)
    await send(squadron, plugin_for, seen(0, war(ADF, PIRATES)))
    assert posts(squadron, "bgs-conflict") == []
    assert await ledger_rows(squadron, "conflict_change") == []
    (waiting,) = await outbox_rows(squadron)
    assert waiting.attempts == 1 and waiting.last_error == "the send failed"

    soon = datetime.now(UTC) + timedelta(seconds=10)
    assert await squadron.bot.outbox.drain(now=soon) == 0  # not due before its backoff
    assert await squadron.bot.outbox.drain(now=soon + timedelta(seconds=30)) == 1

    assert titles(squadron, "bgs-conflict") == [f"⚔️ New war in {ALPHA}"]
    assert len(await ledger_rows(squadron, "conflict_change")) == 1
    assert await outbox_rows(squadron) == []


async def test_a_failed_change_post_is_sent_after_a_restart(
    squadron: Squadron,
    plugin_for: PluginClient,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    squadron.fake.fail_channel_posts(squadron.channel("bgs-conflict"), status=503)
    await send(squadron, plugin_for, seen(0, war(ADF, PIRATES)))
    await squadron.bot.close()  # the process stops with the post still owed
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as restarted:
        await restarted.bot.outbox.drain(now=datetime.now(UTC) + timedelta(minutes=1))
        assert titles(restarted, "bgs-conflict") == [f"⚔️ New war in {ALPHA}"]
        assert await outbox_rows(restarted) == []


async def test_a_second_bot_posts_no_change_twice(
    squadron: Squadron,
    plugin_for: PluginClient,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    first = seen(0, war(ADF, PIRATES, (1, 0)))
    await send(squadron, plugin_for, first)
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        plugin_for.root = second.bot.services.listener.url
        await send(second, plugin_for, first)  # re-sent: stored already
        await send(second, plugin_for, seen(5, war(ADF, PIRATES, (1, 0))))  # same state
    assert titles(squadron, "bgs-conflict") == [f"⚔️ New war in {ALPHA}"]


async def test_a_change_without_a_conflict_channel_is_skipped(
    squadron: Squadron, plugin_for: PluginClient, caplog: pytest.LogCaptureFixture
) -> None:
    await set_channel(squadron, ChannelKind.CONFLICT, None)
    await send(squadron, plugin_for, seen(0, war(ADF, PIRATES)))
    assert await ledger_rows(squadron, "conflict_change") == []
    assert (
        "Conflict changes are skipped: no conflict channel is set. Set one with "
        "`/config channel kind:conflict`."
    ) in caplog.text
    assert await notices(squadron) == [
        "Conflict changes are skipped: no conflict channel is set. Set one with "
        "`/config channel kind:conflict`."
    ]
    assert all(posts(squadron, name) == [] for name in ("bgs-alerts", "general"))


# -- the digest -------------------------------------------------------------------------------

DIGEST_TITLE = f"🛡️ {FACTION}: conflicts this tick"
EVENING = datetime(2026, 11, 26, 18, 0, 3, tzinfo=UTC)


async def digest_data(squadron: Squadron, plugin: PluginClient) -> None:
    monitor = ticks_of(squadron.bot).monitor
    assert (await monitor.set_manual(TICK, now=TICK + timedelta(minutes=1))).new
    await send(
        squadron,
        plugin,
        seen(0, war(ADF, PIRATES, (1, 0)), war(GAMMA, DELTA), cmdr="Ann"),
        docked(at(30), "Alpha Hub", cmdr="Bob"),
        seen(60, war(ADF, BETA_UNION, (0, 2), war_type="election"), system=BETA, cmdr="Bob"),
    )


def digests(squadron: Squadron) -> list[str]:
    return [
        message.embeds[0]["description"]
        for message in posts(squadron, "bgs-conflict")
        if message.embeds[0]["title"] == DIGEST_TITLE
    ]


async def test_conflict_digest(squadron: Squadron, plugin_for: PluginClient) -> None:
    await digest_data(squadron, plugin_for)
    job = announcements(squadron.bot)

    await job.conflict_digests(now=EVENING - timedelta(hours=1))  # 17:00 is not a digest hour
    assert digests(squadron) == []
    await job.conflict_digests(now=EVENING)
    await job.conflict_digests(now=EVENING + timedelta(minutes=15))

    [digest] = digests(squadron)
    assert digest.split("\n") == [
        f"**{BETA}** — election, active",
        f"**{ADF}** 0 – 2 {BETA_UNION}",
        "Stakes: Alpha Gate · none",
        "Cmdrs: Bob",
        f"Data from {stamp(at(60), 'R')}",
        "",
        f"**{ALPHA}** — war, active",
        f"**{ADF}** 1 – 0 {PIRATES}",
        "Stakes: Alpha Gate · none",
        "Cmdrs: Ann, Bob",
        f"Data from {stamp(at(0), 'R')}",
        "",
    ]
    assert await ledger_rows(squadron, "conflict_digest") == [
        ("2026-11-26T18", squadron.channel("bgs-conflict"), True)
    ]


async def test_conflict_digest_hours_are_the_guilds_and_it_can_be_off(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await digest_data(squadron, plugin_for)
    job = announcements(squadron.bot)
    await update_guild(squadron, conflict_digest_hours="19")

    await job.conflict_digests(now=EVENING)
    assert digests(squadron) == []
    await job.conflict_digests(now=EVENING + timedelta(hours=1))
    assert len(digests(squadron)) == 1

    await update_guild(squadron, conflict_digest=False)
    await job.conflict_digests(now=EVENING + timedelta(days=1, hours=1))
    assert len(digests(squadron)) == 1
    assert [key for key, _, _ in await ledger_rows(squadron, "conflict_digest")] == [
        "2026-11-26T19"
    ]


async def test_no_digest_without_conflicts_or_without_a_channel(
    squadron: Squadron, plugin_for: PluginClient, caplog: pytest.LogCaptureFixture
) -> None:
    await digest_data(squadron, plugin_for)
    job = announcements(squadron.bot)
    await update_guild(squadron, faction="Quiet Faction")
    await job.conflict_digests(now=EVENING)
    assert f"guild {GUILD}: no conflicts of Quiet Faction this tick" in caplog.text

    await update_guild(squadron, faction=FACTION)
    await set_channel(squadron, ChannelKind.CONFLICT, None)
    await job.conflict_digests(now=EVENING)
    assert (
        f"guild {GUILD}: conflict_digest '2026-11-26T18' skipped: Conflict digests are skipped: "
        "no conflict channel is set. Set one with `/config channel kind:conflict`."
    ) in caplog.text
    assert digests(squadron) == []
    assert await ledger_rows(squadron, "conflict_digest") == []


async def test_conflict_digest_once_across_two_bots_and_retried(
    squadron: Squadron,
    plugin_for: PluginClient,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    await digest_data(squadron, plugin_for)
    fake.fail_channel_posts(squadron.channel("bgs-conflict"), status=503)
    await announcements(squadron.bot).conflict_digests(now=EVENING)
    assert digests(squadron) == []
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        await announcements(second.bot).conflict_digests(now=EVENING + timedelta(minutes=15))
        await announcements(squadron.bot).conflict_digests(now=EVENING + timedelta(minutes=30))
    assert len(digests(squadron)) == 1
    assert len(await ledger_rows(squadron, "conflict_digest")) == 1


# -- /conflicts -------------------------------------------------------------------------------


async def conflicts_seen(squadron: Squadron, plugin: PluginClient) -> None:
    await protect(squadron, GAMMA)
    await send(
        squadron,
        plugin,
        seen(0, war(ADF, PIRATES, (1, 0)), war(GAMMA, DELTA, (0, 1), war_type="civilwar")),
        seen(10, war("Beta Corp", "Beta Union", war_type="election"), system=BETA),
    )


async def test_conflicts_of_our_faction(squadron: Squadron, plugin_for: PluginClient) -> None:
    await conflicts_seen(squadron, plugin_for)

    record = await squadron.member("conflicts")

    assert not record.ephemeral
    assert record.reply is not None
    [embed] = record.reply.embeds
    assert embed["title"] == f"Conflicts of {FACTION}"
    assert embed["description"].split("\n") == [
        f"1 current conflict(s); newest data {stamp(at(0), 'R')}",
        "",
        f"**{ALPHA}** — war, active",
        f"**{ADF}** 1 – 0 {PIRATES}",
        "Stakes: Alpha Gate · none",
        f"Data from {stamp(at(0), 'R')}",
        "",
    ]


async def test_conflicts_of_protected_factions_and_all(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await conflicts_seen(squadron, plugin_for)

    mine = await squadron.member("conflicts", {"scope": "protected"})
    every = await squadron.member("conflicts", {"scope": "all"})

    assert mine.reply is not None and mine.reply.embeds[0]["title"] == (
        "Conflicts of protected factions"
    )
    assert f"**{GAMMA}** 0 – 1 {DELTA}" in mine.text() and ADF not in mine.text()
    assert "— civil war, active" in mine.text()
    text = every.text()
    assert text.startswith("Every current conflict seen\n3 current conflict(s)")
    assert text.index(BETA) < text.index(ALPHA)  # the freshest data first
    assert f"**{ADF}** 1 – 0 {PIRATES}" in text and f"**{GAMMA}** 0 – 1 {DELTA}" in text


async def test_conflicts_say_when_data_is_from_before_the_last_tick(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await conflicts_seen(squadron, plugin_for)
    monitor = ticks_of(squadron.bot).monitor
    next_tick = T0 + timedelta(hours=5)
    assert (await monitor.set_manual(next_tick, now=next_tick + timedelta(minutes=1))).new

    record = await squadron.member("conflicts")

    assert f"last tick {stamp(next_tick, 'R')}" in record.text()
    assert f"Data from {stamp(at(0), 'R')} ⚠️ before the last tick" in record.text()


async def test_conflicts_when_there_are_none(squadron: Squadron) -> None:
    ours = await squadron.member("conflicts")
    shielded = await squadron.member("conflicts", {"scope": "protected"})
    assert "No current conflicts seen on EDDN or in members' data." in ours.text()
    assert "No factions are protected yet" in shielded.text()


async def test_conflicts_of_ours_without_a_faction(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await conflicts_seen(squadron, plugin_for)
    await update_guild(squadron, faction=None)

    record = await squadron.member("conflicts")

    assert record.ephemeral
    assert record.text().startswith("This server has no faction set")
    assert "`/config faction`" in record.text()


async def test_many_conflicts_page_within_discords_limits(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    many = [war(f"Faction {n:02d} " + "x" * 60, f"Rival {n:02d} " + "y" * 60) for n in range(40)]
    await send(squadron, plugin_for, seen(0, *many))

    record = await squadron.member("conflicts", {"scope": "all"})

    reply = record.reply
    assert reply is not None
    assert reply.find_component("page:next") is not None
    for embed in reply.embeds:
        assert len(embed["description"]) <= 4096
        assert len(discord.Embed.from_dict(embed)) <= 6000
    assert "40 current conflict(s)" in reply.text()
