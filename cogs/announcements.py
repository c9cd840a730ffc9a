"""Automatic posts: the scheduled jobs and the conflict changes as they arrive.

Every job is a plain coroutine taking an optional `now` (tests call them directly) and acts
only for the guilds this process serves (`cogs._jobs.served_tenants`); one guild's failure is
logged and the others go on. Every post goes through the post ledger, so a restart or a second
process never posts the same (kind, key) twice, and a failed send is retried by a later run:

=====================  ==============================  ================  ====================
job                    when (UTC)                      ledger kind       key
=====================  ==============================  ================  ====================
tick poll              every TICK_POLL_MINUTES (env)   tick              tick time
post-tick summary      checked every minute: due N     post_tick         tick time
                       min after the tick was seen
daily summary          00:00 (again :15 :30 :45)       daily             the day
space CZ summary       00:01 (again :16 :31 :46)       cz_space          day:system
ground CZ summary      00:02 (again :17 :32 :47)       cz_ground         day:system
conflict digest        every hour at :00 (again :15    conflict_digest   day and hour
                       :30 :45) for the guild's hours
conflict change        as events arrive; a failed      conflict_change   the change
                       send is retried every minute
=====================  ==============================  ================  ====================

N is the guild's `post_tick_delay_minutes`; the summary is still posted for `POST_TICK_WINDOW`
after it is due (a restart in between), never later. The later runs in an hour are for
retries: what is posted already is skipped before anything is built (a digest whose first
conflict arrives after :00 is posted by them, late).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

import discord
from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from discord.ext import commands

from bgs import tenants
from bgs.alerts import IngestAlerts
from bgs.conflicts import ConflictChange, conflict_digest
from bgs.objectives import VISIT, ObjectiveProgress, TargetProgress, list_objectives
from bgs.periods import Period, Tick, latest_ticks, period_for
from bgs.protected import (
    KIND_LABELS,
    KIND_UNITS,
    HarmSummary,
    HarmTotal,
    harm_summary,
    list_protected,
)
from bgs.summaries import (
    ActivityCounts,
    CmdrMetrics,
    CZCount,
    FactionActivity,
    FactionInfluence,
    GroundCZ,
    SpaceCZ,
    activity_by_cmdr,
    activity_summary,
    cz_totals,
    ground_czs,
    influence_by_faction,
    leaderboard,
    ranked,
    space_czs,
)
from bgs.ticks import DUPLICATE_WINDOW, TickRecord, latest_tick
from cogs._jobs import deliver, for_each_tenant, posted
from cogs._ui import abbreviate, number, pages, progress_bar, ts
from cogs.conflicts import change_embed, digest_embeds
from db.models import Guild
from settings import ChannelKind

if TYPE_CHECKING:
    from bot import WardenBot
    from cogs.ticks import Ticks

log = logging.getLogger(__name__)

TICK_POLL: Final = "tick-poll"
POST_TICK: Final = "post-tick-summary"
DAILY: Final = "daily-summary"
SPACE_CZ: Final = "space-cz-summary"
GROUND_CZ: Final = "ground-cz-summary"
DIGEST: Final = "conflict-digest"
CHANGE_RETRY: Final = "conflict-change-retry"
JOBS: Final = (TICK_POLL, POST_TICK, DAILY, SPACE_CZ, GROUND_CZ, DIGEST, CHANGE_RETRY)

FIRST_POLL_AFTER = timedelta(seconds=15)  # let the gateway fill the guild cache first
MISFIRE_GRACE = 600  # seconds a late run (a busy loop) still runs
POST_TICK_WINDOW = timedelta(hours=2)  # after it is due, the post-tick summary is still wanted
LATEST_DELAY = timedelta(minutes=180)  # the largest delay `/config schedule` accepts
CHANGE_RETRY_FOR = timedelta(hours=1)
TOP = 5
TOP_CONTRIBUTORS = 10


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


def figures(counts: ActivityCounts) -> str:
    """The non-zero counters of a tally, short: 'INF +3 · bounties 250K · space CZ 1 (L0 M0 H1)'."""
    murders = counts.murders_ground + counts.murders_space
    items = [
        (counts.influence, f"INF {counts.influence:+,}"),
        (counts.bounty_vouchers, f"bounties {abbreviate(counts.bounty_vouchers)}"),
        (counts.combat_bonds, f"bonds {abbreviate(counts.combat_bonds)}"),
        (counts.trade_sell_profit, f"trade profit {abbreviate(counts.trade_sell_profit)}"),
        (counts.trade_buy_value, f"bought {abbreviate(counts.trade_buy_value)}"),
        (counts.black_market, f"black market {abbreviate(counts.black_market)}"),
        (counts.exploration, f"exploration {abbreviate(counts.exploration)}"),
        (counts.exobiology, f"exobiology {abbreviate(counts.exobiology)}"),
        (counts.cz_space.total, f"space CZ {sizes(counts.cz_space)}"),
        (counts.cz_ground.total, f"ground CZ {sizes(counts.cz_ground)}"),
        (counts.scenarios, f"scenarios {counts.scenarios}"),
        (counts.mission_fails, f"failed missions {counts.mission_fails}"),
        (murders, f"murders {murders}"),
    ]
    return " · ".join(text for value, text in items if value) or "no activity"


def sizes(count: CZCount) -> str:
    """'3 (L1 M1 H1)'."""
    return f"{count.total} (L{count.low} M{count.medium} H{count.high})"


def credits_of(counts: ActivityCounts) -> int:
    return (
        counts.bounty_vouchers
        + counts.combat_bonds
        + counts.trade_sell_profit
        + counts.black_market
        + counts.exploration
        + counts.exobiology
    )


def _harm_text(rows: Iterable[HarmTotal]) -> str:
    return ", ".join(
        f"{row.cmdr or 'unknown cmdr'}: {KIND_LABELS[row.kind]} ×{row.count}"
        + (f" ({number(abs(row.amount))} {KIND_UNITS[row.kind]})" if row.amount else "")
        for row in rows
    )


def activity_lines(activity: Sequence[FactionActivity], harm: HarmSummary) -> list[str]:
    """By system → faction; systems where a protected faction was harmed are marked."""
    harmed_systems = {system for system, _ in harm.by_system()}
    by_system: dict[str, list[FactionActivity]] = defaultdict(list)
    for row in activity:
        by_system[row.system].append(row)
    lines = ["**Activity by system**"]
    for system, rows in by_system.items():
        mark = " ⚠️" if system in harmed_systems else ""
        lines.append(f"__{system}__{mark}")
        for row in rows:
            state = f" ({row.state})" if row.state and row.state != "None" else ""
            lines.append(f"• {row.faction}{state}: {figures(row.counts)}")
    if not by_system:
        lines.append("No activity reported by members for this tick.")
    return lines


def contributor_lines(counts_by_cmdr: dict[str, ActivityCounts], harmers: set[str]) -> list[str]:
    ranking = sorted(
        counts_by_cmdr.items(),
        key=lambda item: (-item[1].influence, -credits_of(item[1]), item[0].casefold()),
    )[:TOP_CONTRIBUTORS]
    lines = ["", "**Top contributors**"]
    for place, (cmdr, counts) in enumerate(ranking, start=1):
        mark = " ⚠️" if cmdr in harmers else ""
        lines.append(f"{place}. {cmdr}{mark} — {figures(counts)}")
    return lines if ranking else []


def target_line(target: TargetProgress) -> str:
    if target.type == VISIT:
        return f"• {target.label}: {'✅ visited' if target.progress else 'not visited yet'}"
    goal = f" / {number(target.target_overall)}" if target.target_overall else ""
    done = " ✅" if target.complete else ""
    return f"• {target.label}: {number(target.progress)}{goal} {target.kind.unit}{done}"


def objective_lines(objectives: Sequence[ObjectiveProgress]) -> list[str]:
    if not objectives:
        return []
    lines = ["", "**Objectives**"]
    for objective in objectives:
        share = objective.completion
        bar = progress_bar(share, 1) if share is not None else "open-ended"
        lines.append(f"__{objective.title}__ {bar}")
        lines += [target_line(target) for target in objective.targets]
    return lines


def harm_lines(harm: HarmSummary) -> list[str]:
    if not harm.rows:
        return []
    lines = ["", "**⚠️ Work against protected factions**"]
    for (system, faction), rows in harm.by_system().items():
        lines.append(f"• {faction} in {system or 'an unknown system'}: {_harm_text(rows)}")
    return lines


def post_tick_embeds(
    tick: TickRecord,
    ended: Tick | None,
    activity: Sequence[FactionActivity],
    counts_by_cmdr: dict[str, ActivityCounts],
    objectives: Sequence[ObjectiveProgress],
    harm: HarmSummary,
) -> list[discord.Embed]:
    if ended is None:
        header = f"The galaxy ticked {ts(tick.tick_time)}; no member data of the tick before it."
    else:
        header = f"The tick from {ts(ended.ticktime)} to {ts(tick.tick_time)}."
    harmers = {row.cmdr for row in harm.rows if row.cmdr}
    lines = [
        *activity_lines(activity, harm),
        *contributor_lines(counts_by_cmdr, harmers),
        *objective_lines(objectives),
        *harm_lines(harm),
    ]
    return pages("📊 Tick summary", lines, header=header + "\n")


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the daily summary: a title and its numbered lines."""

    title: str
    lines: list[str]


