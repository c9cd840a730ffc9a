"""The galaxy tick: `/tick show`, `/tick refresh`, `/tick set`, and the "New galaxy tick" post.

The cog owns the process's one `TickMonitor` and its one aiohttp session (opened when the cog
loads, closed when it unloads), and schedules the poll (every TICK_POLL_MINUTES, the first one
soon after the start). Of the processes that run this cog, only the one that leads the tick
polling (`bgs.leadership`) asks the sources; the others read the newest stored tick (`follow`).
Every poll — scheduled or asked for with `/tick refresh` — goes through `poll`, which announces
a new galaxy tick to the tick channel of every guild this process serves, except a guild whose
officers recorded a tick of their own that the galaxy tick does not supersede (`bgs.ticks`).

`/tick set` records a tick for the officer's guild alone (`set_manual`) and announces it there
only: no guild's command posts in another guild. The operator records a galaxy tick by hand
with `bot.py tick set`; the processes see it at their next poll like any stored tick.

What is news. A tick this process stored is news when it is not the very first one stored
(`PollResult.announce`). With several processes only one of them stores a tick; the others see
it as the newest stored tick on their next poll, newer than the one they saw before, and
announce it to their own guilds. News is announced until every served guild has it (a failed
send is retried at the next poll) for `ANNOUNCE_FOR` after the tick was seen; the post ledger
keeps it to one post per guild across restarts and processes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Final

import aiohttp
import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bgs import tenants
from bgs.leadership import Leadership
from bgs.skips import destination_of
from bgs.ticks import (
    FALLBACK,
    MANUAL,
    OFFICER,
    OVERDUE_AFTER,
    PRIMARY,
    PollResult,
    TickRecord,
    guild_tick,
    parse_manual_time,
    store_guild_tick,
    stored_news,
    tick_status,
)
from cogs._bot import Warden
from cogs._checks import officer_only, tenant_of
from cogs._errors import UserError
from cogs._jobs import for_each_tenant, schedule, unschedule
from cogs._outbox import Outcome
from cogs._posting import deliver
from cogs._ui import Reply, age_text, embed, send, when
from db.models import Tenant
from feeds.ticks import TickMonitor
from settings import ChannelKind

log = logging.getLogger(__name__)

KIND = "tick"  # the post ledger's kind
TICK_POLL: Final = "tick-poll"  # the scheduler's job
LEADERSHIP: Final = "tick-polling"  # the processes with this cog choose one to ask the sources
FIRST_POLL_AFTER = timedelta(seconds=15)  # let the gateway fill the guild cache first
ANNOUNCE_FOR = timedelta(hours=1)
SOURCE_LABELS = {
    PRIMARY: "Zoy's tick detector (galtick.json)",
    FALLBACK: "EDCD tick API",
    MANUAL: "recorded by hand",
    OFFICER: "set by an officer of this server",
}
OVERDUE_WARNING = (
    f"⚠️ No new tick for over {OVERDUE_AFTER.total_seconds() / 3600:.0f} hours: the tick "
    "sources may be down. Officers can poll them with `/tick refresh` or record the tick with "
    "`/tick set`."
)


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source)


def tick_embed(tick: TickRecord) -> discord.Embed:
    """The "New galaxy tick" post."""
    return embed(
        "🕚 New galaxy tick",
        f"**Time:** {when(tick.tick_time)}\n**Source:** {source_label(tick.source)}",
    )


def parse_tick_time(text: str) -> datetime:
    """A UTC time like `2026-11-26 11:00` or `2026-11-26T11:00:00Z`; UserError otherwise."""
    instant = parse_manual_time(text)
    if instant is None:
        raise UserError(
            "Give the tick's date and time in UTC, like `2026-11-26 11:00` or "
            f"`2026-11-26T11:00` (got `{text.strip()[:40]}`). Nothing was recorded."
        )
    return instant


class Ticks(commands.Cog):
    tick = app_commands.Group(name="tick", description="The galaxy tick: show it, poll, or set it")

    def __init__(self, bot: Warden) -> None:
        self.bot = bot
        self._seen: TickRecord | None = None  # the newest stored tick this process has seen
        self._news: TickRecord | None = None  # the tick to announce
        self._outcomes: dict[int, Outcome] = {}  # what announcing the news did, per guild

    async def cog_load(self) -> None:
        settings = self.bot.services.settings
        self.http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.tick_http_timeout)
        )
        self.monitor = TickMonitor(self.bot.services.db, self.http, settings)
        self.leadership = Leadership(self.bot.services.db, LEADERSHIP)
        self.bot.services.run_forever(self.leadership.run(), LEADERSHIP)
        schedule(
            self.bot.services.scheduler,
            self.tick_poll,
            TICK_POLL,
            IntervalTrigger(minutes=settings.tick_poll_minutes, timezone=UTC),
            next_run_time=datetime.now(UTC) + FIRST_POLL_AFTER,
        )

    async def cog_unload(self) -> None:
        unschedule(self.bot.services.scheduler, [TICK_POLL])
        await self.http.close()

    # -- polling and announcing ---------------------------------------------------------------

    async def tick_poll(self, now: datetime | None = None) -> None:
        """The scheduled poll: once connected to Discord, the leading process polls the sources;
        every process announces a new tick to its own guilds."""
        if not self.bot.is_ready():
            log.info("tick poll skipped: not connected to Discord yet")
            return
        if self.leadership.leading:
            await self.poll(now)
        else:
            await self.follow(now)

    async def follow(self, now: datetime | None = None) -> None:
        """Announce the newest tick the leading process stored (without asking the sources),
        also when this process started after it was stored."""
        now = now or datetime.now(UTC)
        await self._observe(await stored_news(self.bot.services.db, now, ANNOUNCE_FOR), now)

    async def poll(self, now: datetime | None = None) -> PollResult:
        """Ask the tick sources now and announce a new tick."""
        now = now or datetime.now(UTC)
        result = await self.monitor.poll(now)
        await self._observe(result, now)
        return result

    async def set_manual(
        self, tenant: Tenant, set_by: int, tick_time: datetime, now: datetime | None = None
    ) -> tuple[PollResult, Outcome | None]:
        """Record an officer's tick for their own guild and announce it there alone; the
        outcome of the announcement is None when the tick was not recorded."""
        result = await store_guild_tick(
            self.bot.services.db,
            tenant.guild_id,
            tick_time,
            set_by,
            now or datetime.now(UTC),
            duplicate_window=self.monitor.duplicate_window,
        )
        if not result.new or result.latest is None:
            return result, None
        destination = destination_of(tenant, ChannelKind.TICK)
        key = result.latest.tick_time.isoformat()
        embeds = [tick_embed(result.latest)]
        return result, await deliver(self.bot, tenant.guild_id, KIND, key, destination, embeds)

    async def _observe(self, result: PollResult, now: datetime) -> None:
        latest = result.latest
        if latest is None:
            return
        newer = self._seen is not None and latest.tick_time > self._seen.tick_time
        known = self._news is not None and self._news.tick_time == latest.tick_time
        if (result.announce or newer) and not known:
            self._news = latest
            self._outcomes.clear()
        self._seen = latest
        news = self._news
        if news is None or news.tick_time != latest.tick_time or now - news.seen_at > ANNOUNCE_FOR:
            return
        await self._announce(news)

    async def _announce(self, tick: TickRecord) -> None:
        """Post the news in every served guild that does not have it yet (a failed send is
        tried again at the next poll)."""
        told = {guild_id for guild_id, outcome in self._outcomes.items() if outcome.done}
        if {guild.id for guild in self.bot.guilds} <= told:
            return
        key = tick.tick_time.isoformat()
        embeds = [tick_embed(tick)]

        async def announce(tenant: Tenant) -> None:
            if tenant.guild_id in told:
                return
            own = await guild_tick(self.bot.services.db, tenant.guild_id, tick)
            if own is not None and own.source == OFFICER:
                log.debug("guild %s: its own tick %s holds", tenant.guild_id, own.tick_time)
            else:
                destination = destination_of(tenant, ChannelKind.TICK)
                self._outcomes[tenant.guild_id] = await deliver(
                    self.bot, tenant.guild_id, KIND, key, destination, embeds
                )

        await for_each_tenant(self.bot, "tick announcement", announce)

    # -- commands -----------------------------------------------------------------------------

    @tick.command(name="show", description="The last galaxy tick: when, how long ago, from where")
    async def show(self, interaction: discord.Interaction) -> None:
        guild_id = tenant_of(interaction).guild_id
        status = await tick_status(self.bot.services.db, datetime.now(UTC), guild_id)
        if status.latest is None or status.age is None:
            lines = [
                "No galaxy tick seen yet.",
                "Officers can poll the tick sources now with `/tick refresh`.",
            ]
        else:
            lines = [
                f"**Time:** {when(status.latest.tick_time)}",
                f"**Age:** {age_text(status.age)}",
                f"**Source:** {source_label(status.latest.source)}",
            ]
        if status.overdue and status.latest is not None:
            lines += ["", OVERDUE_WARNING]
        await send(interaction, Reply([embed("Galaxy tick", "\n".join(lines))]))

    @officer_only
    @tick.command(name="refresh", description="Poll the tick sources now (officers)")
    async def refresh(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.poll()
        lines = self._poll_report(result, tenant_of(interaction))
        await send(interaction, Reply([embed("Tick sources polled", "\n".join(lines))]))

    @officer_only
    @tick.command(
        name="set",
        description="Record this server's tick by hand when every source is down (officers)",
    )
    @app_commands.describe(time="The tick's date and time in UTC, e.g. 2026-11-26 11:00")
    async def set_time(self, interaction: discord.Interaction, time: str) -> None:
        tick_time = parse_tick_time(time)
        tenant = tenant_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result, outcome = await self.set_manual(tenant, interaction.user.id, tick_time)
        if result.rejected is not None:
            last = f" The last tick is {when(result.latest.tick_time)}." if result.latest else ""
            raise UserError(
                f"The tick was not recorded: {result.rejected}.{last} Give a UTC time after the "
                "last tick and not in the future."
            )
        log.info(
            "guild %s: %s (%s) recorded a manual tick at %s",
            interaction.guild_id,
            interaction.user,
            interaction.user.id,
            tick_time.isoformat(),
        )
        lines = [
            f"Recorded this server's tick at {when(tick_time)}. It is this server's tick (its "
            "announcement, post-tick summary and views) until a source reports a later galaxy "
            "tick; other servers are not affected.",
            _outcome_text(outcome, tenant)
            + (" the tick is recorded all the same." if outcome is Outcome.FAILED else ""),
        ]
        await send(interaction, Reply([embed("Tick set", "\n".join(lines))]))

    def _announced(self, result: PollResult, tenant: Tenant) -> str:
        """What became of the announcement of `result`'s new tick in this guild."""
        if not result.announce:
            return "It is the first tick stored, so it is not announced."
        outcome = self._outcomes.get(tenant.guild_id)
        retried = " the next poll tries again." if outcome is Outcome.FAILED else ""
        return _outcome_text(outcome, tenant) + retried

    def _poll_report(self, result: PollResult, tenant: Tenant) -> list[str]:
        lines: list[str] = []
        latest = result.latest
        if result.new and latest is not None:
            lines += [
                f"**New galaxy tick:** {when(latest.tick_time)}",
                f"Source: {source_label(latest.source)}",
                self._announced(result, tenant),
            ]
        elif result.candidate is not None and result.source is not None:
            lines.append(
                f"**No new tick.** {source_label(result.source)} reports "
                f"{when(result.candidate)}"
                + ("." if result.rejected is None else f": {result.rejected}.")
            )
        else:
            lines.append("**No source answered**, so nothing changed.")
        if result.source_errors:
            lines += ["", "**Sources failing**"]
            lines += [
                f"• {source_label(name)}: {reason}"
                for name, reason in sorted(result.source_errors.items())
            ]
        if latest is None:
            lines += [
                "",
                "No tick is stored yet; set one with `/tick set` if every source is down.",
            ]
        elif not result.new:
            lines += [
                "",
                f"Last stored tick: {when(latest.tick_time)} ({source_label(latest.source)}).",
            ]
        if result.overdue and latest is not None:
            lines += ["", OVERDUE_WARNING]
        return lines


def _outcome_text(outcome: Outcome | None, tenant: Tenant) -> str:
    """What became of a tick's announcement in this guild."""
    channel = f"<#{tenants.channel_of(tenant, ChannelKind.TICK)}>"
    if outcome is None:
        return "It was not announced here."
    if outcome is Outcome.NO_CHANNEL:
        return "No tick channel is set (`/config channel`), so it is not announced here."
    if outcome is Outcome.FAILED:
        return f"Posting it in {channel} failed;"
    return f"Announced in {channel}."


async def setup(bot: Warden) -> None:
    await bot.add_cog(Ticks(bot))
