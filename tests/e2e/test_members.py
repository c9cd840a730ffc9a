"""/connect, /apikey list|revoke of personal keys, /cmdr claim|links|unlink|show, and the
defaults of /activity cmdr and the leaderboard's member names, over the fake Discord with the
plugin's data sent through the real listener."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select

from db.models import ApiKey, CmdrLink, Member
from settings import TenantsFile
from tests.fakes.fake_discord import MANAGE_GUILD, FakeDiscord, FakeGuild, FakeMessage
from tests.helpers.plugin import PluginClient, create_api_key, settings_for
from tests.helpers.plugin_events import market_sell
from tests.helpers.squadron import DENIED, Squadron, tenants_for
from warden.discord_bot import build_bot

ANN, BOB, CY = 7001 << 22, 7002 << 22, 7003 << 22
AT = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)


def with_members(squadron: Squadron) -> None:
    squadron.add_member(ANN, "ann", nick="Ann the Trader")
    squadron.add_member(BOB, "bob", nick="Bob")
    squadron.add_member(CY, "cy")


def key_in(text: str) -> str:
    found = re.search(r"```\n([A-Za-z0-9]+)\n```", text)
    assert found is not None, text
    return found.group(1)


async def sales(plugin: PluginClient, *cmdrs: str) -> None:
    for n, cmdr in enumerate(cmdrs, start=1):
        sale = market_sell(AT, "Alpha Traders", count=n, sale=1000, paid=500, cmdr=cmdr)
        reply = await plugin.post_events([sale])
        assert reply.status == 200, reply.body


async def links(squadron: Squadron) -> list[tuple[str, int, str]]:
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        rows = await session.execute(
            select(CmdrLink.cmdr, CmdrLink.user_id, CmdrLink.status).order_by(CmdrLink.cmdr)
        )
        return [(cmdr, user, status) for cmdr, user, status in rows]


async def connect(squadron: Squadron, plugin_for: PluginClient, user_id: int) -> PluginClient:
    record = await squadron.user(user_id, "connect")
    return PluginClient(plugin_for.http, plugin_for.root, key_in(record.text()))


# -- /connect and personal keys in /apikey ----------------------------------------------------


async def test_connect_gives_a_member_their_own_key(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    with_members(squadron)
    record = await squadron.user(ANN, "connect")

    assert record.ephemeral
    text = record.text()
    key = key_in(text)
    assert len(key) == 43
    # the listener binds 127.0.0.1 and LISTENER_PUBLIC_URL is unset: the reply says so (the
    # steps with a reachable URL: test_admin's test_apikey_create_hands_out_the_public_url)
    listener = squadron.bot.services.listener
    assert listener is not None
    assert f"⚠️ Members cannot reach `{listener.url}`" in text and "1. In EDMC" not in text
    assert "Then fly: each cmdr you fly is linked to you" in text
    assert "up to 3 cmdrs, alts included" in text and "previous key" not in text
    async with squadron.bot.services.db.tenant(squadron.guild.id) as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.owner_id == ANN))).scalar_one()
        name = (await session.execute(select(Member.name))).scalar_one()
    assert row.revoked_at is None and name == "Ann the Trader"

    ann = PluginClient(plugin_for.http, plugin_for.root, key)
    await sales(ann, "Ann")
    assert await links(squadron) == [("Ann", ANN, "linked")]


async def test_connect_again_replaces_the_key(squadron: Squadron, plugin_for: PluginClient) -> None:
    with_members(squadron)
    old = await connect(squadron, plugin_for, ANN)
    await sales(old, "Ann")

    again = await squadron.user(ANN, "connect")

    assert "Your previous key no longer works" in again.text()
    assert "Linked to you: CMDR Ann." in again.text()
    refused = await old.post_events([])
    assert refused.status == 401
    new = PluginClient(plugin_for.http, plugin_for.root, key_in(again.text()))
    await sales(new, "Ann")


async def test_officers_see_and_revoke_personal_keys(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    with_members(squadron)
    await sales(plugin_for, "Cy")
    ann = await connect(squadron, plugin_for, ANN)
    await sales(ann, "Ann", "Ann Alt")

    listed = (await squadron.officer("apikey list")).text()

    assert f"Ann the Trader (<@{ANN}>) (#" in listed and "— personal key, active" in listed
    assert "cmdrs seen: CMDR Ann, CMDR Ann Alt" in listed
    assert "**test** (#1) — squadron key, active" in listed and "cmdrs seen: CMDR Cy" in listed
    assert ann.key is not None and ann.key not in listed
    choices = await squadron.fake.autocomplete(
        "apikey revoke",
        {"key": "trader"},
        focused="key",
        guild_id=squadron.guild.id,
        roles=[squadron.officer_role],
    )
    assert [choice["name"].split(" (#")[0] for choice in choices] == ["personal: Ann the Trader"]
    revoked = await squadron.officer("apikey revoke", {"key": choices[0]["value"]})
    assert revoked.text().startswith("Key **personal key**")
    assert (await ann.post_events([])).status == 401
    assert (await plugin_for.post_events([])).status == 200


async def test_apikey_and_recruits_are_hidden_connect_and_cmdr_are_not(squadron: Squadron) -> None:
    synced = {c["name"]: c for c in squadron.fake.synced_commands()}
    for hidden in ("apikey", "recruits"):
        assert synced[hidden]["default_member_permissions"] == str(MANAGE_GUILD)
    for visible in ("connect", "cmdr"):
        assert synced[visible].get("default_member_permissions") is None
    denied = await squadron.member("apikey list")
    assert denied.text() == DENIED.format(squadron.officer_role)


# -- claims and links -------------------------------------------------------------------------


async def test_a_member_claims_and_an_officer_confirms(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    with_members(squadron)
    await sales(plugin_for, "Ann", "Bob")

    claimed = await squadron.user(ANN, "cmdr claim", {"cmdr": "ann"})
    assert claimed.ephemeral
    assert claimed.text() == (
        "You asked for **CMDR Ann** to be linked to you; an officer confirms it with `/cmdr links`."
    )
    assert await links(squadron) == [("Ann", ANN, "pending")]
    denied = await squadron.user(ANN, "cmdr links")
    assert denied.text() == DENIED.format(squadron.officer_role)

    record = await squadron.officer("cmdr links")
    assert record.ephemeral and "No cmdr is linked to a member yet." in record.text()
    [claims] = await record.followups(1)
    assert claims.ephemeral
    assert f"1. **CMDR Ann** asked by Ann the Trader (<@{ANN}>)" in claims.text()
    [link_id] = [str(c["custom_id"]).split(":")[2] for c in components(claims)][:1]
    pressed = await squadron.fake.press_button(claims, f"claim:yes:{link_id}")
    await pressed.response()

    edited = squadron.fake.messages[claims.id]
    assert edited.content == f"**CMDR Ann** is now linked to Ann the Trader (<@{ANN}>)."
    assert "No claim is waiting." in edited.text() and components(edited) == []
    assert await links(squadron) == [("Ann", ANN, "linked")]
    listed = await squadron.officer("cmdr links")
    assert f"• **CMDR Ann** → Ann the Trader (<@{ANN}>) · claim confirmed" in listed.text()


def components(message: FakeMessage) -> list[dict[str, object]]:
    return [item for row in message.components for item in row.get("components", [])]


async def test_an_officer_refuses_a_claim(squadron: Squadron, plugin_for: PluginClient) -> None:
    with_members(squadron)
    await sales(plugin_for, "Bob")
    await squadron.user(BOB, "cmdr claim", {"cmdr": "Bob"})
    record = await squadron.officer("cmdr links")
    [claims] = await record.followups(1)
    [refuse] = [c for c in components(claims) if str(c["custom_id"]).startswith("claim:no:")]
    other = await squadron.fake.press_button(claims, str(refuse["custom_id"]), user_id=CY)
    answer = await other.response()
    assert answer["data"]["content"] == (
        "Only the officer who ran /cmdr links can answer these; run it yourself."
    )
    assert await links(squadron) == [("Bob", BOB, "pending")]

    pressed = await squadron.fake.press_button(claims, str(refuse["custom_id"]))
    await pressed.response()

    assert squadron.fake.messages[claims.id].content == "The claim of **CMDR Bob** was refused."
    assert await links(squadron) == []


async def test_claims_that_cannot_be_made(squadron: Squadron, plugin_for: PluginClient) -> None:
    with_members(squadron)
    await sales(plugin_for, "Ann")
    ann = await connect(squadron, plugin_for, ANN)
    await sales(ann, "Ann")
    before = await links(squadron)

    for user, cmdr, message in (
        (CY, "Nobody", "No cmdr by that name has sent data to this server yet"),
        (ANN, "Ann", "That cmdr is already linked to you."),
        (BOB, "ANN", "That cmdr is linked to another member."),
    ):
        record = await squadron.user(user, "cmdr claim", {"cmdr": cmdr})
        assert record.ephemeral and record.text().startswith(message), record.text()
    assert await links(squadron) == before


async def test_unlink(squadron: Squadron, plugin_for: PluginClient) -> None:
    with_members(squadron)
    ann = await connect(squadron, plugin_for, ANN)
    await sales(ann, "Ann")

    denied = await squadron.user(BOB, "cmdr unlink", {"cmdr": "Ann"})
    assert denied.text() == DENIED.format(squadron.officer_role)
    choices = await squadron.fake.autocomplete(
        "cmdr unlink", {"cmdr": "an"}, focused="cmdr", guild_id=squadron.guild.id
    )
    assert [choice["value"] for choice in choices] == ["Ann"]
    record = await squadron.officer("cmdr unlink", {"cmdr": "Ann"})
    assert record.text().startswith(
        f"**CMDR Ann** is no longer linked to Ann the Trader (<@{ANN}>). If their personal key"
    )
    assert await links(squadron) == []
    again = await squadron.officer("cmdr unlink", {"cmdr": "Ann"})
    assert again.text() == "That cmdr is not linked to anyone, and nobody asked for it."


# -- defaults: /activity cmdr, /cmdr show, the leaderboard ------------------------------------


async def test_activity_cmdr_defaults_to_your_own_cmdrs(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    with_members(squadron)
    await sales(plugin_for, "Bob")
    ann = await connect(squadron, plugin_for, ANN)
    await sales(ann, "Ann")

    own = await squadron.user(ANN, "activity cmdr", {"period": "all"})
    assert own.reply is not None and own.reply.embeds[0]["title"] == "👤 CMDR Ann"
    await sales(ann, "Ann Alt")
    both = await squadron.user(ANN, "activity cmdr", {"period": "all"})
    assert both.reply is not None and both.reply.embeds[0]["title"] == "👤 Your cmdrs"
    assert "__**CMDR Ann**__" in both.text() and "__**CMDR Ann Alt**__" in both.text()
    everyone = await squadron.user(ANN, "activity cmdr", {"cmdr": "*", "period": "all"})
    nobody = await squadron.user(CY, "activity cmdr", {"period": "all"})
    for record in (everyone, nobody):
        assert record.reply is not None and record.reply.embeds[0]["title"] == "👥 Activity by cmdr"
    choices = await squadron.fake.autocomplete(
        "activity cmdr", focused="cmdr", guild_id=squadron.guild.id
    )
    assert choices[0] == {"name": "* every cmdr", "value": "*"}


async def test_cmdr_show(squadron: Squadron, plugin_for: PluginClient) -> None:
    with_members(squadron)
    await sales(plugin_for, "Bob")
    nothing = await squadron.user(ANN, "cmdr show")
    assert nothing.ephemeral and nothing.text().startswith("You have no cmdr linked to you yet")
    ann = await connect(squadron, plugin_for, ANN)
    await sales(ann, "Ann")

    own = await squadron.user(ANN, "cmdr show")
    bob = await squadron.user(ANN, "cmdr show", {"cmdr": "bob"})

    assert own.reply is not None and own.reply.embeds[0]["title"] == "👤 CMDR Ann"
    assert f"**Member:** Ann the Trader (<@{ANN}>) · linked by their personal key" in own.text()
    assert "**Inara:** not looked up yet" in own.text()
    assert "**All-time totals:** sold 1K · 1 t · profit 500 (100.0%)" in own.text()
    assert "**Member:** not linked" in bob.text()
    unknown = await squadron.user(ANN, "cmdr show", {"cmdr": "Zed"})
    assert unknown.ephemeral and unknown.text().startswith("No cmdr by that name")


async def test_the_leaderboard_shows_the_members_server_name(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    with_members(squadron)
    await sales(plugin_for, "Bob")
    ann = await connect(squadron, plugin_for, ANN)
    await sales(ann, "Ann", "Ann")

    record = await squadron.member("leaderboard", {"period": "all"})

    text = record.text()
    assert "**1. Ann** · Ann the Trader — 3,000 Cr" in text
    assert "**2. Bob** — 1,000 Cr" in text


async def test_another_guilds_links_are_invisible(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    other = fake.add_guild(
        guild.id + (9 << 22), "Beta Wing", channels=["general", "bgs-tick"], roles=["Officer"]
    )
    both = TenantsFile(tenants=(*tenants_for(guild).tenants, *tenants_for(other).tenants))
    settings = settings_for(sqlite_url, tmp_path, discord_token="fake-bot-token")
    bot = build_bot(settings, both, guild_ready_timeout=0.05)
    async with fake.run_bot(bot), aiohttp.ClientSession() as http:
        record = await fake.invoke("connect", guild_id=guild.id, user_id=ANN)
        key = key_in((await record.wait_reply()).text())
        await sales(PluginClient(http, bot.services.listener.url, key), "Ann")
        squadron_b = PluginClient(
            http, bot.services.listener.url, await create_api_key(bot.services, other.id)
        )
        await sales(squadron_b, "Bee")
        for fake_guild, own, foreign in ((guild, "Ann", "Bee"), (other, None, "Ann")):
            listed = await fake.invoke(
                "cmdr links", guild_id=fake_guild.id, permissions=MANAGE_GUILD
            )
            text = (await listed.wait_reply()).text()
            assert foreign not in text
            assert (f"**CMDR {own}**" in text) if own else "No cmdr is linked" in text
            choices = await fake.autocomplete(
                "cmdr unlink", focused="cmdr", guild_id=fake_guild.id, permissions=MANAGE_GUILD
            )
            assert [choice["value"] for choice in choices] == ([own] if own else [])
        shown = await fake.invoke("cmdr show", {"cmdr": "Ann"}, guild_id=other.id)
        assert (await shown.wait_reply()).text().startswith("No cmdr by that name")
        claimed = await fake.invoke("cmdr claim", {"cmdr": "Ann"}, guild_id=other.id, user_id=BOB)
        assert (await claimed.wait_reply()).text().startswith("No cmdr by that name")
