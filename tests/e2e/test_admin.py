"""/config, /apikey, /status and /help over the fake Discord, as members and officers use them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import discord
import pytest

from bgs import tenants
from db.models import KnownFaction, Tenant
from settings import ChannelKind, TenantsFile
from tests.fakes.fake_discord import MANAGE_GUILD, SEND_MESSAGES, FakeDiscord, FakeGuild
from tests.helpers.plugin import PluginClient, create_api_key, settings_for
from tests.helpers.plugin_events import market_sell
from tests.helpers.squadron import (
    DENIED,
    FACTION,
    UNSET_CHANNELS,
    Squadron,
    eventually,
    every_page,
    set_channel,
    status_marks,
    tenants_for,
)
from warden.discord_bot import build_bot


async def guild_row(squadron: Squadron) -> Tenant:
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        row = await tenants.get_tenant(session)
    assert row is not None
    return row


# -- /config --------------------------------------------------------------------------------


async def test_config_show_for_members(squadron: Squadron) -> None:
    record = await squadron.member("config show")
    text = record.text()
    assert record.ephemeral
    assert f"**Faction:** {FACTION}" in text
    assert f"tick: <#{squadron.channel('bgs-tick')}>" in text
    assert "summary: not set" in text
    assert f"<@&{squadron.officer_role}>" in text
    assert "Configured from:** tenants.json" in text
    assert "conflict digest: on at 00:00, 06:00, 12:00, 18:00 UTC" in text


async def test_long_config_show_stays_within_limits(squadron: Squadron) -> None:
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        guild = await tenants.get_tenant(session)
        assert guild is not None
        guild.officer_roles.extend(tenants.OfficerRole(role_id=10**18 + n) for n in range(300))
    record = await squadron.member("config show")
    reply = record.reply
    assert reply is not None
    for embed in reply.embeds:
        assert len(embed.get("description", "")) <= 4096
        assert len(discord.Embed.from_dict(embed)) <= 6000
    assert reply.find_component("page:next") is not None


async def test_config_faction(squadron: Squadron) -> None:
    denied = await squadron.member("config faction", {"name": "Alpha Pirates"})
    assert denied.ephemeral and denied.text() == DENIED.format(squadron.officer_role)
    assert (await guild_row(squadron)).faction == FACTION

    record = await squadron.officer("config faction", {"name": "Alpha Pirates"})
    assert record.text() == "The squadron's faction is now **Alpha Pirates**."
    assert (await guild_row(squadron)).faction == "Alpha Pirates"

    by_admin = await squadron.admin("config faction", {"name": "Alpha Traders"})
    assert "Alpha Traders" in by_admin.text()


async def test_config_faction_autocomplete(squadron: Squadron) -> None:
    now = datetime.now(UTC)
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        session.add_all(
            KnownFaction(name=name, last_seen=now)
            for name in ("Alpha Defence Force", "Alpha Pirates", "Beta Union")
        )
    choices = await squadron.fake.autocomplete(
        "config faction",
        {"name": "alpha"},
        focused="name",
        guild_id=squadron.guild.id,
        roles=[squadron.officer_role],
    )
    assert sorted(c["value"] for c in choices) == ["Alpha Defence Force", "Alpha Pirates"]


async def test_config_channel(squadron: Squadron) -> None:
    summary = squadron.channel("bgs-summary")
    denied = await squadron.member("config channel", {"kind": "summary", "channel": summary})
    assert denied.text() == DENIED.format(squadron.officer_role)

    record = await squadron.officer("config channel", {"kind": "summary", "channel": summary})
    assert record.text() == f"Summary posts go to <#{summary}>."
    assert tenants.channel_of(await guild_row(squadron), ChannelKind.SUMMARY) == summary

    cleared = await squadron.officer("config channel", {"kind": "summary"})
    assert cleared.text() == "Summary posts are off (no channel)."
    assert tenants.channel_of(await guild_row(squadron), ChannelKind.SUMMARY) is None


async def test_config_channel_the_bot_cannot_post_in(squadron: Squadron) -> None:
    alerts = squadron.channel("bgs-alerts")
    await squadron.fake.set_channel_overwrites(
        alerts, [squadron.fake.bot_overwrite(deny=SEND_MESSAGES)]
    )
    record = await squadron.officer("config channel", {"kind": "alerts", "channel": alerts})
    assert record.ephemeral
    assert record.text().startswith(
        f"I cannot post in <#{alerts}>: I am missing Send Messages, Embed Links, Attach Files."
    )
    assert tenants.channel_of(await guild_row(squadron), ChannelKind.ALERTS) is None


async def test_officer_roles(squadron: Squadron) -> None:
    pilot = squadron.guild.role("Pilot").id
    denied = await squadron.member("config officer-role add", {"role": pilot})
    assert denied.text() == DENIED.format(squadron.officer_role)

    added = await squadron.officer("config officer-role add", {"role": pilot})
    assert added.text().startswith(f"<@&{pilot}> is now an officer role.")
    assert "Server Settings → Integrations" in added.text()
    assert tenants.officer_role_ids(await guild_row(squadron)) == sorted(
        [squadron.officer_role, pilot]
    )
    # a pilot is an officer now
    record = await squadron.fake.invoke(
        "config faction", {"name": "X"}, guild_id=squadron.guild.id, roles=[pilot]
    )
    assert "now **X**" in (await record.wait_reply()).text()

    again = await squadron.officer("config officer-role add", {"role": pilot})
    assert again.text() == f"<@&{pilot}> is already an officer role."

    removed = await squadron.officer("config officer-role remove", {"role": pilot})
    assert removed.text() == f"<@&{pilot}> is no longer an officer role."
    unknown = await squadron.officer("config officer-role remove", {"role": pilot})
    assert "is not an officer role; nothing was changed" in unknown.text()


async def test_config_retention(squadron: Squadron) -> None:
    record = await squadron.officer("config retention", {"days": 30})
    assert record.text().startswith("Raw events kept: 30 days. Summaries of every period stay")
    shown = await squadron.member("config show")
    assert "**Raw events kept:** 30 days" in shown.text()
    await squadron.officer("config retention", {})
    shown = await squadron.member("config show")
    assert "**Raw events kept:** all (the bot's default)" in shown.text()


async def test_config_schedule(squadron: Squadron) -> None:
    record = await squadron.officer(
        "config schedule",
        {"post_tick_delay": 30, "daily_summary": False, "digest_hours": "18, 6"},
    )
    assert record.text() == (
        "Post-tick summary 30 min after the tick; daily summary off; CZ summaries on; "
        "conflict digest on at 06:00, 18:00 UTC."
    )
    guild = await guild_row(squadron)
    assert (guild.post_tick_delay_minutes, guild.daily_summary, guild.conflict_digest_hours) == (
        30,
        False,
        "6,18",
    )
    bad = await squadron.officer("config schedule", {"digest_hours": "25"})
    assert bad.text() == "Hours must be between 0 and 23, like `0,6,12,18` (got `25`)."
    assert (await guild_row(squadron)).conflict_digest_hours == "6,18"
    denied = await squadron.member("config schedule", {"daily_summary": True})
    assert denied.text() == DENIED.format(squadron.officer_role)


# -- /apikey --------------------------------------------------------------------------------


async def test_apikey_lifecycle_with_the_listener(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    created = await squadron.officer("apikey create", {"label": "Wing One"})
    assert created.ephemeral
    text = created.text()
    key = text.split("```\n")[1].split("\n")[0]
    assert key.isalnum() and len(key) == 43
    # the listener binds 127.0.0.1 and LISTENER_PUBLIC_URL is unset: no URL to paste
    assert "server URL" not in text and "I Approve" not in text
    url = squadron.bot.services.listener.url
    assert (
        f"⚠️ Members cannot reach `{url}`: the listener accepts connections from the bot's own "
        "computer only, so that URL works just for BGS-Tally running there. The bot's operator "
        "must set `LISTENER_HOST=0.0.0.0` and `LISTENER_PUBLIC_URL`"
    ) in text
    assert "once that is done, `/status` shows the URL to paste" in text

    plugin_for.key = key
    posted = await plugin_for.post_events([])
    assert posted.status == 200

    listed = await squadron.officer("apikey list")
    assert "**Wing One**" in listed.text() and key not in listed.text()

    choices = await squadron.fake.autocomplete(
        "apikey revoke",
        {"key": "wing"},
        focused="key",
        guild_id=squadron.guild.id,
        roles=[squadron.officer_role],
    )
    assert [c["name"].split(" (")[0] for c in choices] == ["Wing One"]
    revoked = await squadron.officer("apikey revoke", {"key": choices[0]["value"]})
    assert revoked.text().startswith("Key **Wing One**")
    assert (await plugin_for.post_events([])).status == 401


async def test_apikey_create_hands_out_the_public_url(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        sqlite_url,
        tmp_path,
        discord_token="fake-bot-token",
        listener_public_url="https://bgs.example.org/warden",
    )
    bot = build_bot(settings, tenants_for(guild), guild_ready_timeout=0.05)
    async with fake.run_bot(bot):
        squadron = Squadron(fake, guild, bot)
        created = await squadron.officer("apikey create")
        connected = await squadron.member("connect")
        status = await squadron.member("status")
    for reply in (created.text(), connected.text()):
        assert "1. In EDMC: **File → Settings → BGS-Tally → API**: server URL " in reply
        assert "`https://bgs.example.org/warden/`, API key: the key above" in reply
        assert "2. Click **Establish Connection**" in reply and "⚠️" not in reply
    assert "✅ **Listener URL:** `https://bgs.example.org/warden/`" in status.text()


async def test_apikey_is_for_officers(squadron: Squadron) -> None:
    record = await squadron.member("apikey create")
    assert record.text() == DENIED.format(squadron.officer_role)
    record = await squadron.member("apikey list")
    assert record.text() == DENIED.format(squadron.officer_role)


async def test_revoking_an_unknown_key(squadron: Squadron) -> None:
    record = await squadron.officer("apikey revoke", {"key": "999"})
    assert record.text() == "This server has no such key; `/apikey list` shows the keys."


# -- /status, /help, deleted channels and roles -----------------------------------------------


async def test_status(squadron: Squadron, plugin_for: PluginClient) -> None:
    tick = squadron.channel("bgs-tick")
    url = squadron.bot.services.listener.url
    before = await squadron.member("status")
    assert before.ephemeral
    assert "sqlite: ok" in before.text()
    assert f"Members cannot reach `{url}`" in before.text()  # the Listener field
    assert status_marks(before) == {
        "Faction": "✅",
        "Tick channel": "✅",
        "Summary channel": "❌",
        "Conflict channel": "❌",
        "Alerts channel": "❌",
        "Recruits channel": "❔",
        "Officer roles": "✅",
        "Listener URL": "❌",
        "API keys": "✅",  # the key of `plugin_for`
        "BGS-Tally data (24 h)": "❌",
        "Galaxy tick": "❌",
        "EDDN feed": "❔",  # tests run with EDDN_RELAY=off
    }
    text = before.text()
    assert "0 kept, none dropped" in text  # the EDDN feed field
    assert f"✅ **Faction:** {FACTION}" in text
    assert f"✅ **Tick channel:** <#{tick}>" in text
    assert (
        "❌ **Summary channel:** not set, so the post-tick, daily and CZ summaries are skipped: "
        "`/config channel kind:summary`"
    ) in text
    assert f"✅ **Officer roles:** <@&{squadron.officer_role}>" in text
    assert (
        f"❌ **Listener URL:** members cannot reach `{url}`: the bot's operator must set "
        "`LISTENER_HOST=0.0.0.0` and `LISTENER_PUBLIC_URL`"
    ) in text
    assert "✅ **API keys:** 1 active" in text
    assert "❌ **BGS-Tally data (24 h):** nothing received yet" in text
    assert "❌ **Galaxy tick:** none seen yet: `/tick refresh` polls the sources" in text
    assert "every configured channel is postable" not in text
    assert "; oldest raw event: none; raw events kept: all (the bot's default)" in text

    reply = await plugin_for.post_events(
        [{"event": "Docked", "timestamp": "2026-11-26T13:10:11Z", "cmdr": "Test_Cmdr*"}]
    )
    assert reply.status == 200
    await squadron.fake.set_channel_overwrites(
        tick, [squadron.fake.bot_overwrite(deny=SEND_MESSAGES)]
    )
    after = await squadron.member("status")
    assert "from CMDR Test\\_Cmdr\\* (1 cmdr(s) so far)" in after.text()  # as written
    assert status_marks(after)["BGS-Tally data (24 h)"] == "✅"
    assert "oldest raw event: <t:1795698611:f>" in after.text()
    assert (
        f"❌ **Tick channel:** I cannot post in <#{tick}> (missing Send Messages, Embed Links, "
        "Attach Files): grant that in the channel's permissions, or choose another with "
        "`/config channel kind:tick`"
    ) in after.text()


async def test_status_with_no_channel_and_with_a_channel_that_is_gone(
    squadron: Squadron,
) -> None:
    await set_channel(squadron, ChannelKind.TICK, None)
    none_set = await squadron.member("status")
    channel_lines = [line for line in none_set.text().split("\n") if " channel:** " in line]
    assert channel_lines == UNSET_CHANNELS
    gone = squadron.fake.snowflake()  # a channel deleted while no event reached this process
    await set_channel(squadron, ChannelKind.ALERTS, gone)
    status = await squadron.member("status")
    assert (
        f"❌ **Alerts channel:** <#{gone}> no longer exists: choose another with "
        "`/config channel kind:alerts`"
    ) in status.text()


async def test_deleted_channel_and_role_are_dropped_and_reported(squadron: Squadron) -> None:
    tick = squadron.channel("bgs-tick")
    await squadron.fake.delete_channel(tick)
    await squadron.fake.delete_role(squadron.guild.id, squadron.officer_role)

    async def dropped() -> bool:
        guild = await guild_row(squadron)
        return tenants.channel_of(guild, ChannelKind.TICK) is None and not guild.officer_roles

    await eventually(dropped)
    status = await squadron.member("status")
    assert "Channel #bgs-tick was deleted; it was the tick channel." in status.text()
    assert "Officer role @Officer was deleted" in status.text()
    assert status_marks(status)["Tick channel"] == "❌"
    assert status_marks(status)["Officer roles"] == "❌"


@pytest.mark.parametrize("as_officer", [False, True])
async def test_help(squadron: Squadron, as_officer: bool) -> None:
    record = await (squadron.officer if as_officer else squadron.member)("help")
    text = await every_page(squadron, record)
    assert "`/status` — " in text and "`/config` show — " in text
    assert ("`/apikey` create · list · revoke — " in text) is as_officer
    assert ("`/config` officer-role add · officer-role remove · faction" in text) is as_officer
    assert "Server Settings → Integrations" in text


async def test_every_config_change_is_logged(
    squadron: Squadron, caplog: pytest.LogCaptureFixture
) -> None:
    await squadron.officer("config faction", {"name": "Alpha Pirates"})
    assert f"guild {squadron.guild.id}:" in caplog.text and "ran /config faction" in caplog.text


async def test_nothing_leaks_between_guilds(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    """Two guilds with data of their own on one database: every command of one shows only its
    own data (switching the tenant filter off makes this test fail)."""
    other = fake.add_guild(
        guild.id + (7 << 22), "Beta Wing", channels=["general", "bgs-tick"], roles=["Officer"]
    )
    tenants_file = TenantsFile(tenants=(*tenants_for(guild).tenants, *tenants_for(other).tenants))
    settings = settings_for(sqlite_url, tmp_path, discord_token="fake-bot-token")
    bot = build_bot(settings, tenants_file, guild_ready_timeout=0.05)
    at = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
    async with fake.run_bot(bot), aiohttp.ClientSession() as http:
        for fake_guild, name in ((guild, "Alpha"), (other, "Beta")):
            key = await create_api_key(bot.services, fake_guild.id, label=f"{name} key")
            plugin = PluginClient(http, bot.services.listener.url, key)
            sale = market_sell(
                at, f"{name} Traders", count=2, sale=1000, paid=500, cmdr=f"Cmdr {name}"
            )
            assert (await plugin.post_events([sale])).status == 200
            for path, options in (
                ("objective create", {"title": f"{name} objective", "type": "boost"}),
                ("protected add", {"faction": f"{name} Allies", "force": True}),
            ):
                record = await fake.invoke(
                    path, options, guild_id=fake_guild.id, permissions=MANAGE_GUILD
                )
                await record.wait_reply()

        async def shown(fake_guild: FakeGuild) -> str:
            texts = []
            for path, options in (
                ("leaderboard", {"period": "all"}),
                ("objective list", {"active": False}),
                ("protected list", {}),
                ("apikey list", {}),
                ("config show", {}),
            ):
                record = await fake.invoke(
                    path, options, guild_id=fake_guild.id, permissions=MANAGE_GUILD
                )
                await record.wait_reply()
                texts.append(record.text())
            choices = await fake.autocomplete(
                "activity cmdr", focused="cmdr", guild_id=fake_guild.id
            )
            texts += [choice["name"] for choice in choices]
            return "\n".join(texts)

        alpha, beta = await shown(guild), await shown(other)
    for text, own, foreign in ((alpha, "Alpha", "Beta"), (beta, "Beta", "Alpha")):
        for thing in ("Cmdr {}", "{} objective", "{} Allies", "{} key"):
            assert thing.format(own) in text
            assert thing.format(foreign) not in text


async def test_channels_and_roles_deleted_while_offline_are_dropped_at_start(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    settings = settings_for(sqlite_url, tmp_path, discord_token="fake-bot-token")
    tenants_file = tenants_for(guild)
    del guild.channels[guild.channel("bgs-tick").id]
    del guild.roles[guild.role("Officer").id]
    bot = build_bot(settings, tenants_file, guild_ready_timeout=0.05)
    async with fake.run_bot(bot):

        async def dropped() -> bool:
            async with bot.services.db.tenant(guild.id) as session:
                row = await tenants.get_tenant(session)
            assert row is not None
            return tenants.channel_of(row, ChannelKind.TICK) is None and not row.officer_roles

        await eventually(dropped)
