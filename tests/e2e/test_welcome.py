"""The setup checklist a server gets once when the bot joins or registers it, and how each line
turns ✅ after the command that fixes it, over the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import aiohttp
import pytest

from bgs import tenants
from cogs.welcome import Welcome
from db.database import Database
from db.models import PostLedger
from tests.fakes.fake_discord import (
    MANAGE_GUILD,
    SEND_MESSAGES,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
)
from tests.helpers.plugin import PluginClient, settings_for
from tests.helpers.plugin_events import docked
from tests.helpers.squadron import (
    FACTION,
    GUILD,
    UNSET_CHANNELS,
    after_listeners,
    status_marks,
    tenants_for,
)
from warden.discord_bot import WardenBot, build_bot

NEW = GUILD + (9 << 22)
TITLE = "👋 BGS Warden: setup checklist"
CHANNELS = [
    "general",
    "welcome",
    "bgs-tick",
    "bgs-summary",
    "bgs-conflict",
    "bgs-alerts",
    "bgs-recruits",
]


@pytest.fixture
async def bot(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> AsyncIterator[WardenBot]:
    """A bot with open registration and a public listener URL, serving the test guild."""
    running = start(fake, guild, sqlite_url, tmp_path)
    async with fake.run_bot(running):
        yield running


def start(fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path) -> WardenBot:
    settings = settings_for(
        sqlite_url,
        tmp_path,
        discord_token="fake-bot-token",
        listener_public_url="https://bgs.example.org/",
    )
    return build_bot(settings, tenants_for(guild, open_registration=True), guild_ready_timeout=0.05)


def welcome(bot: WardenBot) -> Welcome:
    cog = bot.get_cog("Welcome")
    assert cog is not None
    return cast("Welcome", cog)


async def checklist_rows(bot: WardenBot) -> list[tuple[str, int | None, bool]]:
    """(key, channel, posted) of the new guild's `checklist` ledger rows."""
    async with bot.services.db.tenant(NEW) as session:
        rows = await session.execute(
            PostLedger.__table__.select()
            .where(PostLedger.kind == "checklist")
            .order_by(PostLedger.key)
        )
        return [(row.key, row.channel_id, row.posted_at is not None) for row in rows]


async def join(
    fake: FakeDiscord,
    bot: WardenBot,
    *,
    channels: Sequence[str | FakeChannel] = CHANNELS,
    system_channel: str | None = None,
) -> FakeGuild:
    """The bot joins a new server; returns once its checklist listener has run."""
    joining = fake.bot_joins_guild(
        NEW, "Newcomers", channels=channels, roles=["Officer"], system_channel=system_channel
    )
    joined: FakeGuild = await after_listeners(bot, "tenant_joined", joining)
    return joined