def _numbered(items: Iterable[str]) -> list[str]:
    return [f"{place}. {text}" for place, text in enumerate(items, start=1)]


def daily_sections(
    rows: Sequence[CmdrMetrics], by_faction: Sequence[FactionInfluence], faction: str | None
) -> list[Section]:
    """The reference's sections (market, missions, influence by faction and for the guild's
    faction, bounties, bonds, exploration, fines), top five each, empty ones left out."""

    def top(metric: str, text: Callable[[CmdrMetrics], str]) -> list[str]:
        best = [row for row in ranked(rows, metric) if row.value(metric) > 0][:TOP]
        return _numbered(f"{row.cmdr} — {text(row)}" for row in best)

    sections = [
        Section(
            "📦 Market",
            top(
                "trade_volume",
                lambda r: f"{number(r.trade_volume)} Cr · {number(r.tonnage)} t",
            ),
        ),
        Section(
            "📜 Missions completed",
            top("missions_completed", lambda r: number(r.missions_completed)),
        ),
        Section(
            "🗳️ Influence by faction",
            _numbered(
                f"{row.cmdr} — {row.faction} {row.influence:+,}"
                for row in by_faction
                if row.influence > 0
            ),
        ),
    ]
    if faction:
        sections.append(
            Section(f"🗳️ Influence for {faction}", top("influence", lambda r: f"{r.influence:+,}"))
        )
    sections += [
        Section(
            "💰 Bounty vouchers",
            top("bounty_vouchers", lambda r: f"{number(r.bounty_vouchers)} Cr"),
        ),
        Section("⚔️ Combat bonds", top("combat_bonds", lambda r: f"{number(r.combat_bonds)} Cr")),
        Section(
            "🔭 Exploration data",
            top("exploration_sales", lambda r: f"{number(r.exploration_sales)} Cr"),
        ),
        Section(
            "🚨 Bounties and fines", top("bounty_fines", lambda r: f"{number(r.bounty_fines)} Cr")
        ),
    ]
    return [section for section in sections if section.lines]


