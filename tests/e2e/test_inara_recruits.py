"""/cmdr settings, /cmdr refresh and the daily Inara job against the loopback fake Inara, and
/recruits with the weekly recruits post, over the fake Discord: two guilds, one with the Inara
key an officer set, one with a (bad) key from tenants.json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import aiohttp
import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select, update

from bgs import members, tenants
from cogs.members import INARA_SYNC, Members
from cogs.recruits import RECRUITS_POST, Recruits
from db.models import Cmdr, Tenant
from settings import ChannelKind, TenantConfig, TenantsFile
from tests.fakes.fake_discord import MANAGE_GUILD, FakeDiscord, FakeGuild
from tests.fakes.inara import FakeInara
from tests.helpers.plugin import PluginClient, create_api_key, settings_for
from tests.helpers.plugin_events import market_sell
from tests.helpers.squadron import DENIED, Squadron, ledger_rows, tenants_for
from warden.discord_bot import WardenBot, build_bot

KEY = "AlphaInaraKey0123456789"
WRONG = "BetaInaraKeyThatIsWrong0"
AT = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)


@pytest.fixture
async def inara() -> AsyncIterator[FakeInara]:
    async with FakeInara() as fake:
        fake.add_cmdr(
            "Ann",
            combat=8,
            trade=5,
            power="Aisling Duval",
            squadron="Test Wing",
            squadron_rank="Recruit",
        )
        fake.add_cmdr("Bee", squadron="Beta Wing", squadron_rank="Recruit")
        fake.bad_keys.add(WRONG)
        yield fake


@pytest.fixture
def beta(fake: FakeDiscord, guild: FakeGuild) -> FakeGuild:
    return fake.add_guild(
        guild.id + (11 << 22), "Beta Wing", channels=["general", "bgs-tick"], roles=["Officer"]
    )


@pytest.fixture
async def squadron(
    fake: FakeDiscord,
    guild: FakeGuild,
    beta: FakeGuild,
    inara: FakeInara,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Squadron]:
    """Alpha (no Inara key in tenants.json) and Beta (a bad one from tenants.json)."""
    monkeypatch.setenv("BETA_INARA_KEY", WRONG)
    beta_config = TenantConfig(
        guild_id=beta.id,
        name=beta.name,
        officer_roles=(beta.role("Officer").id,),
        inara_api_key="env:BETA_INARA_KEY",  # type: ignore[arg-type]
    )
    settings = settings_for(
        sqlite_url,
        tmp_path,
        discord_token="fake-bot-token",
        inara_api_url=inara.url,
        inara_request_interval=0,
        inara_sync_time="02:30",
    )
    both = TenantsFile(tenants=(*tenants_for(guild).tenants, beta_config))
    bot = build_bot(settings, both, guild_ready_timeout=0.05)
    async with fake.run_bot(bot):
        yield Squadron(fake, guild, bot)


def members_cog(bot: WardenBot) -> Members:
    return cast("Members", bot.get_cog("Members"))


async def sales(bot: WardenBot, guild_id: int, *cmdrs: str) -> None:
    async with aiohttp.ClientSession() as http:
        plugin = PluginClient(
            http, bot.services.listener.url, await create_api_key(bot.services, guild_id)
        )
        for n, cmdr in enumerate(cmdrs, start=1):
            sale = market_sell(AT, "Alpha Traders", count=n, sale=1000, paid=500, cmdr=cmdr)
            assert (await plugin.post_events([sale])).status == 200


async def cmdr_rows(bot: WardenBot, guild_id: int) -> dict[str, Cmdr]:
    async with bot.services.db.tenant(guild_id) as session:
        return {row.name: row for row in (await session.execute(select(Cmdr))).scalars()}


# -- /cmdr settings -----------------------------------------------------------------------------


async def test_cmdr_settings(
    squadron: Squadron, beta: FakeGuild, caplog: pytest.LogCaptureFixture
) -> None:
    denied = await squadron.member("cmdr settings", {"cmdrs_per_key": 5})
    assert denied.text() == DENIED.format(squadron.officer_role)

    record = await squadron.officer(
        "cmdr settings", {"inara_key": KEY, "cmdrs_per_key": 5, "recruit_rank": "Rookie"}
    )

    assert record.ephemeral
    text = record.text()
    assert "**Inara profiles:** on, key set in Discord; read daily at 02:30 UTC" in text
    assert "**Cmdrs per personal key:** 5" in text
    assert "Inara squadron rank **Rookie**, or first seen within 14 days" in text
    assert KEY not in text and KEY not in caplog.text
    assert "'inara_key': '(hidden)'" in caplog.text
    row = await guild_row(squadron, squadron.guild.id)
    assert (row.inara_api_key, row.cmdrs_per_key, row.recruit_rank) == (KEY, 5, "Rookie")

    for options, message in (
        ({"inara_key": "has spaces in it"}, "That is not an Inara API key"),
        ({"cmdrs_per_key": 0}, "A personal key may post for 1 to 25 cmdrs."),
        ({"recruit_days": 400}, "Newly seen means within 1 to 365 days."),
        ({"recruit_rank": "   "}, "The recruit rank is the name of an Inara squadron rank"),
    ):
        bad = await squadron.officer("cmdr settings", options)
        assert bad.ephemeral and bad.text().startswith(message), bad.text()
    assert (await guild_row(squadron, squadron.guild.id)).inara_api_key == KEY

    shown = (await squadron.member("config show")).text()
    assert "**Members** (`/cmdr settings`)" in shown and "on, key set in Discord" in shown
    assert KEY not in shown
    off = await squadron.officer("cmdr settings", {"inara_key": "off"})
    assert "**Inara profiles:** off (no key)" in off.text()

    file_key = await squadron.fake.invoke(
        "cmdr settings", {"inara_key": KEY}, guild_id=beta.id, permissions=MANAGE_GUILD
    )
    assert (
        (await file_key.wait_reply())
        .text()
        .startswith("This server's Inara key comes from tenants.json")
    )
    shown = await squadron.fake.invoke("cmdr settings", guild_id=beta.id, permissions=MANAGE_GUILD)
    assert "on, key from tenants.json" in (await shown.wait_reply()).text()


async def test_an_unexpected_error_never_logs_the_inara_key(
    squadron: Squadron, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(members, "set_member_settings", broken)
    record = await squadron.officer("cmdr settings", {"inara_key": KEY})
    assert record.ephemeral and "Something went wrong on our side" in record.text()
    assert "in /cmdr settings" in caplog.text and "'inara_key': '(hidden)'" in caplog.text
    assert KEY not in caplog.text


async def guild_row(squadron: Squadron, guild_id: int) -> Tenant:
    async with squadron.bot.services.db.tenant(guild_id) as session:
        row = await tenants.get_tenant(session)
    assert row is not None
    return row


async def test_personal_keys_only_refuses_the_squadron_key_at_once(squadron: Squadron) -> None:
    async with aiohttp.ClientSession() as http:
        services = squadron.bot.services
        plugin = PluginClient(
            http, services.listener.url, await create_api_key(services, squadron.guild.id)
        )
        assert (await plugin.post_events([])).status == 200
        record = await squadron.officer("cmdr settings", {"personal_keys_only": True})
        assert "**Squadron keys:** refused (personal keys only)" in record.text()
        refused = await plugin.post_events([])
        assert refused.status == 401 and "accepts personal keys only" in refused.body["error"]
        created = await squadron.officer("apikey create", {"label": "Wing Two"})
        assert "refuses this squadron key until squadron keys are allowed again" in created.text()


# -- Inara profiles -----------------------------------------------------------------------------


async def test_the_jobs_run_at_their_times(squadron: Squadron) -> None:
    scheduler = squadron.bot.services.scheduler
    inara_job = scheduler.get_job(INARA_SYNC).trigger
    recruits_job = scheduler.get_job(RECRUITS_POST).trigger
    assert isinstance(inara_job, CronTrigger) and isinstance(recruits_job, CronTrigger)
    assert inara_job.get_next_fire_time(None, AT) == datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
    assert recruits_job.get_next_fire_time(None, AT) == MONDAY  # Thursday → Monday 00:05
    again = recruits_job.get_next_fire_time(MONDAY, MONDAY + timedelta(seconds=1))
    assert again == MONDAY + timedelta(hours=1)  # retried hourly that day
    last = MONDAY.replace(hour=23)
    assert recruits_job.get_next_fire_time(last, last + timedelta(seconds=1)) == MONDAY + timedelta(
        days=7
    )


async def test_refresh_fills_the_card_and_the_leaderboard_rank(
    squadron: Squadron, inara: FakeInara
) -> None:
    await sales(squadron.bot, squadron.guild.id, "Ann")
    off = await squadron.officer("cmdr refresh", {"cmdr": "Ann"})
    assert off.ephemeral and off.text().startswith("Inara profiles are off for this server")
    await squadron.officer("cmdr settings", {"inara_key": KEY})
    denied = await squadron.member("cmdr refresh", {"cmdr": "Ann"})
    assert denied.text() == DENIED.format(squadron.officer_role)

    record = await squadron.officer("cmdr refresh", {"cmdr": "ann"})

    assert record.ephemeral
    text = record.text()
    assert "**Inara** (read <t:" in text and "[profile](https://inara.cz/elite/cmdr/1234/)" in text
    assert "Combat **Elite** · Trade **Broker**" in text
    assert "**Power:** Aisling Duval" in text
    assert "**Squadron:** Test Wing · rank **Recruit**" in text
    assert inara.searched() == [["Ann"]] and inara.requests[0]["header"]["APIkey"] == KEY
    board = await squadron.member("leaderboard", {"period": "all"})
    assert "**1. Ann** (Recruit) — 1,000 Cr" in board.text()


async def test_the_daily_job_keeps_a_bad_key_in_its_guild(
    squadron: Squadron, beta: FakeGuild, inara: FakeInara
) -> None:
    bot = squadron.bot
    await squadron.officer("cmdr settings", {"inara_key": KEY})
    await sales(bot, squadron.guild.id, "Ann", "Nobody Known")
    await sales(bot, beta.id, "Bee")

    await members_cog(bot).inara_profiles(now=datetime.now(UTC))

    assert sorted(request["header"]["APIkey"] for request in inara.requests) == sorted([KEY, WRONG])
    alpha = await cmdr_rows(bot, squadron.guild.id)
    assert (alpha["Ann"].inara_status, alpha["Ann"].squadron_rank) == ("found", "Recruit")
    assert alpha["Nobody Known"].inara_status == "not_found"
    bee = (await cmdr_rows(bot, beta.id))["Bee"]
    assert (bee.inara_status, bee.squadron_rank) == ("bad_key", None)
    shown = await squadron.fake.invoke("cmdr show", {"cmdr": "Bee"}, guild_id=beta.id)
    assert "Inara refused the key: Invalid API key" in (await shown.wait_reply()).text()


# -- recruits -----------------------------------------------------------------------------------


async def recruit_data(squadron: Squadron) -> None:
    """Ann has the recruit rank but was first seen long ago, Bob is new, Cy is neither."""
    bot = squadron.bot
    await sales(bot, squadron.guild.id, "Ann", "Bob", "Cy")
    long_ago = datetime.now(UTC) - timedelta(days=100)
    async with bot.services.db.tenant_write(squadron.guild.id) as session:
        await session.execute(
            update(Cmdr).where(Cmdr.name.in_(["Ann", "Cy"])).values(first_seen=long_ago)
        )
        await session.execute(
            update(Cmdr).where(Cmdr.name == "Ann").values(squadron_rank="recruit")
        )


async def test_recruits(squadron: Squadron) -> None:
    empty = await squadron.officer("recruits")
    assert (
        empty.ephemeral
        and "No recruit: no cmdr has the Inara squadron rank **Recruit**" in empty.text()
    )
    await recruit_data(squadron)
    denied = await squadron.member("recruits")
    assert denied.text() == DENIED.format(squadron.officer_role)

    record = await squadron.officer("recruits")

    assert record.ephemeral
    lines = record.text().split("\n")
    titles = [line for line in lines if line.startswith("**CMDR")]
    assert titles == ["**CMDR Bob** · newly seen", "**CMDR Ann** · recruit"]
    assert "1 t · missions 0 · bounties 0 · bonds 0 · exploration 0 · fines 0 · INF +0" in lines
    assert "2 t · missions 0 · bounties 0 · bonds 0 · exploration 0 · fines 0 · INF +0" in lines
    assert any(line.startswith("first seen <t:") and "(100 d ago)" in line for line in lines)
    assert "2 cmdr(s)" in record.text()


async def test_the_weekly_recruits_post_is_posted_once(squadron: Squadron) -> None:
    await recruit_data(squadron)
    cog = cast("Recruits", squadron.bot.get_cog("Recruits"))
    await cog.recruits_posts(now=MONDAY)  # no recruits channel yet: nothing
    general = squadron.channel("general")
    record = await squadron.officer("config channel", {"kind": "recruits", "channel": general})
    assert record.text() == f"Recruits posts go to <#{general}>."

    await cog.recruits_posts(now=MONDAY)
    await cog.recruits_posts(now=MONDAY + timedelta(hours=1))

    posts = squadron.fake.channel_messages(general)
    assert len(posts) == 1 and posts[0].embeds[0]["title"] == "🧭 Recruits"
    assert "**CMDR Bob** · newly seen" in posts[0].text()
    assert await ledger_rows(squadron, "recruits") == [("2026-W49", general, True)]
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        row = await tenants.get_tenant(session)
    assert row is not None and tenants.channel_of(row, ChannelKind.RECRUITS) == general
