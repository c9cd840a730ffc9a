"""Automatic posts: the scheduled jobs and the conflict changes as they arrive.

Every job is a plain coroutine taking an optional `now` (tests call them directly) and acts
only for the guilds this process serves (`cogs._jobs.served_tenants`); one guild's failure is
logged and the others go on. Every post goes through the post ledger, so a restart or a second
process never posts the same (kind, key) twice, and a failed send is retried by a later run:

=====================  ==============================  ================  ====================
job                    when (UTC)                      ledger kind       key
=====================  ==============================  ================  ====================
post-tick summary      checked every minute: due N     post_tick         tick time
                       min after the tick was seen
daily summary          00:00 (again :15 :30 :45)       daily             the day
space CZ summary       00:01 (again :16 :31 :46)       cz_space          day:system
ground CZ summary      00:02 (again :17 :32 :47)       cz_ground         day:system
conflict digest        every hour at :00 (again :15    conflict_digest   day and hour
                       :30 :45) for the guild's hours
conflict change        from the outbox, as events      conflict_change   the change
                       arrive (cogs._outbox)
=====================  ==============================  ================  ====================

N is the guild's `post_tick_delay_minutes`; the summary is still posted for `POST_TICK_WINDOW`
after it is due (a restart in between), never later. The later runs in an hour are for
retries: what is posted already is skipped before anything is built (a digest whose first
conflict arrives after :00 is posted by them, late).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import discord
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from discord.ext import commands

from bgs import tenants
from bgs.conflicts import CHANGE_KIND, ConflictChange, conflict_digest
from bgs.galaxy.views import faction_view
from bgs.objectives import ObjectiveProgress, list_objectives
from bgs.outbox import Entry
from bgs.periods import Period, Tick, latest_ticks, period_for
from bgs.protected import (
    KIND_LABELS,
    KIND_UNITS,
    HarmSummary,
    HarmTotal,
    harm_in,
    list_protected,
)
from bgs.skips import Destination, SkipReason, destination_of
from bgs.summaries import (
    ActivityCounts,
    FactionActivity,
    SystemCZs,
    SystemThargoidWar,
    ThargoidWar,
    activity_per_cmdr,
    activity_summary,
    ground_czs,
    influence_by_faction,
    leaderboard,
    reading,
    space_czs,
    thargoid_war,
    war_totals,
)
from bgs.ticks import DUPLICATE_WINDOW, OFFICER, TickRecord, galaxy_tick, guild_tick
from cogs._bot import Warden
from cogs._conflict_posts import change_embed, digest_embeds
from cogs._galaxy_views import influence_section
from cogs._jobs import for_each_tenant, posted, schedule, unschedule
from cogs._objective_views import progress_lines
from cogs._outbox import Outcome
from cogs._posting import deliver, skipped
from cogs._render import (
    TOP,
    Section,
    cz_lines,
    cz_system,
    ranked_contributors,
    section_lines,
    system_lines,
    top_sections,
)
from cogs._ui import number, pages, plain, ts
from db.models import Tenant
from settings import ChannelKind

log = logging.getLogger(__name__)

POST_TICK: Final = "post-tick-summary"
DAILY: Final = "daily-summary"
SPACE_CZ: Final = "space-cz-summary"
GROUND_CZ: Final = "ground-cz-summary"
DIGEST: Final = "conflict-digest"
JOBS: Final = (POST_TICK, DAILY, SPACE_CZ, GROUND_CZ, DIGEST)

POST_TICK_WINDOW = timedelta(hours=2)  # after it is due, the post-tick summary is still wanted
TOP_CONTRIBUTORS = 10


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


def _harm_text(rows: Iterable[HarmTotal]) -> str:
    return ", ".join(
        f"{plain(row.cmdr or 'unknown cmdr')}: {KIND_LABELS[row.kind]} ×{row.count}"
        + (f" ({number(abs(row.amount))} {KIND_UNITS[row.kind]})" if row.amount else "")
        for row in rows
    )


def activity_lines(
    activity: Sequence[FactionActivity], harm: HarmSummary, war: Mapping[str, ThargoidWar]
) -> list[str]:
    """By system → faction, with Thargoid-war work; systems where a protected faction was
    harmed are marked."""
    harmed = {system: ["⚠️"] for system, _ in harm.by_system()}
    lines = ["**Activity by system**", *system_lines(activity, harmed, war=war)]
    if not activity and not war:
        lines.append("No activity reported by members for this tick.")
    return lines


def contributor_lines(
    counts_by_cmdr: dict[str, ActivityCounts], harmers: set[str], war: Mapping[str, ThargoidWar]
) -> list[str]:
    marks: dict[str | None, list[str]] = {cmdr: ["⚠️"] for cmdr in harmers}
    ranking = ranked_contributors(counts_by_cmdr, marks, TOP_CONTRIBUTORS, war)
    return ["", "**Top contributors**", *ranking] if ranking else []


def objective_lines(objectives: Sequence[ObjectiveProgress]) -> list[str]:
    """The running objectives, laid out as `/objective list` and `/objective show` do."""
    return ["", "**Objectives**", *progress_lines(objectives)] if objectives else []


def harm_lines(harm: HarmSummary) -> list[str]:
    if not harm.rows:
        return []
    lines = ["", "**⚠️ Work against protected factions**"]
    for (system, faction), rows in harm.by_system().items():
        where = plain(system or "an unknown system")
        lines.append(f"• {plain(faction)} in {where}: {_harm_text(rows)}")
    return lines


def post_tick_embeds(
    tick: TickRecord,
    ended: Tick | None,
    activity: Sequence[FactionActivity],
    counts_by_cmdr: dict[str, ActivityCounts],
    war: Sequence[SystemThargoidWar],
    objectives: Sequence[ObjectiveProgress],
    harm: HarmSummary,
    influence: Sequence[str] = (),
) -> list[discord.Embed]:
    if ended is None:
        header = f"The galaxy ticked {ts(tick.tick_time)}; no member data of the tick before it."
    else:
        header = f"The tick from {ts(ended.ticktime)} to {ts(tick.tick_time)}."
    harmers = {row.cmdr for row in harm.rows if row.cmdr}
    lines = [
        *activity_lines(activity, harm, war_totals(war, lambda row: row.system)),
        *contributor_lines(counts_by_cmdr, harmers, war_totals(war, lambda row: row.cmdr)),
        *objective_lines(objectives),
        *harm_lines(harm),
        *influence,
    ]
    return pages("📊 Tick summary", lines, header=header + "\n")


def daily_embeds(day: str, sections: Sequence[Section]) -> list[discord.Embed]:
    return pages(f"📅 Daily summary for {day} (UTC)", section_lines(sections))


def cz_embeds(title: str, day: str, czs: SystemCZs) -> list[discord.Embed]:
    """One system's CZ summary, under the day it reports."""
    return pages(title, [f"{day} (UTC)", *cz_lines(czs)])


