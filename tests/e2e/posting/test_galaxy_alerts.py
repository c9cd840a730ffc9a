"""Galaxy alerts over the fake Discord: each kind posted once for a change and never for a
repeat, a restart or a second bot on the same database; conflict changes seen on EDDN and in
members' jumps posted once between them; `/conflicts` showing a conflict only EDDN saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bgs.galaxy.alerts import enqueue_alerts
from bgs.galaxy.snapshot import SystemChange, SystemSnapshot
from settings import ChannelKind
from tests.fakes.fake_discord import FakeDiscord, FakeGuild
from tests.fakes.tick_source import FakeTickSource
from tests.helpers.galaxy import add_tick, conflict, faction, moved, snapshot, store, store_in
from tests.helpers.plugin import PluginClient
from tests.helpers.plugin_events import ADF, ALPHA, ALPHA_ADDRESS, PIRATES, jump
from tests.helpers.squadron import (
    Squadron,
    announcements,
    ledger_rows,
    notices,
    outbox_rows,
    posts,
    running_warden,
    set_channel,
    settle,
    titles,
    update_guild,
)

TICK = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
LAST_TICK = TICK - timedelta(days=1)
T0 = TICK + timedelta(hours=1)
BETA_SYSTEM, BETA_ADDR = "Beta Hydri", 2002


def alpha(
    at: datetime, ours: float, pirates: float, *conflicts: Any, **states: Any
) -> SystemSnapshot:
    return snapshot(
        ALPHA_ADDRESS,
        ALPHA,
        at,
        [
            faction(ADF, ours, **states),
            faction(PIRATES, pirates),
            faction("Alpha Traders", 1 - ours - pirates),
        ],
        list(conflicts),
        controlling=ADF,
    )


def beta(at: datetime, ours: float) -> SystemSnapshot:
    return snapshot(
        BETA_ADDR, BETA_SYSTEM, at, [faction("Beta Union", 1 - ours), faction(ADF, ours)]
    )


async def feed(squadron: Squadron, *pairs: tuple[SystemSnapshot | None, SystemSnapshot]) -> None:
    """Store the newer snapshots and enqueue their alerts in one transaction, as the galaxy
    store does; then let the bot post."""
    db = squadron.bot.services.db
    async with db.unscoped_write() as session:
        for _, after in pairs:
            await store_in(session, after, TICK)
        changes = [SystemChange(before, after) for before, after in pairs]
        await enqueue_alerts(session, changes, datetime.now(UTC), db=db)
    await settle(squadron.bot)


async def history(squadron: Squadron) -> tuple[SystemSnapshot, SystemSnapshot]:
    """Both systems as the last tick left them: what the alerts compare with."""
    db = squadron.bot.services.db
    await add_tick(db, LAST_TICK)
    await add_tick(db, TICK)
    before = (
        alpha(LAST_TICK + timedelta(hours=2), 0.45, 0.30),
        beta(LAST_TICK + timedelta(hours=2), 0.07),
    )
    await store(db, list(before), LAST_TICK)
    return before


ALERTS = [
    "⚠️ Alpha Defence Force's lead in Test System Alpha is under 5 points",
    "📉 Alpha Defence Force lost influence in Test System Alpha",
    "⏳ Alpha Defence Force: expansion pending in Test System Alpha",
    "🚨 Alpha Defence Force risks retreat from Beta Hydri",
]


async def test_each_alert_once_never_for_a_repeat_or_a_restart(
    squadron: Squadron,
    fake: FakeDiscord,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    ticks: FakeTickSource,
) -> None:
    old_alpha, old_beta = await history(squadron)
    war = conflict(ADF, PIRATES, status="active", days=(0, 0))
    new_alpha = alpha(T0, 0.36, 0.33, war, pending=["Expansion"])
    new_beta = beta(T0, 0.04)
    await feed(squadron, (old_alpha, new_alpha), (old_beta, new_beta))

    assert titles(squadron, "bgs-alerts") == ALERTS
    lead, drop, *_ = posts(squadron, "bgs-alerts")
    assert "Lead over Alpha Pirates: 3.0 points" in lead.text()
    assert "Last tick 45.0 %: −9.0 points" in drop.text()
    assert titles(squadron, "bgs-conflict") == [f"⚔️ New war in {ALPHA}"]
    assert "Seen on EDDN" in posts(squadron, "bgs-conflict")[0].text()

    # Seen again later in the tick, unchanged: nothing new.
    again = (new_alpha, moved(new_alpha, T0 + timedelta(minutes=5)))
    await feed(squadron, again, (new_beta, moved(new_beta, T0 + timedelta(minutes=5))))
    # The same change stored again (another uploader's copy reaching the store): no repost.
    await feed(squadron, (old_alpha, new_alpha), (old_beta, new_beta))
    assert titles(squadron, "bgs-alerts") == ALERTS
    assert len(await ledger_rows(squadron, "galaxy_alert")) == len(ALERTS)

    # A second bot on the same database (a restart, or another process) posts nothing again.
    async with running_warden(fake, guild, sqlite_url, tmp_path, ticks) as second:
        await feed(second, (old_alpha, new_alpha), (old_beta, new_beta))
        await settle(squadron.bot)
    assert titles(squadron, "bgs-alerts") == ALERTS
    assert titles(squadron, "bgs-conflict") == [f"⚔️ New war in {ALPHA}"]


async def test_settings_turn_alerts_off(squadron: Squadron) -> None:
    old_alpha, old_beta = await history(squadron)
    record = await squadron.admin(
        "config galaxy-alerts", {"lead": 0, "drop": 10, "pending": False, "retreat": 0}
    )
    assert record.reply is not None
    assert "lead over the runner-up: off" in record.reply.content
    assert "influence drop since the last tick: over 10 points" in record.reply.content
    await feed(
        squadron,
        (old_alpha, alpha(T0, 0.36, 0.33, pending=["Expansion"])),
        (old_beta, beta(T0, 0.04)),
    )
    assert titles(squadron, "bgs-alerts") == []


def member_war(at: datetime, days: tuple[int, int]) -> dict[str, Any]:
    factions = [{"Name": name, "Influence": 0.3} for name in (ADF, PIRATES)]
    side = lambda name, won: {"Name": name, "Stake": "", "WonDays": won}  # noqa: E731
    war = {
        "WarType": "war",
        "Status": "active",
        "Faction1": side(ADF, days[0]),
        "Faction2": side(PIRATES, days[1]),
    }
    return jump(at, Conflicts=[war], Factions=factions)


async def test_eddn_and_members_post_a_conflict_change_once(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    await add_tick(squadron.bot.services.db, TICK)
    first = alpha(T0, 0.4, 0.3, conflict(ADF, PIRATES, days=(0, 0)))
    await feed(squadron, (None, first))
    # A member jumps in later and sees the same war: already known.
    reply = await plugin_for.post_events([member_war(T0 + timedelta(minutes=10), (0, 0))])
    assert reply.status == 200
    await settle(squadron.bot)
    # The member sees the day won first; EDDN's older and newer copies of it add nothing.
    reply = await plugin_for.post_events([member_war(T0 + timedelta(hours=20), (1, 0))])
    assert reply.status == 200
    await settle(squadron.bot)
    won = alpha(T0 + timedelta(hours=21), 0.4, 0.3, conflict(ADF, PIRATES, days=(1, 0)))
    await feed(squadron, (first, won))
    # EDDN sees the next day lost first; the member's later jump adds nothing.
    lost = alpha(T0 + timedelta(hours=44), 0.4, 0.3, conflict(ADF, PIRATES, days=(1, 1)))
    await feed(squadron, (won, lost))
    reply = await plugin_for.post_events([member_war(T0 + timedelta(hours=45), (1, 1))])
    await settle(squadron.bot)

    assert titles(squadron, "bgs-conflict") == [
        f"⚔️ New war in {ALPHA}",
        f"✅ Day won in the war in {ALPHA}",
        f"❌ Day lost in the war in {ALPHA}",
    ]
    new, day_won, day_lost = posts(squadron, "bgs-conflict")
    assert "Seen on EDDN" in new.text() and "Seen on EDDN" in day_lost.text()
    assert "Seen by CMDR Test Cmdr" in day_won.text()


async def test_conflicts_shows_a_conflict_only_eddn_saw(squadron: Squadron) -> None:
    await add_tick(squadron.bot.services.db, TICK)
    await feed(squadron, (None, alpha(T0, 0.4, 0.3, conflict(ADF, PIRATES, days=(2, 1)))))
    record = await squadron.member("conflicts")
    assert record.reply is not None
    text = record.reply.text()
    assert f"**{ALPHA}** — war, active" in text
    assert f"**{ADF}** 2 – 1 {PIRATES}" in text


async def test_post_tick_summary_has_an_influence_section(squadron: Squadron) -> None:
    await history(squadron)
    await store(squadron.bot.services.db, [alpha(T0, 0.36, 0.33), beta(T0, 0.04)], TICK)
    # the tick was seen at its time (tests.helpers.galaxy.add_tick); the summary is due 15 min on
    await announcements(squadron.bot).post_tick_summaries(now=TICK + timedelta(minutes=15))
    [message] = posts(squadron, "bgs-summary")
    lines = message.embeds[0]["description"].split("\n")
    section = lines[lines.index(f"**Influence of {ADF}** (most at risk first)") :]
    assert section == [
        f"**Influence of {ADF}** (most at risk first)",
        f"• {ALPHA} 👑: 36.0 % (−9.0), lead 3.0",
        "• Beta Hydri: 4.0 % (−3.0)",
    ]


async def test_conflicts_merges_eddn_and_members_without_duplicates(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    """With EDDN conflict changes off, `/conflicts` still reads the galaxy tables: a war of
    others in a system where our faction is present (scope all), ours once though both saw it."""
    await update_guild(squadron, galaxy_conflict_alert=False)
    await add_tick(squadron.bot.services.db, TICK)
    others = conflict("Alpha Traders", "Zeta Corp", war_type="election", days=(1, 0))
    eddn = alpha(T0, 0.4, 0.3, conflict(ADF, PIRATES, days=(2, 1)), others)
    await store(squadron.bot.services.db, [eddn], TICK)
    reply = await plugin_for.post_events([member_war(T0 - timedelta(minutes=30), (1, 1))])
    assert reply.status == 200
    await settle(squadron.bot)

    record = await squadron.member("conflicts", {"scope": "all"})
    assert record.reply is not None
    text = record.reply.text()
    assert "2 current conflict(s)" in text
    assert text.count(f"**{ALPHA}** — war, active") == 1
    assert f"**{ADF}** 2 – 1 {PIRATES}" in text  # EDDN's is the newer report
    assert f"**{ALPHA}** — election, active" in text
    assert titles(squadron, "bgs-conflict") == [f"⚔️ New war in {ALPHA}"]  # the member's


async def test_an_alert_without_a_channel_is_a_skipped_post(squadron: Squadron) -> None:
    _, old_beta = await history(squadron)
    await set_channel(squadron, ChannelKind.ALERTS, None)
    await feed(squadron, (old_beta, beta(T0, 0.04)))
    assert await notices(squadron) == [
        "Galaxy alerts (influence, lead, pending states) are skipped: no alerts channel is set. "
        "Set one with `/config channel kind:alerts`."
    ]
    assert await outbox_rows(squadron) == []
