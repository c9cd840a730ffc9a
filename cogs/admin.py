"""Settings, API keys, status and help: /config, /apikey, /status, /help; and what happens when
the bot joins or leaves a guild, or a channel or role it uses is deleted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import func, select

from bgs import apikeys, tenants
from bgs.names import faction_names
from bgs.ticks import latest_tick, tick_overdue
from cogs._autocomplete import name_choices
from cogs._checks import audit, is_officer, officer_only, tenant_of, warden
from cogs._errors import UserError
from cogs._ui import EmbedField, Reply, embed, pages, send, when
from db.models import Cmdr, Guild, OfficerRole
from settings import VERSION, ChannelKind

if TYPE_CHECKING:
    from bot import WardenBot

log = logging.getLogger(__name__)

INTEGRATIONS_NOTE = (
    "Discord shows officer commands only to members with Manage Server until an admin allows "
    "the role for BGS Warden's commands in **Server Settings → Integrations → BGS Warden**."
)
NEEDED_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "attach_files")


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    """The permissions the bot lacks to post embeds and charts in `channel`."""
    granted = channel.permissions_for(me)
    return [
        name.replace("_", " ").title() for name in NEEDED_PERMISSIONS if not getattr(granted, name)
    ]


def channel_problem(guild: discord.Guild | None, channel_id: int) -> str | None:
    """Why the bot cannot post in a configured channel, or None when it can."""
    channel = guild.get_channel(channel_id) if guild else None
    if guild is None or channel is None:
        return "the channel no longer exists"
    missing = missing_permissions(channel, guild.me)
    return f"missing {', '.join(missing)}" if missing else None


class Admin(commands.Cog):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot

    config = app_commands.Group(name="config", description="Show or change this server's settings")
    officer_role = app_commands.Group(
        name="officer-role", description="Roles that may use officer commands", parent=config
    )
    apikey = app_commands.Group(
        name="apikey",
        description="API keys for the BGS-Tally plugin (officers)",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    # -- /config ------------------------------------------------------------------------------

    @config.command(name="show", description="Every setting, including those from tenants.json")
    async def config_show(self, interaction: discord.Interaction) -> None:
        guild = tenant_of(interaction)
        db = warden(interaction).services.db
        async with db.tenant(guild.guild_id) as session:
            keys = await apikeys.list_keys(session)
        lines = [
            f"**Faction:** {guild.faction or 'not set — `/config faction`'}",
            f"**Configured from:** {guild.source}",
            "",
            "**Channels**",
        ]
        for kind in ChannelKind:
            channel_id = tenants.channel_of(guild, kind)
            if channel_id is None:
                lines.append(f"{kind.value}: not set")
                continue
            problem = channel_problem(interaction.guild, channel_id)
            lines.append(f"{kind.value}: <#{channel_id}>" + (f" ⚠️ {problem}" if problem else ""))
        roles = tenants.officer_role_ids(guild)
        lines += [
            "",
            "**Officer roles:** "
            + (
                ", ".join(f"<@&{role}>" for role in roles) if roles else "none (Manage Server only)"
            ),
            "",
            "**Schedule**",
            f"post-tick summary: {guild.post_tick_delay_minutes} min after the tick",
            f"daily summary: {'on' if guild.daily_summary else 'off'}",
            f"CZ summaries: {'on' if guild.cz_summaries else 'off'}",
            f"conflict digest: {'on' if guild.conflict_digest else 'off'} "
            f"at {', '.join(f'{h:02d}:00' for h in tenants.digest_hours(guild))} UTC",
            "",
            f"**API keys:** {sum(1 for k in keys if k.revoked_at is None)} active, "
            f"{sum(1 for k in keys if k.revoked_at is not None)} revoked",
        ]
        await send(interaction, Reply(pages("Settings", lines), ephemeral=True))

    @config.command(name="faction", description="Set the squadron's minor faction")
    @app_commands.describe(name="The faction's exact in-game name")
    @officer_only()
    async def config_faction(self, interaction: discord.Interaction, name: str) -> None:
        name = name.strip()
        if not name or len(name) > 128:
            raise UserError("Give the faction's in-game name (1 to 128 characters).")
        await self._update(interaction, lambda guild: setattr(guild, "faction", name))
        await send(
            interaction, Reply(content=f"The squadron's faction is now **{name}**.", ephemeral=True)
        )

    @config_faction.autocomplete("name")
    async def _faction_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, faction_names, current)

    @config.command(name="channel", description="Choose the channel for one kind of post")
    @app_commands.describe(kind="Which posts", channel="Where (leave out to turn these posts off)")
    @officer_only()
    async def config_channel(
        self,
        interaction: discord.Interaction,
        kind: ChannelKind,
        channel: discord.TextChannel | None = None,
    ) -> None:
        if channel is not None:
            missing = missing_permissions(channel, channel.guild.me)
            if missing:
                raise UserError(
                    f"I cannot post in {channel.mention}: I am missing {', '.join(missing)}. "
                    "Grant them in the channel's permissions and try again; nothing was changed."
                )
        await self._update(
            interaction,
            lambda guild: tenants.set_channel(guild, kind, channel.id if channel else None),
        )
        text = (
            f"{kind.value.title()} posts go to {channel.mention}."
            if channel
            else f"{kind.value.title()} posts are off (no channel)."
        )
        await send(interaction, Reply(content=text, ephemeral=True))

    @officer_role.command(name="add", description="Let a role use officer commands")
    @officer_only()
    async def officer_role_add(self, interaction: discord.Interaction, role: discord.Role) -> None:
        def add(guild: Guild) -> None:
            if role.id in tenants.officer_role_ids(guild):
                raise UserError(f"{role.mention} is already an officer role.")
            guild.officer_roles.append(OfficerRole(role_id=role.id))

        await self._update(interaction, add)
        await send(
            interaction,
            Reply(
                content=f"{role.mention} is now an officer role.\n{INTEGRATIONS_NOTE}",
                ephemeral=True,
            ),
        )

    @officer_role.command(name="remove", description="Stop a role from using officer commands")
    @officer_only()
    async def officer_role_remove(
        self, interaction: discord.Interaction, role: discord.Role
    ) -> None:
        def remove(guild: Guild) -> None:
            if role.id not in tenants.officer_role_ids(guild):
                raise UserError(f"{role.mention} is not an officer role; nothing was changed.")
            guild.officer_roles[:] = [r for r in guild.officer_roles if r.role_id != role.id]

        await self._update(interaction, remove)
        await send(
            interaction,
            Reply(content=f"{role.mention} is no longer an officer role.", ephemeral=True),
        )

    @config.command(name="schedule", description="When automatic summaries are posted")
    @app_commands.describe(
        post_tick_delay="Minutes after the galaxy tick for the post-tick summary (0-180)",
        daily_summary="Post the daily summary at 00:00 UTC",
        cz_summaries="Post the space and ground CZ summaries at 00:01/00:02 UTC",
        conflict_digest="Post the conflict digest",
        digest_hours="UTC hours for the conflict digest, e.g. 0,6,12,18",
    )
    @officer_only()
    async def config_schedule(
        self,
        interaction: discord.Interaction,
        post_tick_delay: app_commands.Range[int, 0, 180] | None = None,
        daily_summary: bool | None = None,
        cz_summaries: bool | None = None,
        conflict_digest: bool | None = None,
        digest_hours: str | None = None,
    ) -> None:
        hours = tenants.parse_hours(digest_hours) if digest_hours is not None else None

        def apply(guild: Guild) -> None:
            if post_tick_delay is not None:
                guild.post_tick_delay_minutes = post_tick_delay
            if daily_summary is not None:
                guild.daily_summary = daily_summary
            if cz_summaries is not None:
                guild.cz_summaries = cz_summaries
            if conflict_digest is not None:
                guild.conflict_digest = conflict_digest
            if hours is not None:
                guild.conflict_digest_hours = hours

        guild = await self._update(interaction, apply)
        await send(
            interaction,
            Reply(
                content=(
                    f"Post-tick summary {guild.post_tick_delay_minutes} min after the tick; "
                    f"daily summary {'on' if guild.daily_summary else 'off'}; "
                    f"CZ summaries {'on' if guild.cz_summaries else 'off'}; conflict digest "
                    f"{'on' if guild.conflict_digest else 'off'} at "
                    f"{', '.join(f'{h:02d}:00' for h in tenants.digest_hours(guild))} UTC."
                ),
                ephemeral=True,
            ),
        )

    async def _update(self, interaction: discord.Interaction, change: object) -> Guild:
        """Apply `change(guild)` in one transaction and log who changed what."""
        assert interaction.guild_id is not None and callable(change)
        db = warden(interaction).services.db
        async with db.tenant_write(interaction.guild_id) as session:
            guild = await tenants.get_guild(session)
            assert guild is not None
            change(guild)
        interaction.extras["tenant"] = guild
        command = interaction.command.qualified_name if interaction.command else "?"
        audit(interaction, f"ran /{command} {interaction.namespace.__dict__}")
        return guild

    # -- /apikey ------------------------------------------------------------------------------

    @apikey.command(name="create", description="Create a key for BGS-Tally (shown once)")
    @app_commands.describe(label="What the key is for, e.g. the squadron wing")
    @officer_only()
    async def apikey_create(
        self, interaction: discord.Interaction, label: str = "BGS-Tally"
    ) -> None:
        bot = warden(interaction)
        assert interaction.guild_id is not None
        async with bot.services.db.tenant_write(interaction.guild_id) as session:
            key, info = await apikeys.create_key(
                session, label=label.strip()[:100] or "BGS-Tally", created_by=str(interaction.user)
            )
        audit(interaction, f"created API key #{info.id} ({info.label!r})")
        url = bot.services.public_url
        text = (
            f"New API key **{info.label}** (shown only now — copy it):\n```\n{key}\n```\n"
            f"Paste this into BGS-Tally: EDMC → Settings → BGS-Tally → API settings:\n"
            f"1. Server URL `{url}` and the key above, click **Establish Connection**.\n"
            "2. Check the events it asks for and click **I Approve**."
        )
        await send(interaction, Reply(content=text, ephemeral=True))

    @apikey.command(name="list", description="This server's keys (never the keys themselves)")
    @officer_only()
    async def apikey_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            keys = await apikeys.list_keys(session)
        lines = [_key_line(k) for k in keys] or ["No keys yet: `/apikey create` makes one."]
        await send(interaction, Reply(pages("API keys", lines), ephemeral=True))

    @apikey.command(name="revoke", description="Revoke a key: the plugin using it is refused")
    @app_commands.describe(key="The key to revoke (by label)")
    @officer_only()
    async def apikey_revoke(self, interaction: discord.Interaction, key: str) -> None:
        assert interaction.guild_id is not None
        if not key.isdigit():
            raise UserError("Pick the key from the list (start typing its label).")
        bot = warden(interaction)
        async with bot.services.db.tenant_write(interaction.guild_id) as session:
            try:
                info = await apikeys.revoke_key(session, int(key))
            except apikeys.UnknownKeyError:
                raise UserError(
                    "This server has no such key; `/apikey list` shows the keys."
                ) from None
        bot.services.keys.invalidate()
        audit(interaction, f"revoked API key #{info.id} ({info.label!r})")
        await send(
            interaction,
            Reply(content=f"Key **{info.label}** (#{info.id}) is revoked.", ephemeral=True),
        )

    @apikey_revoke.autocomplete("key")
    async def _key_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            keys = await apikeys.list_keys(session)
        current = current.lower()
        return [
            app_commands.Choice(
                name=f"{k.label} (#{k.id}, created {k.created_at:%Y-%m-%d})", value=str(k.id)
            )
            for k in keys
            if k.revoked_at is None and current in k.label.lower()
        ][:25]

    # -- /status and /help --------------------------------------------------------------------

    @app_commands.command(name="status", description="Bot, database, listener, tick, plugin data")
    async def status(self, interaction: discord.Interaction) -> None:
        bot = warden(interaction)
        services = bot.services
        guild = tenant_of(interaction)
        now = datetime.now(UTC)
        try:
            await services.db.ping(services.db.url_for(guild.guild_id))
            health = "ok"
        except Exception as exc:
            health = f"unreachable ({type(exc).__name__})"
        async with services.db.unscoped() as session:
            tick = await latest_tick(session)
        async with services.db.tenant(guild.guild_id) as session:
            last = (
                await session.execute(
                    select(Cmdr.name, Cmdr.last_seen).order_by(Cmdr.last_seen.desc()).limit(1)
                )
            ).first()
            cmdrs = (await session.execute(select(func.count(Cmdr.id)))).scalar_one()
            notices = await tenants.recent_notices(session)
        kind = services.db.engine(services.db.url_for(guild.guild_id)).dialect.name
        tick_text = "none seen yet"
        if tick is not None:
            tick_text = f"{when(tick.tick_time)} from {tick.source}"
            if tick_overdue(tick, now):
                tick_text += "\n⚠️ no new tick for over 25 hours: the tick sources may be down"
        plugin_text = (
            f"{when(last.last_seen)} from CMDR {last.name} ({cmdrs} cmdr(s) so far)"
            if last
            else "nothing yet — create a key with `/apikey create`"
        )
        problems = []
        for channel_kind in ChannelKind:
            channel_id = tenants.channel_of(guild, channel_kind)
            problem = channel_problem(interaction.guild, channel_id) if channel_id else None
            if problem:
                problems.append(f"{channel_kind.value} (<#{channel_id}>): {problem}")
        fields = [
            EmbedField("Bot", f"BGS Warden {VERSION}, {len(bot.guilds)} server(s)", True),
            EmbedField("Database", f"{kind}: {health}", True),
            EmbedField("Listener", services.public_url, True),
            EmbedField("Last galaxy tick", tick_text),
            EmbedField("Last plugin data", plugin_text),
            EmbedField("Channels", "\n".join(problems) or "every configured channel is postable"),
        ]
        if notices:
            fields.append(
                EmbedField("Notices", "\n".join(f"{when(n.created_at)} {n.text}" for n in notices))
            )
        await send(interaction, Reply([embed("Status", fields=fields)], ephemeral=True))

    @app_commands.command(
        name="help", description="What BGS Warden does and the commands you can use"
    )
    async def help(self, interaction: discord.Interaction) -> None:
        officer = is_officer(interaction, tenant_of(interaction))
        member_lines, officer_lines = _command_lines(self.bot.tree)
        lines = [
            "BGS Warden collects your squadron's BGS-Tally data, shows activity, objectives and "
            "leaderboards, and posts the tick, summaries, conflicts and protected-faction alerts.",
            "",
            "**Everyone**",
            *member_lines,
        ]
        if officer:
            lines += ["", "**Officers** (Manage Server or an officer role)", *officer_lines]
        lines += ["", "**Officer roles**", INTEGRATIONS_NOTE]
        await send(interaction, Reply(pages("BGS Warden", lines), ephemeral=True))

    # -- guild lifecycle ----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        services = self.bot.services
        if services.tenants.tenant(guild.id) or services.tenants.open_registration:
            await tenants.register(services.db, guild.id, guild.name)
        else:
            log.info("joined guild %s (%s), which is not configured", guild.id, guild.name)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """At start: catch up with what changed while the bot was offline."""
        services = self.bot.services
        async with services.db.tenant_write(guild.id) as session:
            row = await tenants.get_guild(session)
            if row is not None:
                for kind in ChannelKind:
                    channel_id = tenants.channel_of(row, kind)
                    if channel_id is not None and guild.get_channel(channel_id) is None:
                        await tenants.drop_channel(session, channel_id, str(channel_id))
                for role_id in tenants.officer_role_ids(row):
                    if guild.get_role(role_id) is None:
                        await tenants.drop_role(session, role_id, str(role_id))
        if row is None and services.tenants.open_registration:
            await tenants.register(services.db, guild.id, guild.name)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await tenants.mark_left(self.bot.services.db, guild.id)
        log.info("left guild %s (%s); its data is kept", guild.id, guild.name)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        db = self.bot.services.db
        async with db.tenant_write(channel.guild.id) as session:
            dropped = await tenants.drop_channel(session, channel.id, channel.name)
        if dropped:
            log.info(
                "guild %s: deleted channel %s dropped from %s",
                channel.guild.id,
                channel.id,
                dropped,
            )

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        db = self.bot.services.db
        async with db.tenant_write(role.guild.id) as session:
            if await tenants.drop_role(session, role.id, role.name):
                log.info("guild %s: deleted officer role %s dropped", role.guild.id, role.id)


def _key_line(key: apikeys.KeyInfo) -> str:
    state = f"revoked {when(key.revoked_at)}" if key.revoked_at else "active"
    used = when(key.last_used_at) if key.last_used_at else "never"
    version = f"; plugin API {key.api_version}" if key.api_version else ""
    return (
        f"**{key.label}** (#{key.id}) — {state}\n"
        f"created {when(key.created_at)} by {key.created_by}; last used {used}{version}"
    )


def _command_lines(tree: app_commands.CommandTree[Any]) -> tuple[list[str], list[str]]:
    """One line per top-level command and audience: "`/objective` list · show — Objectives"."""
    audiences: tuple[dict[str, list[str]], dict[str, list[str]]] = ({}, {})
    descriptions: dict[str, str] = {}
    for command in tree.walk_commands():
        if isinstance(command, app_commands.Group):
            continue
        root = command.root_parent or command
        descriptions[root.name] = root.description
        subcommand = command.qualified_name.removeprefix(root.name).strip()
        audience = audiences[1] if _is_officer_command(command) else audiences[0]
        audience.setdefault(root.name, []).extend([subcommand] if subcommand else [])
    member, officer = (
        [
            f"`/{name}` {' · '.join(subs)} — {descriptions[name]}"
            if subs
            else f"`/{name}` — {descriptions[name]}"
            for name, subs in sorted(audience.items())
        ]
        for audience in audiences
    )
    return member, officer


def _is_officer_command(command: app_commands.Command[Any, ..., Any]) -> bool:
    root = command.root_parent or command
    if root.default_permissions is not None and root.default_permissions.manage_guild:
        return True
    return any(getattr(check, "__qualname__", "") == "_require_officer" for check in command.checks)


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(Admin(bot))