# --------------------------------------------------------------------------------------------
# The cog
# --------------------------------------------------------------------------------------------


class Announcements(commands.Cog):
    def __init__(self, bot: Warden) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        services = self.bot.services
        scheduler = services.scheduler
        schedule(
            scheduler, self.post_tick_summaries, POST_TICK, IntervalTrigger(minutes=1, timezone=UTC)
        )
        schedule(
            scheduler, self.daily_summaries, DAILY, CronTrigger(hour=0, minute="*/15", timezone=UTC)
        )
        schedule(
            scheduler,
            self.space_cz_summaries,
            SPACE_CZ,
            CronTrigger(hour=0, minute="1-59/15", timezone=UTC),
        )
        schedule(
            scheduler,
            self.ground_cz_summaries,
            GROUND_CZ,
            CronTrigger(hour=0, minute="2-59/15", timezone=UTC),
        )
        schedule(scheduler, self.conflict_digests, DIGEST, CronTrigger(minute="*/15", timezone=UTC))
        self.bot.outbox.handlers[CHANGE_KIND] = self.post_change

    async def cog_unload(self) -> None:
        services = self.bot.services
        unschedule(services.scheduler, JOBS)
        del self.bot.outbox.handlers[CHANGE_KIND]

    # -- the tick summary ---------------------------------------------------------------------

    async def post_tick_summaries(self, now: datetime | None = None) -> None:
        """Post each guild's summary of the tick that just ended, once it is due: the galaxy
        tick's, or the guild's own tick's where its officers recorded one (`bgs.ticks`)."""
        now = now or datetime.now(UTC)
        db = self.bot.services.db
        galaxy = await galaxy_tick(db)

        async def post(tenant: Tenant) -> None:
            tick = await guild_tick(db, tenant.guild_id, galaxy)
            if tick is None:
                return
            key = tick.tick_time.isoformat()
            due = tick.seen_at + timedelta(minutes=tenant.post_tick_delay_minutes)
            if not due <= now < due + POST_TICK_WINDOW:
                return
            summary = destination_of(tenant, ChannelKind.SUMMARY)
            if summary.channel_id is None:
                no_channel = SkipReason.NO_CHANNEL
                await skipped(self.bot, tenant.guild_id, "post_tick", key, summary, no_channel)
                return
            if await posted(self.bot, tenant.guild_id, "post_tick", key):
                return
            embeds = await self._post_tick_embeds(tenant, tick, now)
            await deliver(self.bot, tenant.guild_id, "post_tick", key, summary, embeds)

        await for_each_tenant(self.bot, "post-tick summary", post)

    async def _post_tick_embeds(
        self, tenant: Tenant, tick: TickRecord, now: datetime
    ) -> list[discord.Embed]:
        async with reading(self.bot.services.db, tenant.guild_id) as session:
            cutoff = tick.tick_time - DUPLICATE_WINDOW
            ended = next((t for t in await latest_ticks(session, 2) if t.ticktime <= cutoff), None)
            activity: list[FactionActivity] = []
            counts_by_cmdr: dict[str, ActivityCounts] = {}
            war: list[SystemThargoidWar] = []
            harm = HarmSummary([])
            if ended is not None:
                period = Period(
                    code="lt",
                    label="The tick that ended",
                    start=ended.ticktime,
                    end=tick.tick_time,
                    tick=ended,
                    description=f"Tick {ended.tickid}",
                    by_time=tick.source == OFFICER,  # the plugin still stamps `ended`
                )
                activity = await activity_summary(session, period)
                counts_by_cmdr = await activity_per_cmdr(session, period)
                war = await thargoid_war(session, period)
                harm = await harm_in(session, period)
            objectives = await list_objectives(session, now=now, active_only=True)
        influence: list[str] = []
        if tenant.faction and tenant.galaxy_summary:
            async with self.bot.services.db.unscoped() as galaxy:
                view = await faction_view(galaxy, tenant.faction)
            if view is not None:
                influence = influence_section(view.faction, view.systems)
        return post_tick_embeds(
            tick, ended, activity, counts_by_cmdr, war, objectives, harm, influence
        )

    # -- the day's summaries ------------------------------------------------------------------

    async def daily_summaries(self, now: datetime | None = None) -> None:
        """The previous UTC day's summary, for guilds that have it on."""
        period = period_for("ld", now or datetime.now(UTC), [])
        assert period.start is not None
        day = period.start.date().isoformat()

        async def post(tenant: Tenant) -> None:
            if not tenant.daily_summary:
                log.info("guild %s: daily summary is off; %s skipped", tenant.guild_id, day)
                return
            summary = destination_of(tenant, ChannelKind.SUMMARY)
            if summary.channel_id is not None and await posted(
                self.bot, tenant.guild_id, "daily", day
            ):
                return
            async with reading(self.bot.services.db, tenant.guild_id) as session:
                rows = await leaderboard(session, period, tenant.faction)
                by_faction = await influence_by_faction(session, period, limit=TOP)
            sections = top_sections(rows, by_faction, tenant.faction)
            if not sections:
                log.info("guild %s: no activity on %s; no daily summary", tenant.guild_id, day)
                return
            await deliver(
                self.bot, tenant.guild_id, "daily", day, summary, daily_embeds(day, sections)
            )

        await for_each_tenant(self.bot, "daily summary", post)

    async def space_cz_summaries(self, now: datetime | None = None) -> None:
        """The previous UTC day's space conflict zones, one post per system."""
        await self._cz_summaries(now, ground=False)

    async def ground_cz_summaries(self, now: datetime | None = None) -> None:
        """The previous UTC day's ground conflict zones, one post per system."""
        await self._cz_summaries(now, ground=True)

    async def _cz_summaries(self, now: datetime | None, *, ground: bool) -> None:
        period = period_for("ld", now or datetime.now(UTC), [])
        assert period.start is not None
        day = period.start.date().isoformat()
        kind, what, title = (
            ("cz_ground", "ground CZ", "🪖 Ground CZs in {}")
            if ground
            else ("cz_space", "space CZ", "🚀 Space CZs in {}")
        )

        async def post(tenant: Tenant) -> None:
            if not tenant.cz_summaries:
                log.info(
                    "guild %s: CZ summaries are off; %s %s skipped", tenant.guild_id, what, day
                )
                return
            summary = destination_of(tenant, ChannelKind.SUMMARY)
            async with reading(self.bot.services.db, tenant.guild_id) as session:
                systems = (
                    await ground_czs(session, period)
                    if ground
                    else await space_czs(session, period)
                )
            if not systems:
                log.info("guild %s: no %ss on %s", tenant.guild_id, what, day)
            for czs in systems:
                system = cz_system(czs)
                key = f"{day}:{system}"
                if summary.channel_id is not None and await posted(
                    self.bot, tenant.guild_id, kind, key
                ):
                    continue
                embeds = cz_embeds(title.format(plain(system)), day, czs)
                await deliver(self.bot, tenant.guild_id, kind, key, summary, embeds)

        await for_each_tenant(self.bot, f"{what} summary", post)

    # -- conflicts ----------------------------------------------------------------------------

    async def conflict_digests(self, now: datetime | None = None) -> None:
        """At each guild's digest hours: its faction's conflicts in the current tick."""
        now = now or datetime.now(UTC)
        key = now.strftime("%Y-%m-%dT%H")
        galaxy = await galaxy_tick(self.bot.services.db)

        async def post(tenant: Tenant) -> None:
            if not tenant.conflict_digest or now.hour not in tenants.digest_hours(tenant):
                return
            if not tenant.faction:
                log.info("guild %s: no faction set; conflict digest skipped", tenant.guild_id)
                return
            conflict = destination_of(tenant, ChannelKind.CONFLICT)
            if conflict.channel_id is not None and await posted(
                self.bot, tenant.guild_id, "conflict_digest", key
            ):
                return
            tick = await guild_tick(self.bot.services.db, tenant.guild_id, galaxy)
            async with self.bot.services.db.tenant(tenant.guild_id) as session:
                if tick is not None:
                    since = tick.tick_time
                else:
                    known = await latest_ticks(session, 1)
                    if not known:
                        log.info("guild %s: no tick known; no conflict digest", tenant.guild_id)
                        return
                    since = known[0].ticktime
                entries = await conflict_digest(session, tenant.faction, since, now)
            if not entries:
                log.info("guild %s: no conflicts of %s this tick", tenant.guild_id, tenant.faction)
                return
            embeds = digest_embeds(tenant.faction, entries)
            await deliver(self.bot, tenant.guild_id, "conflict_digest", key, conflict, embeds)

        await for_each_tenant(self.bot, "conflict digest", post)

    async def post_change(self, entry: Entry) -> Outcome:
        """The outbox's conflict changes: the guild's faction's to its conflict channel, a
        protected faction's to that faction's channel, else to the alerts channel."""
        change = ConflictChange.from_payload(entry.payload)
        async with self.bot.services.db.tenant(entry.guild_id) as session:
            tenant = await tenants.get_tenant(session)
            protected = {info.name: info.channel_id for info in await list_protected(session)}
        if tenant is None or tenant.left_at is not None:
            return Outcome.NO_CHANNEL
        if change.guild_faction:
            destination = destination_of(tenant, ChannelKind.CONFLICT)
        else:
            alerts = destination_of(tenant, ChannelKind.ALERTS)
            channel_id = protected.get(change.subject.name) or alerts.channel_id
            destination = Destination(channel_id, ChannelKind.ALERTS, protected=True)
        embeds = [change_embed(change)]
        return await deliver(self.bot, entry.guild_id, CHANGE_KIND, entry.key, destination, embeds)


async def setup(bot: Warden) -> None:
    await bot.add_cog(Announcements(bot))