def daily_embeds(day: str, sections: Sequence[Section]) -> list[discord.Embed]:
    lines: list[str] = []
    for section in sections:
        lines += [f"**{section.title}**", *section.lines, ""]
    return pages(f"📅 Daily summary for {day} (UTC)", lines[:-1])


def cz_embeds(title: str, day: str, rows: Sequence[SpaceCZ | GroundCZ]) -> list[discord.Embed]:
    """One system's CZ summary: the total by size, for which factions, the settlements (ground
    CZs) and the cmdrs."""
    total = sum((row.count for row in rows), CZCount())
    lines = [f"{day} (UTC)", f"**Total: {sizes(total)}**", "", "**Fought for**"]
    factions = cz_totals(rows, lambda row: row.faction or "unknown faction")
    for faction, count in sorted(factions.items(), key=lambda item: (-item[1].total, item[0])):
        lines.append(f"• {faction}: {sizes(count)}")
    ground = [row for row in rows if isinstance(row, GroundCZ)]
    if ground:
        lines += ["", "**Settlements**"]
        settlements = cz_totals(ground, lambda row: row.settlement or "unknown settlement")
        for settlement, count in sorted(settlements.items(), key=lambda i: (-i[1].total, i[0])):
            lines.append(f"• {settlement}: {count.total}")
    lines += ["", "**Cmdrs**"]
    by_cmdr = cz_totals(rows, lambda row: row.cmdr)
    ranking = sorted(by_cmdr.items(), key=lambda item: (-item[1].total, item[0]))
    lines += _numbered(f"{cmdr} — {sizes(count)}" for cmdr, count in ranking)
    return pages(title, lines)


