"""The bot as every cog sees it: discord.py's Bot with the process's services."""

from __future__ import annotations

from typing import Any

from discord.ext import commands

from cogs._outbox import OutboxPoster
from warden.services import Services


class Warden(commands.AutoShardedBot):
    """discord.py's auto-sharded Bot carrying the services (databases, listener, scheduler,
    after-ingest work), which every cog reaches as `bot.services`. The concrete bot is
    `warden.discord_bot.WardenBot`."""

    def __init__(self, services: Services, **options: Any) -> None:
        super().__init__(**options)
        self.services = services
        self.outbox = OutboxPoster(
            services, lambda: [guild.id for guild in self.guilds], self.wait_until_ready
        )
        # (guild, post kind, reason) of the skipped posts this process has reported
        self.skips_told: set[tuple[int, str, str]] = set()
