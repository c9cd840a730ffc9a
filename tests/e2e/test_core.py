"""The bot core over the fake Discord: login, sync, tenants, permissions, errors, reconnect."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bgs import tenants
from cogs._checks import hide_officer_commands, is_officer_command, officer_only
from db.models import BotState
from tests.fakes.fake_discord import FakeDiscord, FakeGuild
from tests.helpers.plugin import settings_for
from tests.helpers.squadron import GUILD, Squadron, eventually, tenants_for
from warden.discord_bot import COMMAND_HASH_KEY, build_bot
from warden.run import GC_YOUNG_THRESHOLD, run_bot

OFFICER_COMMANDS = {"apikey", "recruits"}


async def test_login_ready_and_synced_commands(squadron: Squadron) -> None:
    synced = {command["name"]: command for command in squadron.fake.synced_commands()}
    assert {"config", "apikey", "status", "help"} <= set(synced)
    config = {option["name"]: option for option in synced["config"]["options"]}
    assert set(config) == {
        "show",
        "faction",
        "channel",
        "officer-role",
        "schedule",
        "galaxy-alerts",
        "retention",
    }
    assert {o["name"] for o in config["officer-role"]["options"]} == {"add", "remove"}
    channel_kinds = {c["value"] for c in config["channel"]["options"][0]["choices"]}
    assert channel_kinds == {"tick", "summary", "conflict", "alerts", "recruits"}
    assert synced["apikey"]["default_member_permissions"] == str(
        discord.Permissions.manage_guild.flag
    )
    for name, command in synced.items():
        if name not in OFFICER_COMMANDS:
            assert command.get("default_member_permissions") is None, name
        assert command["contexts"] == [0], name  # guild only


async def test_sync_only_when_the_command_set_changed(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    settings = settings_for(sqlite_url, tmp_path, discord_token="fake-bot-token")

    def puts() -> int:
        return sum(1 for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands"))

    bot = build_bot(settings, tenants_for(guild), guild_ready_timeout=0.05)
    async with fake.run_bot(bot):
        async with bot.services.db.unscoped() as session:
            stored = (await session.execute(select(BotState))).scalars().all()
        assert [s.key for s in stored] == [f"{COMMAND_HASH_KEY}:{bot.application_id}"]
    assert puts() == 1

    again = build_bot(settings, tenants_for(guild), guild_ready_timeout=0.05)
    async with fake.run_bot(again):
        pass
    assert puts() == 1  # same commands: no second sync

    changed = build_bot(settings, tenants_for(guild), guild_ready_timeout=0.05)

    @changed.tree.command(name="extra", description="a new command")
    async def extra(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("hi")

    async with fake.run_bot(changed):
        pass
    assert puts() == 2


async def test_unconfigured_guild_is_told_whom_to_ask(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    stranger = fake.add_guild(GUILD + (7 << 22), "Strangers", roles=["Officer"])
    settings = settings_for(sqlite_url, tmp_path, discord_token="fake-bot-token")
    bot = build_bot(settings, tenants_for(guild), guild_ready_timeout=0.05)
    async with fake.run_bot(bot):
        record = await fake.invoke("status", guild_id=stranger.id)
        await record.wait_reply()
    assert record.ephemeral
    assert "not configured for BGS Warden" in record.text()
    assert str(stranger.id) in record.text()


async def test_open_registration_registers_on_join_and_on_first_command(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    settings = settings_for(sqlite_url, tmp_path, discord_token="fake-bot-token")
    bot = build_bot(settings, tenants_for(guild, open_registration=True), guild_ready_timeout=0.05)
    async with fake.run_bot(bot):
        joined = await fake.bot_joins_guild(GUILD + (9 << 22), "Newcomers")
        record = await fake.invoke("config show", guild_id=joined.id)
        await record.wait_reply()
        assert "Configured from:** discord" in record.text()
        await fake.bot_leaves_guild(joined.id)

        async def marked_left() -> bool:
            async with bot.services.db.tenant(joined.id) as session:
                row = await tenants.get_tenant(session)
            return row is not None and row.left_at is not None  # the row is kept

        await eventually(marked_left)


async def test_unexpected_error_gets_an_error_id_in_reply_and_log(
    squadron: Squadron, caplog: pytest.LogCaptureFixture
) -> None:
    @squadron.bot.tree.command(name="boom", description="fails")
    async def boom(interaction: discord.Interaction, value: int) -> None:
        await interaction.response.defer(ephemeral=True)
        raise RuntimeError("kaboom")

    await squadron.bot.tree.sync()
    record = await squadron.member("boom", {"value": 3})
    text = record.text()
    assert record.ephemeral
    error_id = text.split("`")[1]
    assert f"error {error_id} in /boom" in caplog.text
    assert f"guild {GUILD}" in caplog.text and "'value': 3" in caplog.text
    assert "kaboom" in caplog.text


async def test_user_error_before_response_is_ephemeral(squadron: Squadron) -> None:
    record = await squadron.officer("apikey revoke", {"key": "not-a-key"})
    assert record.ephemeral
    assert record.text() == "Pick the key from the list (start typing its label)."


async def test_reconnect_keeps_answering(squadron: Squadron) -> None:
    await squadron.fake.send_reconnect()
    record = await squadron.member("help")
    assert "BGS Warden collects" in record.text()


def test_one_officer_mark_decides_the_check_help_and_what_discord_hides() -> None:
    """A top-level command that is officer-only throughout is hidden from members by Discord; a
    group that members also use stays visible; subcommands inherit their group's mark."""

    async def callback(interaction: discord.Interaction) -> None:  # pragma: no cover
        return

    def command(name: str) -> app_commands.Command[Any, ..., None]:
        return app_commands.Command(name=name, description=name, callback=callback)

    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents.none())
    )
    marked_group = officer_only(app_commands.Group(name="keys", description="keys"))
    marked_group.add_command(command("make"))
    every_sub = app_commands.Group(name="every", description="every")
    every_sub.add_command(officer_only(command("one")))
    every_sub.add_command(officer_only(command("two")))
    mixed = app_commands.Group(name="mixed", description="mixed")
    mixed.add_command(command("show"))
    mixed.add_command(officer_only(command("edit")))
    for top in (marked_group, every_sub, mixed, officer_only(command("solo")), command("open")):
        tree.add_command(top)

    hide_officer_commands(tree)

    hidden = {
        top.name
        for top in tree.get_commands()
        if isinstance(top, app_commands.Command | app_commands.Group)
        and top.default_permissions is not None
        and top.default_permissions.manage_guild
    }
    assert hidden == {"keys", "every", "solo"}
    assert is_officer_command(marked_group.get_command("make"))
    assert is_officer_command(mixed.get_command("edit"))
    assert not is_officer_command(mixed.get_command("show"))


async def test_a_running_bot_freezes_its_start_up_heap_and_stops_on_a_signal(
    fake: FakeDiscord, guild: FakeGuild, sqlite_url: str, tmp_path: Path
) -> None:
    """`bot.py` with a token: once ready, full garbage collections no longer rescan what start-up
    made (each rescan stalls every request) and the young generation is collected less often;
    SIGTERM then shuts it down."""
    settings = settings_for(sqlite_url, tmp_path, discord_token=fake.token)
    gc.unfreeze()
    thresholds = gc.get_threshold()
    running = asyncio.create_task(run_bot(settings, tenants_for(guild)))

    async def frozen() -> bool:
        return gc.get_freeze_count() > 0

    try:
        await eventually(frozen, within=20)  # discord.py waits 2 s for the guilds first
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *thresholds[1:])
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(running, timeout=10)
    finally:
        running.cancel()
        gc.unfreeze()
        gc.set_threshold(*thresholds)
