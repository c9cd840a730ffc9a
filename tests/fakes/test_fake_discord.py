"""The fake Discord against an unmodified discord.py: what the bot's end-to-end tests rely on."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Literal

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakes.fake_discord import (
    MANAGE_GUILD,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeUser,
)

GUILD_ID = 1_100_000_000_000 << 22  # shard 0 of 2
OTHER_GUILD_ID = GUILD_ID + (1 << 22)  # shard 1 of 2
OBJECTIVES = ["Boost Sol", "Expand to Lave", "Retreat from Achenar"]


# --------------------------------------------------------------------------- the bot under test


class AckView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Refresh", custom_id="refresh")
    async def refresh(
        self, interaction: discord.Interaction, button: discord.ui.Button[AckView]
    ) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Conflict in Sol (refreshed)")

    @discord.ui.button(label="Acknowledge", custom_id="ack")
    async def ack(
        self, interaction: discord.Interaction, button: discord.ui.Button[AckView]
    ) -> None:
        await interaction.response.edit_message(
            content=f"Acknowledged by {interaction.user.name}", view=None
        )


def register_commands(tree: app_commands.CommandTree[discord.Client]) -> None:
    config = app_commands.Group(name="config", description="Settings")
    objective = app_commands.Group(name="objective", description="Objectives")

    @tree.command(description="Bot status")
    async def status(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Serving {len(interaction.client.guilds)} guilds")

    @config.command(name="channel", description="Choose a channel")
    async def config_channel(
        interaction: discord.Interaction,
        kind: Literal["tick", "alerts"],
        channel: discord.TextChannel,
        role: discord.Role,
        limit: app_commands.Range[int, 1, 10] = 5,
    ) -> None:
        assert interaction.guild is not None
        can_post = channel.permissions_for(interaction.guild.me).send_messages
        access = "ok" if can_post else "bot cannot post"
        await interaction.response.send_message(
            f"{kind} -> #{channel.name} ({access}), role {role.name}, limit {limit}", ephemeral=True
        )

    @objective.command(name="show", description="Show an objective")
    async def objective_show(interaction: discord.Interaction, objective: str) -> None:
        await interaction.response.send_message(
            embed=discord.Embed(title=objective, description="Progress 40%")
        )

    @objective_show.autocomplete("objective")
    async def objective_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=name)
            for name in OBJECTIVES
            if current.lower() in name.lower()
        ]

    @tree.command(description="A slow report")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        chart = discord.File(io.BytesIO(b"\x89PNG chart"), filename="chart.png")
        embed = discord.Embed(title="Weekly report").add_field(name="Systems", value="3")
        await interaction.followup.send(embed=embed, file=chart)

    @tree.command(description="Post with a button")
    async def alert(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Conflict in Sol", view=AckView())

    @tree.command(description="Officers only")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Purged", ephemeral=True)

    @tree.error
    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await interaction.response.send_message(f"Refused: {error}", ephemeral=True)

    tree.add_command(config)
    tree.add_command(objective)


def intents() -> discord.Intents:
    return discord.Intents(guilds=True)


class WardenBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=intents(), guild_ready_timeout=0.05
        )

    async def setup_hook(self) -> None:
        register_commands(self.tree)
        await self.tree.sync()


class ShardedWardenBot(commands.AutoShardedBot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=intents(), guild_ready_timeout=0.05
        )

    async def setup_hook(self) -> None:
        register_commands(self.tree)
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every IDENTIFY but the first; the fake needs no pacing."""


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def guild(fake: FakeDiscord) -> FakeGuild:
    squadron = fake.add_guild(
        GUILD_ID,
        "Squadron",
        channels=["general", "alerts"],
        roles=["Officer"],
        members=[FakeMember(FakeUser(4242 << 22, "Cmdr Jameson"))],
    )
    fake.add_channel(GUILD_ID, "hidden", overwrites=[fake.bot_overwrite(deny=SEND_MESSAGES)])
    return squadron


# --------------------------------------------------------------------------- tests


