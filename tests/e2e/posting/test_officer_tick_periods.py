"""An officer's `/tick set` moves its own guild's periods: the sources missed a tick, so the
members' plugin keeps stamping the old tick id; `ct` is then everything since the officer's
tick and `lt` the old tick up to it, in the commands and in the post-tick summary (which only
this guild posts). A tick the data reports later ends the cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp

from tests.fakes.tick_source import FakeTickSource, Mode
from tests.helpers.plugin import PluginClient, create_api_key
from tests.helpers.plugin_events import ADF, bounty
from tests.helpers.squadron import Squadron, announcements, in_tick, posts

OLD, OLD_TIME = "zoy-7aa3e8fcc79b08a08a58", datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
OFFICER_TICK = datetime(2026, 11, 27, 11, 10, tzinfo=UTC)
NEW = "zoy-000000000000000000new"


async def totals(squadron: Squadron, period: str) -> list[str]:
    record = await squadron.member("activity cmdr", {"cmdr": "Ann", "period": period})
    assert record.reply is not None
    return str(record.reply.embeds[0].get("description", "")).split("\n")


async def test_an_officers_tick_cuts_its_guilds_periods_by_time(
    two_squadrons: tuple[Squadron, Squadron],
    ticks: FakeTickSource,
    http: aiohttp.ClientSession,
) -> None:
    alpha, beta = two_squadrons
    services = alpha.bot.services
    plugin_for = PluginClient(
        http, services.listener.url, await create_api_key(services, alpha.guild.id)
    )
    ticks.primary.mode = ticks.fallback.mode = Mode.DOWN
    before = bounty(OFFICER_TICK - timedelta(hours=2), ADF, 100_000, cmdr="Ann")
    after = bounty(OFFICER_TICK + timedelta(hours=1), ADF, 300_000, cmdr="Ann")
    reply = await plugin_for.post_events([before, after])  # both stamped with the old tick id
    assert reply.status == 200, reply.body
    assert (await totals(alpha, "ct"))[2:] == ["**Totals**", "bounties 400K"]

    record = await alpha.officer("tick set", {"time": f"{OFFICER_TICK:%Y-%m-%d %H:%M}"})
    assert "Recorded this server's tick" in record.text()

    current = await totals(alpha, "ct")
    assert current[0] == (
        "**Period:** Current tick · From 2026-11-27 11:10 UTC (set by an officer of this "
        "server), ongoing"
    )
    assert current[2:] == ["**Totals**", "bounties 300K"]
    last = await totals(alpha, "lt")
    assert f"Tick {OLD} from 2026-11-26 11:00 UTC to 2026-11-27 11:10 UTC" in last[0]
    assert last[2:] == ["**Totals**", "bounties 100K"]
    assert (await totals(alpha, OLD))[2:] == ["**Totals**", "bounties 400K"]  # by tick id

    summaries = announcements(alpha.bot)
    await summaries.post_tick_summaries(now=datetime.now(UTC) + timedelta(minutes=16))
    [summary] = posts(alpha, "bgs-summary")
    old, cut = int(OLD_TIME.timestamp()), int(OFFICER_TICK.timestamp())
    assert f"The tick from <t:{old}:f> to <t:{cut}:f>." in summary.text()
    assert posts(beta, "bgs-summary") == []

    # The plugin catches up: a tick id with a time at or after the officer's ends the cut.
    caught_up = OFFICER_TICK + timedelta(minutes=5)
    later = in_tick(bounty(caught_up, ADF, 50_000, cmdr="Ann"), NEW, caught_up)
    reply = await plugin_for.post_events([later])
    assert reply.status == 200, reply.body
    current = await totals(alpha, "ct")
    assert f"Tick {NEW}" in current[0] and current[2:] == ["**Totals**", "bounties 50K"]
    assert (await totals(alpha, "lt"))[2:] == ["**Totals**", "bounties 400K"]