# --------------------------------------------------------------------------------------------
# The cog
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unsent:
    """A conflict-change post whose send failed, kept for the retry job."""

    guild_id: int
    key: str
    channel_id: int
    embeds: list[discord.Embed]
    failed_at: datetime


class Announcements(commands.Cog):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        self._unsent: dict[tuple[int, str], Unsent] = {}

    async def cog_load(self) -> None:
        services = self.bot.services
        scheduler = services.scheduler
        now = datetime.now(UTC)

        def add(job: Callable[[], Any], job_id: str, trigger: Any, **options: Any) -> None:
            scheduler.add_job(
                job,
                trigger,
                id=job_id,
                name=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE,
                **options,
            )

        minutes = services.settings.tick_poll_minutes
        add(
            self.tick_poll,
            TICK_POLL,
            IntervalTrigger(minutes=minutes, timezone=UTC),
            next_run_time=now + FIRST_POLL_AFTER,
        )
        add(self.post_tick_summaries, POST_TICK, IntervalTrigger(minutes=1, timezone=UTC))
        add(self.daily_summaries, DAILY, CronTrigger(hour=0, minute="*/15", timezone=UTC))
        add(self.space_cz_summaries, SPACE_CZ, CronTrigger(hour=0, minute="1-59/15", timezone=UTC))
        add(
            self.ground_cz_summaries, GROUND_CZ, CronTrigger(hour=0, minute="2-59/15", timezone=UTC)
        )
        add(self.conflict_digests, DIGEST, CronTrigger(minute="*/15", timezone=UTC))
        add(self.retry_changes, CHANGE_RETRY, IntervalTrigger(minutes=1, timezone=UTC))
        services.alert_subscribers.append(self.on_alerts)

    async def cog_unload(self) -> None:
        services = self.bot.services
        for job_id in JOBS:
            try:
                services.scheduler.remove_job(job_id)
            except JobLookupError:
                log.debug("job %s was not scheduled", job_id)
        services.alert_subscribers.remove(self.on_alerts)

    # -- the tick -----------------------------------------------------------------------------

    async def tick_poll(self, now: datetime | None = None) -> None:
        """Poll the tick sources; the Ticks cog announces a new tick."""
        if not self.bot.is_ready():
            log.info("tick poll skipped: not connected to Discord yet")
            return
        ticks = self.bot.get_cog("Ticks")
        if ticks is None:
            raise RuntimeError("the tick poll needs the cogs.ticks extension")
        # Extensions are loaded as fresh modules: the cog is found by name, not by class.
        await cast("Ticks", ticks).poll(now)

    async def post_tick_summaries(self, now: datetime | None = None) -> None:
        """Post each guild's summary of the tick that just ended, once it is due."""
        now = now or datetime.now(UTC)
        db = self.bot.services.db
        async with db.unscoped() as session:
            tick = await latest_tick(session)
        if tick is None or not tick.seen_at <= now < tick.seen_at + LATEST_DELAY + POST_TICK_WINDOW:
            return
        key = tick.tick_time.isoformat()

        async def post(guild: Guild) -> None:
            due = tick.seen_at + timedelta(minutes=guild.post_tick_delay_minutes)
            if not due <= now < due + POST_TICK_WINDOW:
                return
            channel_id = tenants.channel_of(guild, ChannelKind.SUMMARY)
            if channel_id is None:
                log.debug("guild %s: no summary channel; post-tick summary skipped", guild.guild_id)
                return
            if await posted(self.bot, guild.guild_id, "post_tick", key):
                return
            embeds = await self._post_tick_embeds(guild, tick, now)
            await deliver(self.bot, guild.guild_id, "post_tick", key, channel_id, embeds)

        await for_each_tenant(self.bot, "post-tick summary", post)

    async def _post_tick_embeds(
        self, guild: Guild, tick: TickRecord, now: datetime
    ) -> list[discord.Embed]:
        async with self.bot.services.db.tenant(guild.guild_id) as session:
            cutoff = tick.tick_time - DUPLICATE_WINDOW
            ended = next((t for t in await latest_ticks(session, 2) if t.ticktime <= cutoff), None)
            activity: list[FactionActivity] = []
            counts_by_cmdr: dict[str, ActivityCounts] = defaultdict(ActivityCounts)
            harm = HarmSummary([])
            if ended is not None:
                period = Period(
                    code="lt",
                    label="The tick that ended",
                    start=ended.ticktime,
                    end=tick.tick_time,
                    tick=ended,
                    description=f"Tick {ended.tickid}",
                )
                activity = await activity_summary(session, period)
                for row in await activity_by_cmdr(session, period):
                    counts_by_cmdr[row.cmdr] += row.counts
                harm = await harm_summary(session, tickids=[ended.tickid])
            objectives = await list_objectives(session, now=now, active_only=True)
        return post_tick_embeds(tick, ended, activity, counts_by_cmdr, objectives, harm)

    # -- the day's summaries ------------------------------------------------------------------

    async def daily_summaries(self, now: datetime | None = None) -> None:
        """The previous UTC day's summary, for guilds that have it on."""
        period = period_for("ld", now or datetime.now(UTC), [])
        assert period.start is not None
        day = period.start.date().isoformat()

        async def post(guild: Guild) -> None:
            if not guild.daily_summary:
                log.info("guild %s: daily summary is off; %s skipped", guild.guild_id, day)
                return
            channel_id = tenants.channel_of(guild, ChannelKind.SUMMARY)
            if channel_id is not None and await posted(self.bot, guild.guild_id, "daily", day):
                return
            async with self.bot.services.db.tenant(guild.guild_id) as session:
                rows = await leaderboard(session, period, guild.faction)
                by_faction = await influence_by_faction(session, period, limit=TOP)
            sections = daily_sections(rows, by_faction, guild.faction)
            if not sections:
                log.info("guild %s: no activity on %s; no daily summary", guild.guild_id, day)
                return
            await deliver(
                self.bot, guild.guild_id, "daily", day, channel_id, daily_embeds(day, sections)
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

        async def post(guild: Guild) -> None:
            if not guild.cz_summaries:
                log.info("guild %s: CZ summaries are off; %s %s skipped", guild.guild_id, what, day)
                return
            channel_id = tenants.channel_of(guild, ChannelKind.SUMMARY)
            async with self.bot.services.db.tenant(guild.guild_id) as session:
                rows: Sequence[SpaceCZ | GroundCZ] = (
                    await ground_czs(session, period)
                    if ground
                    else await space_czs(session, period)
                )
            by_system: dict[str, list[SpaceCZ | GroundCZ]] = defaultdict(list)
            for row in rows:
                by_system[row.system or "unknown system"].append(row)
            if not by_system:
                log.info("guild %s: no %ss on %s", guild.guild_id, what, day)
            for system, system_rows in sorted(by_system.items()):
                key = f"{day}:{system}"
                if channel_id is not None and await posted(self.bot, guild.guild_id, kind, key):
                    continue
                embeds = cz_embeds(title.format(system), day, system_rows)
                await deliver(self.bot, guild.guild_id, kind, key, channel_id, embeds)

        await for_each_tenant(self.bot, f"{what} summary", post)

    # -- conflicts ----------------------------------------------------------------------------

    async def conflict_digests(self, now: datetime | None = None) -> None:
        """At each guild's digest hours: its faction's conflicts in the current tick."""
        now = now or datetime.now(UTC)
        key = now.strftime("%Y-%m-%dT%H")
        async with self.bot.services.db.unscoped() as session:
            galaxy = await latest_tick(session)

        async def post(guild: Guild) -> None:
            if not guild.conflict_digest or now.hour not in tenants.digest_hours(guild):
                return
            if not guild.faction:
                log.info("guild %s: no faction set; conflict digest skipped", guild.guild_id)
                return
            channel_id = tenants.channel_of(guild, ChannelKind.CONFLICT)
            if channel_id is not None and await posted(
                self.bot, guild.guild_id, "conflict_digest", key
            ):
                return
            async with self.bot.services.db.tenant(guild.guild_id) as session:
                if galaxy is not None:
                    since = galaxy.tick_time
                else:
                    known = await latest_ticks(session, 1)
                    if not known:
                        log.info("guild %s: no tick known; no conflict digest", guild.guild_id)
                        return
                    since = known[0].ticktime
                entries = await conflict_digest(session, guild.faction, since, now)
            if not entries:
                log.info("guild %s: no conflicts of %s this tick", guild.guild_id, guild.faction)
                return
            embeds = digest_embeds(guild.faction, entries)
            await deliver(self.bot, guild.guild_id, "conflict_digest", key, channel_id, embeds)

        await for_each_tenant(self.bot, "conflict digest", post)

    async def on_alerts(self, guild_id: int, alerts: IngestAlerts) -> None:
        """Post a stored batch's conflict changes: the guild's faction's to its conflict
        channel, a protected faction's to that faction's channel, else to the alerts channel."""
        if not alerts.conflict_changes:
            return
        if self.bot.get_guild(guild_id) is None:
            log.warning(
                "guild %s: %d conflict change(s) not posted: the guild is not on this process's "
                "shards",
                guild_id,
                len(alerts.conflict_changes),
            )
            return
        async with self.bot.services.db.tenant(guild_id) as session:
            guild = await tenants.get_guild(session)
            protected = {info.name: info.channel_id for info in await list_protected(session)}
        if guild is None or guild.left_at is not None:
            return
        now = datetime.now(UTC)
        for change in alerts.conflict_changes:
            try:
                await self._post_change(guild, protected, change, now)
            except Exception:
                log.exception("guild %s: conflict change %s failed", guild_id, change.ledger_key)

    async def _post_change(
        self,
        guild: Guild,
        protected: dict[str, int | None],
        change: ConflictChange,
        now: datetime,
    ) -> None:
        if change.guild_faction:
            channel_id = tenants.channel_of(guild, ChannelKind.CONFLICT)
        else:
            channel_id = protected.get(change.subject.name) or tenants.channel_of(
                guild, ChannelKind.ALERTS
            )
        key = change.ledger_key
        embeds = [change_embed(change)]
        outcome = await deliver(
            self.bot, guild.guild_id, "conflict_change", key, channel_id, embeds
        )
        if not outcome.done and channel_id is not None:
            self._unsent[guild.guild_id, key] = Unsent(guild.guild_id, key, channel_id, embeds, now)

    async def retry_changes(self, now: datetime | None = None) -> None:
        """Send again the conflict changes whose send failed (for `CHANGE_RETRY_FOR`)."""
        now = now or datetime.now(UTC)
        for ref, unsent in list(self._unsent.items()):
            if now - unsent.failed_at > CHANGE_RETRY_FOR:
                log.warning(
                    "guild %s: conflict change %s given up after %s",
                    unsent.guild_id,
                    unsent.key,
                    CHANGE_RETRY_FOR,
                )
                del self._unsent[ref]
                continue
            outcome = await deliver(
                self.bot,
                unsent.guild_id,
                "conflict_change",
                unsent.key,
                unsent.channel_id,
                unsent.embeds,
            )
            if outcome.done:
                del self._unsent[ref]


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(Announcements(bot))
