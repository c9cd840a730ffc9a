"""The bot as every cog sees it: discord.py's Bot with the process's services."""

from __future__ import annotations

from typing import Any

from discord.ext import commands

from warden.services import Services


class Warden(commands.Bot):
    """discord.py's Bot carrying the services (databases, listener, scheduler, after-ingest
    work), which every cog reaches as `bot.services`. `warden.discord_bot.Warden` is the
    concrete bot."""

    def __init__(self, services: Services, **options: Any) -> None:
        super().__init__(**options)
        self.services = services
        # (guild, post kind, reason) of the skipped posts this process has reported
        self.skips_told: set[tuple[int, str, str]] = set()
