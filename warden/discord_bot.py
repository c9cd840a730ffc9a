"""The Discord bot: owns the services, loads the cogs, publishes the slash commands when they
changed, and stops the services when it closes."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bgs.bot_state import read_state, write_state
from cogs import COGS, Warden, hide_officer_commands, on_tree_error, resolve_tenant
from settings import Settings, TenantsFile
from warden.services import Services

log = logging.getLogger(__name__)

COMMAND_HASH_KEY = "command_tree_hash"


class WardenBot(Warden):
    """The Discord bot.

    Intents: only `guilds` (no privileged intents). Slash commands carry the member's roles
    and permissions in each interaction, so the members intent is not needed; the bot never
    reads message content.
    """

    def __init__(self, services: Services, *, sync_commands: bool | None = None, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            services,
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self._sync_commands = sync_commands
        self.tree.interaction_check = resolve_tenant  # type: ignore[method-assign]
        self.tree.on_error = on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        await self.services.start()
        await self.load_cogs()
        await self.sync_commands(force=bool(self._sync_commands))
        self.outbox.start()

    async def load_cogs(self) -> None:
        """Load every cog and hide the officer-only commands from members."""
        for extension in COGS:
            await self.load_extension(extension)
        hide_officer_commands(self.tree)

    def command_hash(self) -> str:
        payload = sorted(
            (command.to_dict(self.tree) for command in self.tree.get_commands()),
            key=lambda command: str(command["name"]),
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Publish the command tree when it changed since the last sync (or when forced)."""
        if self._sync_commands is False:
            return False
        digest = self.command_hash()
        key = f"{COMMAND_HASH_KEY}:{self.application_id}"
        if await read_state(self.services.db, key) == digest and not force:
            log.info("slash commands unchanged since the last sync; not syncing")
            return False
        synced = await self.tree.sync()
        await write_state(self.services.db, key, digest)
        log.info("synced %d slash commands with Discord", len(synced))
        return True

    async def close(self) -> None:
        await self.outbox.stop()
        await self.services.close()
        await super().close()


def build_bot(
    settings: Settings, tenants: TenantsFile, *, listener: bool = True, **options: Any
) -> WardenBot:
    """The bot for these settings, running the shards SHARD_COUNT and SHARD_IDS name (all of
    Discord's recommended shards when they are unset); extra `discord.Client` options pass
    through (tests use them)."""
    services = Services(settings, tenants, listener=listener)
    if settings.shard_count is not None:
        options.setdefault("shard_count", settings.shard_count)
        options.setdefault("shard_ids", settings.parsed_shard_ids)
    return WardenBot(services, **options)