async def test_joining_posts_the_checklist_once_to_the_system_channel(
    fake: FakeDiscord, bot: WardenBot, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    joined = await join(fake, bot, system_channel="welcome")

    [message] = fake.channel_messages(joined.channel("welcome").id)
    [embed] = message.embeds
    assert embed["title"] == TITLE
    lines = str(embed["description"]).split("\n")
    assert lines[0].endswith("9 thing(s) to set up; each ❌ line names the command that fixes it.")
    assert lines[2:] == [
        "❌ **Faction:** not set: `/config faction` (our faction's conflicts, digest and "
        "influence need it)",
        *UNSET_CHANNELS,
        "❌ **Officer roles:** none, so only members with Manage Server are officers: "
        "`/config officer-role add`",
        "✅ **Listener URL:** `https://bgs.example.org/`",
        "❌ **API keys:** none active: members run `/connect` (or an officer runs `/apikey "
        "create`), then paste the key with the listener URL into BGS-Tally",
        "❌ **BGS-Tally data (24 h):** nothing received yet: members paste the listener URL and "
        "their key from `/connect` into BGS-Tally (EDMC → File → Settings → BGS-Tally → API)",
        "❌ **Galaxy tick:** none seen yet: `/tick refresh` polls the sources, `/tick set` "
        "records one by hand",
        "❔ **EDDN feed:** off (`EDDN_RELAY=off`): only members' own jumps update the galaxy",
    ]
    welcome_channel = joined.channel("welcome").id
    assert await checklist_rows(bot) == [("welcome", welcome_channel, True)]

    # an officer's command, the bot joining again, another process: nothing more
    officer = fake.invoke("config show", guild_id=NEW, permissions=MANAGE_GUILD)
    record = await after_listeners(bot, "app_command_completion", officer)
    assert record.followup_ids == []
    await fake.bot_leaves_guild(NEW)
    await join(fake, bot, system_channel="welcome")
    second = start(fake, guild, sqlite_url, tmp_path)  # another process, or after a restart
    async with fake.run_bot(second):
        again = second.get_guild(NEW)
        assert again is not None
        await welcome(second).welcome(again)
    assert len(fake.channel_messages(welcome_channel)) == 1
    assert await checklist_rows(bot) == [("welcome", welcome_channel, True)]


@pytest.mark.parametrize("system_channel", [None, "welcome"])
async def test_without_a_postable_system_channel_the_first_officer_gets_it_once(
    fake: FakeDiscord,
    bot: WardenBot,
    guild: FakeGuild,
    sqlite_url: str,
    tmp_path: Path,
    system_channel: str | None,
) -> None:
    """No system channel, or one the bot may not post in."""
    closed = FakeChannel(
        fake.snowflake(),
        "welcome",
        NEW,
        position=1,
        overwrites=[fake.bot_overwrite(deny=SEND_MESSAGES)],
    )
    joined = await join(fake, bot, channels=["general", closed], system_channel=system_channel)
    assert fake.channel_messages(closed.id) == []
    assert await checklist_rows(bot) == [("owed", None, True)]

    member = await after_listeners(
        bot, "app_command_completion", fake.invoke("config show", guild_id=NEW)
    )
    assert member.followup_ids == []
    officer = await after_listeners(
        bot,
        "app_command_completion",
        fake.invoke("config faction", {"name": FACTION}, guild_id=NEW, permissions=MANAGE_GUILD),
    )
    [checklist] = await officer.followups(1)
    assert checklist.ephemeral and checklist.id != officer.original_id
    assert checklist.embeds[0]["title"] == TITLE
    assert f"✅ **Faction:** {FACTION}" in checklist.text()  # the command it followed counts
    general = joined.channel("general").id
    assert await checklist_rows(bot) == [("owed", None, True), ("welcome", general, True)]

    again = await after_listeners(
        bot,
        "app_command_completion",
        fake.invoke("config show", guild_id=NEW, permissions=MANAGE_GUILD),
    )
    assert again.followup_ids == []
    second = start(fake, guild, sqlite_url, tmp_path)  # another process, or after a restart
    async with fake.run_bot(second):
        other = await after_listeners(
            second,
            "app_command_completion",
            fake.invoke("config show", guild_id=NEW, permissions=MANAGE_GUILD),
        )
    assert other.followup_ids == []
    assert len(await checklist_rows(bot)) == 2


async def test_status_is_the_first_officers_checklist(fake: FakeDiscord, bot: WardenBot) -> None:
    await join(fake, bot)
    status = await after_listeners(
        bot,
        "app_command_completion",
        fake.invoke("status", guild_id=NEW, permissions=MANAGE_GUILD),
    )
    assert status.followup_ids == []  # its own reply showed the checklist
    assert status_marks(status)["Listener URL"] == "✅"
    general = fake.guilds[NEW].channel("general").id
    assert ("welcome", general, True) in await checklist_rows(bot)


async def test_each_line_turns_green_after_its_command(fake: FakeDiscord, bot: WardenBot) -> None:
    joined = await join(fake, bot)
    officer = joined.role("Officer").id

    async def admin(path: str, options: dict[str, object] | None = None) -> str:
        record = await fake.invoke(path, options, guild_id=NEW, permissions=MANAGE_GUILD)
        await record.wait_reply()
        return record.text()

    async def marks() -> dict[str, str]:
        record = await fake.invoke("status", guild_id=NEW, permissions=MANAGE_GUILD)
        await record.wait_reply()
        return status_marks(record)

    expected = await marks()
    assert expected["Recruits channel"] == "❔"  # optional: neither done nor to fix
    assert expected.pop("EDDN feed") == "❔"  # tests run with EDDN_RELAY=off: nothing to fix
    assert set(expected.values()) == {"❌", "✅", "❔"} and expected["Listener URL"] == "✅"
    fixes: list[tuple[str, str, dict[str, object]]] = [
        ("Faction", "config faction", {"name": FACTION}),
        ("Officer roles", "config officer-role add", {"role": officer}),
        ("API keys", "apikey create", {}),
    ]
    for kind in ("tick", "summary", "conflict", "alerts", "recruits"):
        channel = joined.channel(f"bgs-{kind}").id
        fixes.append(
            (f"{kind.title()} channel", "config channel", {"kind": kind, "channel": channel})
        )
    fixes.append(
        (
            "Galaxy tick",
            "tick set",
            {"time": f"{datetime.now(UTC) - timedelta(hours=1):%Y-%m-%d %H:%M}"},
        )
    )
    key = ""
    for label, path, options in fixes:
        assert expected[label] in ("❌", "❔"), label
        text = await admin(path, options)
        if path == "apikey create":
            key = text.split("```\n")[1].split("\n")[0]
        expected[label] = "✅"
        assert await marks() == expected | {"EDDN feed": "❔"}, label

    async with aiohttp.ClientSession() as http:
        plugin = PluginClient(http, bot.services.listener.url, key)
        reply = await plugin.post_events([docked(datetime.now(UTC), "Alpha Port", cmdr="Ann")])
    assert reply.status == 200
    expected["BGS-Tally data (24 h)"] = "✅"
    assert await marks() == expected | {"EDDN feed": "❔"}
    assert set(expected.values()) == {"✅"}


async def test_servers_registered_at_start_or_at_a_command_get_it_too(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    """A server the bot is in at start registers then; one that had removed the bot and
    invited it back while it was down registers again at its first command."""
    fake.add_guild(NEW, "Newcomers", channels=CHANNELS, system_channel="welcome")
    back = fake.add_guild(NEW + (1 << 22), "Back", channels=CHANNELS, system_channel="welcome")
    db = Database(sqlite_url)
    try:
        await tenants.register(db, back.id, back.name)
        await tenants.mark_left(db, back.id)
    finally:
        await db.dispose()
    bot = start(fake, guild, sqlite_url, tmp_path)
    async with fake.run_bot(bot):
        at_start = await fake.wait_for_channel_message(fake.guilds[NEW].channel("welcome").id)
        assert fake.channel_messages(back.channel("welcome").id) == []
        command = fake.invoke("config show", guild_id=back.id)
        await after_listeners(bot, "tenant_joined", command)
        [at_command] = fake.channel_messages(back.channel("welcome").id)
    assert at_start.embeds[0]["title"] == at_command.embeds[0]["title"] == TITLE