async def test_login_ready_and_guild_cache(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        assert bot.user is not None
        assert bot.user.id == fake.bot_user.id
        assert bot.application_id == fake.application_id
        cached = bot.get_guild(GUILD_ID)
        assert cached is not None
        assert cached.me is not None
        assert {channel.name for channel in cached.text_channels} == {"general", "alerts", "hidden"}
        assert cached.default_role.id == GUILD_ID
        hidden = cached.get_channel(guild.channel("hidden").id)
        alerts = cached.get_channel(guild.channel("alerts").id)
        assert isinstance(hidden, discord.TextChannel)
        assert isinstance(alerts, discord.TextChannel)
        assert not hidden.permissions_for(cached.me).send_messages
        assert alerts.permissions_for(cached.me).send_messages
    assert [identify["intents"] for identify in fake.identifies] == [intents().value]
    assert fake.unhandled == []


async def test_wrong_token_is_a_login_failure(fake: FakeDiscord) -> None:
    bot = WardenBot()
    with pytest.raises(discord.LoginFailure):
        await bot.login("not-the-token")
    await bot.close()
    assert fake.requests[-1].status == 401


async def test_tree_sync_payload_and_echo(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        sync = await fake.wait_for_request(
            lambda r: r.method == "PUT" and r.path.endswith("/commands")
        )
    assert sync.path == f"/applications/{fake.application_id}/commands"
    sent = {command["name"]: command for command in sync.json}
    assert sent["purge"]["default_member_permissions"] == MANAGE_GUILD
    assert sent["status"]["default_member_permissions"] is None
    synced = {command["name"]: command for command in fake.synced_commands()}
    assert set(synced) == {"status", "config", "objective", "report", "alert", "purge"}
    assert synced["purge"]["default_member_permissions"] == str(MANAGE_GUILD)
    assert all(command["application_id"] == str(fake.application_id) for command in synced.values())
    assert fake.unhandled == []


async def test_subcommand_with_typed_options(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        status = await fake.invoke("status")
        assert (await status.response())["type"] == 4
        assert status.text() == "Serving 1 guilds"
        assert not status.ephemeral

        hidden, officer = guild.channel("hidden"), guild.role("Officer")
        options = {"kind": "alerts", "channel": hidden, "role": officer.id, "limit": 3}
        record = await fake.invoke("config channel", options, guild_id=GUILD_ID)
        await record.response()
        assert record.ephemeral
        assert record.text() == "alerts -> #hidden (bot cannot post), role Officer, limit 3"
        sent = record.payload["data"]["options"][0]
        assert sent["type"] == 1
        assert {option["name"]: option["type"] for option in sent["options"]} == {
            "kind": 3,
            "channel": 7,
            "role": 8,
            "limit": 4,
        }
        assert set(record.payload["data"]["resolved"]) == {"channels", "roles"}
    assert fake.channel_messages(guild.channel("general").id)[0].content == "Serving 1 guilds"
    assert fake.unhandled == []


async def test_member_permissions_reach_the_checks(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        member = await fake.invoke("purge")
        await member.response()
        assert member.ephemeral
        assert member.text().startswith("Refused: You are missing Manage Server")

        officer_role = fake.add_role(GUILD_ID, "Admins", permissions=MANAGE_GUILD)
        officer = await fake.invoke("purge", roles=[officer_role.id])
        await officer.response()
        assert officer.text() == "Purged"
    assert fake.unhandled == []


async def test_defer_then_followup_with_file(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        record = await fake.invoke("report")
        assert (await record.response())["type"] == 5
        [followup] = await record.followups(1)
    assert record.original is followup  # the first followup fills the "thinking…" message
    assert record.ephemeral
    assert record.text() == "Weekly report\nSystems\n3"
    assert [(sent.filename, sent.data) for sent in record.files] == [
        ("chart.png", b"\x89PNG chart")
    ]
    assert followup.data["attachments"][0]["filename"] == "chart.png"
    assert fake.unhandled == []


async def test_autocomplete_returns_choices(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        choices = await fake.autocomplete(
            "objective show", {"objective": "LA"}, focused="objective"
        )
        shown = await fake.invoke("objective show", {"objective": choices[0]["value"]})
        reply = await shown.wait_reply()
    assert choices == [{"name": "Expand to Lave", "value": "Expand to Lave"}]
    assert reply.text() == shown.text() == "Expand to Lave\nProgress 40%"
    assert fake.unhandled == []


async def test_button_press_edits_the_message(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        alert = await fake.invoke("alert")
        await alert.response()
        assert alert.reply is not None
        assert alert.reply.find_component("ack") is not None
        refresh = await fake.press_button(alert, "refresh")
        assert (await refresh.response())["type"] == 6
        edit = await fake.wait_for_request(lambda r: r.path.endswith("/messages/@original"))
        assert edit.method == "PATCH"
        assert refresh.text() == alert.text() == "Conflict in Sol (refreshed)"
        press = await fake.press_button(alert, "ack", user_id=4242 << 22)
        assert (await press.response())["type"] == 7
    assert alert.text() == "Acknowledged by Cmdr Jameson"
    assert alert.reply is not None
    assert alert.reply.components == []
    assert fake.edits[-1].message_id == alert.reply.id
    assert fake.unhandled == []


async def test_channel_posts_edits_and_deletes(fake: FakeDiscord, guild: FakeGuild) -> None:
    alerts_id = guild.channel("alerts").id
    bot = WardenBot()
    async with fake.run_bot(bot):
        channel = bot.get_channel(alerts_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send(
            embed=discord.Embed(title="Tick", description="The galaxy ticked"),
            file=discord.File(io.BytesIO(b"chart-bytes"), filename="tick.png"),
        )
        posted = await fake.wait_for_channel_message(alerts_id)
        assert sent.id == posted.id
        assert sent.attachments[0].filename == "tick.png"
        assert posted.text() == "Tick\nThe galaxy ticked"
        assert [(f.filename, f.data) for f in posted.files] == [("tick.png", b"chart-bytes")]
        fetched = await channel.fetch_message(sent.id)
        assert fetched.embeds[0].title == "Tick"
        fetched_channel = await bot.fetch_channel(alerts_id)
        assert isinstance(fetched_channel, discord.TextChannel)
        assert fetched_channel.name == "alerts"
        await sent.edit(content="Tick (late)")
        assert posted.content == "Tick (late)"
        assert posted.files[0].data == b"chart-bytes"
        await sent.delete()
    assert posted.deleted
    assert fake.edits[-1].payload["content"] == "Tick (late)"
    assert fake.unhandled == []


async def test_forbidden_not_found_and_server_errors(fake: FakeDiscord, guild: FakeGuild) -> None:
    hidden = guild.channel("hidden")
    bot = WardenBot()
    async with fake.run_bot(bot):
        with pytest.raises(discord.Forbidden) as forbidden:
            await bot.get_partial_messageable(hidden.id).send("nope")
        assert forbidden.value.code == 50013
        with pytest.raises(discord.NotFound) as not_found:
            await bot.get_partial_messageable(123 << 22).send("nope")
        assert not_found.value.code == 10003

        fake.fail_channel_posts(hidden.id, status=503)
        await fake.set_channel_overwrites(hidden.id, [fake.bot_overwrite(deny=VIEW_CHANNEL)])
        with pytest.raises(discord.DiscordServerError):
            await bot.get_partial_messageable(hidden.id).send("outage")
        with pytest.raises(discord.Forbidden) as no_access:
            await bot.get_partial_messageable(hidden.id).send("still hidden")
        assert no_access.value.code == 50001

        updated = bot.wait_for("guild_channel_update", timeout=5)
        await fake.set_channel_overwrites(hidden.id, [])
        _, after = await updated
        assert after.permissions_for(after.guild.me).send_messages
        await bot.get_partial_messageable(hidden.id).send("now allowed")
    assert [m.content for m in fake.channel_messages(hidden.id)] == ["now allowed"]
    assert fake.unhandled == []


async def test_guild_lifecycle_events(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        joined = bot.wait_for("guild_join", timeout=5)
        await fake.bot_joins_guild(OTHER_GUILD_ID, "Allies", channels=["ops"])
        assert (await joined).name == "Allies"

        channel_deleted = bot.wait_for("guild_channel_delete", timeout=5)
        await fake.delete_channel(guild.channel("alerts").id)
        assert (await channel_deleted).name == "alerts"

        role_deleted = bot.wait_for("guild_role_delete", timeout=5)
        await fake.delete_role(GUILD_ID, guild.role("Officer").id)
        assert (await role_deleted).name == "Officer"

        removed = bot.wait_for("guild_remove", timeout=5)
        await fake.bot_leaves_guild(OTHER_GUILD_ID)
        assert (await removed).id == OTHER_GUILD_ID
        assert bot.get_guild(OTHER_GUILD_ID) is None
    assert fake.unhandled == []


async def test_reconnect_resumes_and_commands_still_work(
    fake: FakeDiscord, guild: FakeGuild
) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        resumed = bot.wait_for("resumed", timeout=5)
        await fake.send_reconnect()
        await resumed
        record = await fake.invoke("status")
        await record.response()
        assert record.text() == "Serving 1 guilds"
    assert [frame.op for frame in fake.gateway_frames].count(6) == 1
    assert len(fake.identifies) == 1
    assert fake.unhandled == []


async def test_auto_sharded_bot_gets_guilds_by_shard() -> None:
    async with FakeDiscord(shard_count=2) as fake:
        fake.add_guild(GUILD_ID, "Shard zero")
        fake.add_guild(OTHER_GUILD_ID, "Shard one")
        bot = ShardedWardenBot()
        async with fake.run_bot(bot):
            assert bot.shard_count == 2
            assert {guild.id: guild.shard_id for guild in bot.guilds} == {
                GUILD_ID: 0,
                OTHER_GUILD_ID: 1,
            }
            record = await fake.invoke("status", guild_id=OTHER_GUILD_ID)
            await record.response()
            assert record.text() == "Serving 2 guilds"
        assert sorted(identify["shard"] for identify in fake.identifies) == [[0, 2], [1, 2]]
        assert fake.unhandled == []


async def test_unknown_routes_are_recorded(fake: FakeDiscord, guild: FakeGuild) -> None:
    bot = WardenBot()
    async with fake.run_bot(bot):
        with pytest.raises(discord.NotFound):
            await bot.http.request(
                discord.http.Route("GET", "/guilds/{guild_id}/audit-logs", guild_id=GUILD_ID)
            )
    assert [(r.method, r.path) for r in fake.unhandled] == [
        ("GET", f"/guilds/{GUILD_ID}/audit-logs")
    ]
