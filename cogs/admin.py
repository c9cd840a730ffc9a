"""Settings, API keys, status and help: /config, /apikey, /status, /help; and what happens when
the bot joins or leaves a guild, or a channel or role it uses is deleted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bgs import apikeys, members, retention, tenants
from bgs.galaxy.feed import feed_counts_text, feed_status
from bgs.names import faction_names
from cogs._autocomplete import name_choices
from cogs._bot import Warden
from cogs._channels import channel_problem, missing_permissions
from cogs._checklist import checklist_text, guild_checklist
from cogs._checks import (
    TENANT,
    TENANT_JOINED,
    audit,
    is_officer,
    officer_only,
    tenant_of,
    warden,
)
from cogs._errors import UserError
from cogs._help import command_lines
from cogs._keys import paste_steps
from cogs._member_views import key_choice, key_line, settings_lines
from cogs._ui import EmbedField, Reply, embed, pages, plain, send, when
from db.models import Tenant
from settings import VERSION, ChannelKind

log = logging.getLogger(__name__)

INTEGRATIONS_NOTE = (
    "Discord shows officer commands only to members with Manage Server until an admin allows "
    "the role for BGS Warden's commands in **Server Settings → Integrations → BGS Warden**."
)


class Admin(commands.Cog):
    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    config = app_commands.Group(name="config", description="Show or change this server's settings")
    officer_role = app_commands.Group(
        name="officer-role", description="Roles that may use officer commands", parent=config
    )
    apikey = officer_only(
        app_commands.Group(
            name="apikey", description="API keys for the BGS-Tally plugin (officers)"
        )
    )

    # -- /config ------------------------------------------------------------------------------

    @config.command(name="show", description="Every setting, including those from tenants.json")
    async def config_show(self, interaction: discord.Interaction) -> None:
        tenant = tenant_of(interaction)
        db = warden(interaction).services.db
        async with db.tenant(tenant.guild_id) as session:
            keys = await apikeys.list_keys(session)
        faction = plain(tenant.faction) if tenant.faction else "not set — `/config faction`"
        lines = [
            f"**Faction:** {faction}",
            f"**Configured from:** {tenant.source}",
            "",
            "**Channels**",
        ]
        for kind in ChannelKind:
            channel_id = tenants.channel_of(tenant, kind)
            if channel_id is None:
                lines.append(f"{kind.value}: not set")
                continue
            problem = channel_problem(interaction.guild, channel_id)
            lines.append(f"{kind.value}: <#{channel_id}>" + (f" ⚠️ {problem}" if problem else ""))
        roles = tenants.officer_role_ids(tenant)
        lines += [
            "",
            "**Officer roles:** "
            + (
                ", ".join(f"<@&{role}>" for role in roles) if roles else "none (Manage Server only)"
            ),
            "",
            "**Schedule**",
            f"post-tick summary: {tenant.post_tick_delay_minutes} min after the tick",
            f"daily summary: {'on' if tenant.daily_summary else 'off'}",
            f"CZ summaries: {'on' if tenant.cz_summaries else 'off'}",
            f"conflict digest: {'on' if tenant.conflict_digest else 'off'} "
            f"at {', '.join(f'{h:02d}:00' for h in tenants.digest_hours(tenant))} UTC",
            "",
            "**Galaxy alerts** (`/config galaxy-alerts`)",
            *tenants.galaxy_alert_lines(tenant),
            "",
            f"**Raw events kept:** {_retention_text(tenant, warden(interaction))}",
            "",
            f"**API keys:** {sum(1 for k in keys if k.revoked_at is None)} active, "
            f"{sum(1 for k in keys if k.revoked_at is not None)} revoked",
            "",
            "**Members** (`/cmdr settings`)",
            *settings_lines(warden(interaction), tenant),
        ]
        await send(interaction, Reply(pages("Settings", lines), ephemeral=True))

    @officer_only
    @config.command(name="faction", description="Set the squadron's minor faction")
    @app_commands.describe(name="The faction's exact in-game name")
    async def config_faction(self, interaction: discord.Interaction, name: str) -> None:
        tenant = await self._update(interaction, lambda tenant: tenants.set_faction(tenant, name))
        name = tenant.faction or ""
        await send(
            interaction,
            Reply(content=f"The squadron's faction is now **{plain(name)}**.", ephemeral=True),
        )

    @config_faction.autocomplete("name")
    async def _faction_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, faction_names, current)

    @officer_only
    @config.command(name="channel", description="Choose the channel for one kind of post")
    @app_commands.describe(kind="Which posts", channel="Where (leave out to turn these posts off)")
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
            lambda tenant: tenants.set_channel(tenant, kind, channel.id if channel else None),
        )
        text = (
            f"{kind.value.title()} posts go to {channel.mention}."
            if channel
            else f"{kind.value.title()} posts are off (no channel)."
        )
        await send(interaction, Reply(content=text, ephemeral=True))

    @officer_only
    @officer_role.command(name="add", description="Let a role use officer commands")
    async def officer_role_add(self, interaction: discord.Interaction, role: discord.Role) -> None:
        await self._update(interaction, lambda tenant: tenants.add_officer_role(tenant, role.id))
        await send(
            interaction,
            Reply(
                content=f"{role.mention} is now an officer role.\n{INTEGRATIONS_NOTE}",
                ephemeral=True,
            ),
        )

    @officer_only
    @officer_role.command(name="remove", description="Stop a role from using officer commands")
    async def officer_role_remove(
        self, interaction: discord.Interaction, role: discord.Role
    ) -> None:
        await self._update(interaction, lambda tenant: tenants.remove_officer_role(tenant, role.id))
        await send(
            interaction,
            Reply(content=f"{role.mention} is no longer an officer role.", ephemeral=True),
        )

    @officer_only
    @config.command(name="schedule", description="When automatic summaries are posted")
    @app_commands.describe(
        post_tick_delay="Minutes after the galaxy tick for the post-tick summary (0-180)",
        daily_summary="Post the daily summary at 00:00 UTC",
        cz_summaries="Post the space and ground CZ summaries at 00:01/00:02 UTC",
        conflict_digest="Post the conflict digest",
        digest_hours="UTC hours for the conflict digest, e.g. 0,6,12,18",
    )
    async def config_schedule(
        self,
        interaction: discord.Interaction,
        post_tick_delay: app_commands.Range[int, 0, 180] | None = None,
        daily_summary: bool | None = None,
        cz_summaries: bool | None = None,
        conflict_digest: bool | None = None,
        digest_hours: str | None = None,
    ) -> None:
        tenant = await self._update(
            interaction,
            lambda tenant: tenants.set_schedule(
                tenant,
                post_tick_delay=post_tick_delay,
                daily_summary=daily_summary,
                cz_summaries=cz_summaries,
                conflict_digest=conflict_digest,
                digest_hours=digest_hours,
            ),
        )
        await send(
            interaction,
            Reply(
                content=(
                    f"Post-tick summary {tenant.post_tick_delay_minutes} min after the tick; "
                    f"daily summary {'on' if tenant.daily_summary else 'off'}; "
                    f"CZ summaries {'on' if tenant.cz_summaries else 'off'}; conflict digest "
                    f"{'on' if tenant.conflict_digest else 'off'} at "
                    f"{', '.join(f'{h:02d}:00' for h in tenants.digest_hours(tenant))} UTC."
                ),
                ephemeral=True,
            ),
        )

    @officer_only
    @config.command(
        name="galaxy-alerts", description="Alerts on our and protected factions' influence"
    )
    @app_commands.describe(
        lead="Alert when a faction's lead where it controls falls under this (points; 0: off)",
        drop="Alert when its influence drops more than this since the last tick (points; 0: off)",
        retreat="Alert when its influence falls under this (%; 0: off)",
        pending="Alert on a pending expansion, retreat, war, civil war or election",
        conflicts="Conflict changes seen on EDDN, not only in members' jumps",
        summary="An influence section in the post-tick summary",
    )
    async def config_galaxy_alerts(
        self,
        interaction: discord.Interaction,
        lead: app_commands.Range[float, 0, 100] | None = None,
        drop: app_commands.Range[float, 0, 100] | None = None,
        retreat: app_commands.Range[float, 0, 100] | None = None,
        pending: bool | None = None,
        conflicts: bool | None = None,
        summary: bool | None = None,
    ) -> None:
        tenant = await self._update(
            interaction,
            lambda tenant: tenants.set_galaxy_alerts(
                tenant,
                lead=lead,
                drop=drop,
                retreat=retreat,
                pending=pending,
                conflicts=conflicts,
                summary=summary,
            ),
        )
        lines = "\n".join(tenants.galaxy_alert_lines(tenant))
        await send(interaction, Reply(content=f"Galaxy alerts:\n{lines}", ephemeral=True))

    @officer_only
    @config.command(name="retention", description="How long raw events are kept (summaries stay)")
    @app_commands.describe(
        days="Days of raw events to keep, 0 for all; leave out for the bot's default"
    )
    async def config_retention(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 0, 3650] | None = None
    ) -> None:
        tenant = await self._update(
            interaction, lambda tenant: retention.set_retention(tenant, days)
        )
        text = (
            f"Raw events kept: {_retention_text(tenant, warden(interaction))}. Summaries of "
            "every period stay; rebuilding them and per-event detail need the raw events."
        )
        await send(interaction, Reply(content=text, ephemeral=True))

    async def _update(
        self, interaction: discord.Interaction, change: Callable[[Tenant], object]
    ) -> Tenant:
        """Apply `change(tenant)` in one transaction and log who changed what."""
        assert interaction.guild_id is not None
        db = warden(interaction).services.db
        async with db.tenant_write(interaction.guild_id) as session:
            tenant = await tenants.get_tenant(session)
            assert tenant is not None
            change(tenant)
        interaction.extras[TENANT] = tenant
        command = interaction.command.qualified_name if interaction.command else "?"
        audit(interaction, f"ran /{command} {interaction.namespace.__dict__}")
        return tenant

    # -- /apikey ------------------------------------------------------------------------------

    @apikey.command(name="create", description="Create a key for BGS-Tally (shown once)")
    @app_commands.describe(label="What the key is for, e.g. the squadron wing")
    async def apikey_create(
        self, interaction: discord.Interaction, label: str = "BGS-Tally"
    ) -> None:
        bot = warden(interaction)
        assert interaction.guild_id is not None
        async with bot.services.db.tenant_write(interaction.guild_id) as session:
            key, info = await apikeys.create_key(
                session,
                label=label.strip()[:100] or "BGS-Tally",
                created_by=str(interaction.user),
                limit=bot.services.settings.max_keys_per_guild,
            )
        audit(interaction, f"created API key #{info.id} ({info.label!r})")
        lines = [
            f"New API key **{plain(info.label)}** (shown only now — copy it):",
            f"```\n{key}\n```",
        ]
        lines += paste_steps(bot.services.listener_address)
        if tenant_of(interaction).personal_keys_only:
            lines.append(
                "⚠️ This server accepts personal keys only (`/cmdr settings`): the listener "
                "refuses this squadron key until squadron keys are allowed again."
            )
        await send(interaction, Reply(content="\n".join(lines), ephemeral=True))

    @apikey.command(name="list", description="This server's keys (never the keys themselves)")
    async def apikey_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            keys = await members.key_views(session)
        lines = [key_line(k) for k in keys] or [
            "No keys yet: `/apikey create` makes a squadron key; members get their own with "
            "`/connect`."
        ]
        await send(interaction, Reply(pages("API keys", lines), ephemeral=True))

    @apikey.command(name="revoke", description="Revoke a key: the plugin using it is refused")
    @app_commands.describe(key="The key to revoke (by label)")
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
            Reply(content=f"Key **{plain(info.label)}** (#{info.id}) is revoked.", ephemeral=True),
        )

    @apikey_revoke.autocomplete("key")
    async def _key_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        async with warden(interaction).services.db.tenant(interaction.guild_id) as session:
            keys = await members.key_views(session)
        current = current.lower()
        return [
            app_commands.Choice(name=key_choice(k)[:100], value=str(k.info.id))
            for k in keys
            if k.info.revoked_at is None and current in key_choice(k).lower()
        ][:25]

    # -- /status and /help --------------------------------------------------------------------

    @app_commands.command(name="status", description="Bot, database, listener and setup checklist")
    async def status(self, interaction: discord.Interaction) -> None:
        bot = warden(interaction)
        services = bot.services
        tenant = tenant_of(interaction)
        url = services.db.url_for(tenant.guild_id)
        try:
            await services.db.ping(url)
            health = "ok"
        except Exception as exc:
            health = f"unreachable ({type(exc).__name__})"
        checks = await guild_checklist(bot, interaction.guild, tenant)
        async with services.db.tenant(tenant.guild_id) as session:
            notices = await tenants.recent_notices(session)
            stored = await retention.storage(session)
        address = services.listener_address
        feed = await feed_status(services.db, services.settings.eddn_enabled, datetime.now(UTC))
        fields = [
            EmbedField("Bot", f"BGS Warden {VERSION}, {len(bot.guilds)} server(s)", True),
            EmbedField("Database", f"{services.db.engine(url).dialect.name}: {health}", True),
            EmbedField("Storage", _storage_text(stored, tenant, bot), True),
            EmbedField("Listener", address.problem or f"`{address.url}`"),
            EmbedField("EDDN feed, last hour", feed_counts_text(feed)),
        ]
        if notices:
            fields.append(
                EmbedField("Notices", "\n".join(f"{when(n.created_at)} {n.text}" for n in notices))
            )
        text = f"**Setup checklist**\n{checklist_text(checks)}"
        await send(interaction, Reply([embed("Status", text, fields)], ephemeral=True))

    @app_commands.command(
        name="help", description="What BGS Warden does and the commands you can use"
    )
    async def help(self, interaction: discord.Interaction) -> None:
        officer = is_officer(interaction, tenant_of(interaction))
        member_lines, officer_lines = command_lines(self.bot.tree)
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
            self.bot.dispatch(TENANT_JOINED, guild)
        else:
            log.info("joined guild %s (%s), which is not configured", guild.id, guild.name)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """At start: catch up with what changed while the bot was offline."""
        services = self.bot.services
        async with services.db.tenant_write(guild.id) as session:
            tenant = await tenants.get_tenant(session)
            if tenant is not None:
                for kind in ChannelKind:
                    channel_id = tenants.channel_of(tenant, kind)
                    if channel_id is not None and guild.get_channel(channel_id) is None:
                        await tenants.drop_channel(session, channel_id, str(channel_id))
                for role_id in tenants.officer_role_ids(tenant):
                    if guild.get_role(role_id) is None:
                        await tenants.drop_role(session, role_id, str(role_id))
        if tenant is None and services.tenants.open_registration:
            await tenants.register(services.db, guild.id, guild.name)
            self.bot.dispatch(TENANT_JOINED, guild)

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


def _retention_text(tenant: Tenant, bot: Warden) -> str:
    default = bot.services.settings.event_retention_days
    days = retention.retention_days(tenant, default)
    kept = f"{days} days" if days else "all"
    return kept + (" (the bot's default)" if tenant.event_retention_days is None else "")


def _storage_text(stored: retention.Storage, tenant: Tenant, bot: Warden) -> str:
    size = "size unknown" if stored.size_bytes is None else f"{stored.size_bytes / 1e6:,.1f} MB"
    oldest = when(stored.oldest_event) if stored.oldest_event else "none"
    return (
        f"database {size}; oldest raw event: {oldest}; "
        f"raw events kept: {_retention_text(tenant, bot)}"
    )


async def setup(bot: Warden) -> None:
    await bot.add_cog(Admin(bot))
