"""What scheduled and event-driven posts share: the scheduler's job options, the guilds this
process serves, one guild's failure kept from the others, and delivery through the post ledger
with its outcome."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any

import discord
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bgs import ledger, tenants
from bgs.skips import Destination
from cogs._bot import Warden
from cogs._posting import post_once
from db.models import Tenant

log = logging.getLogger(__name__)

MISFIRE_GRACE = 600  # seconds a late run (a busy loop) still runs


def schedule(
    scheduler: AsyncIOScheduler,
    job: Callable[[], Awaitable[None]],
    job_id: str,
    trigger: BaseTrigger,
    **options: Any,
) -> None:
    """Add (or replace) a job: never two runs of it at once, missed runs coalesced into one."""
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


def unschedule(scheduler: AsyncIOScheduler, job_ids: Iterable[str]) -> None:
    """Remove the jobs (those not scheduled are skipped)."""
    for job_id in job_ids:
        try:
            scheduler.remove_job(job_id)
        except JobLookupError:
            log.debug("job %s was not scheduled", job_id)


class Outcome(StrEnum):
    """What `deliver` did."""

    POSTED = "posted"
    EXISTS = "exists"  # posted before, or another process is sending it right now
    FAILED = "failed"  # the send failed; the claim is freed, so a later run may retry
    NO_CHANNEL = "no channel"

    @property
    def done(self) -> bool:
        """Nothing is left to retry."""
        return self is not Outcome.FAILED


async def served_tenants(bot: Warden) -> list[Tenant]:
    """The configured tenants (guild row present, not left) among the guilds of this process's
    shards: a job acts only for these."""
    served = []
    for guild in bot.guilds:
        async with bot.services.db.tenant(guild.id) as session:
            tenant = await tenants.get_tenant(session)
        if tenant is not None and tenant.left_at is None:
            served.append(tenant)
    return served


async def for_each_tenant(
    bot: Warden, job: str, action: Callable[[Tenant], Awaitable[None]]
) -> None:
    """Run `action` for every served tenant; one guild's failure is logged, the others go on."""
    for tenant in await served_tenants(bot):
        try:
            await action(tenant)
        except Exception:
            log.exception("%s failed for guild %s", job, tenant.guild_id)


async def posted(bot: Warden, guild_id: int, kind: str, key: str) -> bool:
    """Whether (kind, key) is already posted in the guild (checked before building a post)."""
    entry = await ledger.find(bot.services.db, guild_id, kind, key)
    return entry is not None and entry.posted


async def deliver(
    bot: Warden,
    guild_id: int,
    kind: str,
    key: str,
    destination: Destination,
    embeds: Sequence[discord.Embed],
) -> Outcome:
    """`post_once`, telling a failed send (to retry) from a post that exists already."""
    if await post_once(bot, guild_id, kind, key, destination, embeds) is not None:
        return Outcome.POSTED
    if destination.channel_id is None:
        return Outcome.NO_CHANNEL
    entry = await ledger.find(bot.services.db, guild_id, kind, key)
    return Outcome.FAILED if entry is None else Outcome.EXISTS
