"""Buckets: which rows of a grain a period is the union of.

Every event counts in one day bucket (with its tick id), one month and one year bucket; a tally
in those of its tick time. A tick period is the day rows of its tick id: the plugin stamps every
event and tally with the tick it belongs to, so a tick recorded late cannot cut a bucket, and
a day holds parts of several ticks without mixing them. A calendar period is whole days, so it
is the union of the day rows in its bounds; when its bounds are month (year) starts, of the
month (year) rows, far fewer. `all` is every year row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, false, select

from bgs.periods import Period
from db.models import Activity

DAY, MONTH, YEAR = "d", "m", "y"
GRAINS = (DAY, MONTH, YEAR)
NO_TICK = ""  # the tick id of month and year rows, and of events sent without one
VISIT, EARLY, CUT = 1, 2, 4  # event rows' `flags` (`bgs.rollups.events`); EARLY, CUT: day rows


def truncate(instant: datetime, grain: str) -> datetime:
    """The start of the bucket of `grain` holding `instant` (UTC)."""
    moment = instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == DAY:
        return moment
    if grain == MONTH:
        return moment.replace(day=1)
    return moment.replace(month=1, day=1)


def following(bucket: datetime, grain: str) -> datetime:
    """The start of the bucket after `bucket` (a bucket start of `grain`)."""
    if grain == YEAR:
        return bucket.replace(year=bucket.year + 1)
    if grain == MONTH:
        return bucket.replace(year=bucket.year + bucket.month // 12, month=bucket.month % 12 + 1)
    return datetime.fromordinal(bucket.toordinal() + 1).replace(tzinfo=UTC)


def buckets(instant: datetime | None, tickid: str | None) -> tuple[tuple[str, Any, str], ...]:
    """(grain, bucket start, tick id) of the buckets a row at `instant` counts in."""
    tick = tickid or NO_TICK
    if instant is None:
        return ((DAY, None, tick), (MONTH, None, NO_TICK), (YEAR, None, NO_TICK))
    return _dated(instant.astimezone(UTC).date(), tick)


@lru_cache(maxsize=4096)
def _dated(day: date, tickid: str) -> tuple[tuple[str, Any, str], ...]:
    """`buckets` of a day (every event of a batch shares its few days and ticks)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    month, year = start.replace(day=1), start.replace(month=1, day=1)
    return ((DAY, start, tickid), (MONTH, month, NO_TICK), (YEAR, year, NO_TICK))


def grain_of(start: datetime, end: datetime) -> str:
    """The coarsest grain of which `[start, end)` is a union of whole buckets."""
    for grain in (YEAR, MONTH):
        if truncate(start, grain) == start and truncate(end, grain) == end:
            return grain
    return DAY


def scope(period: Period, table: Any, *, tick_first: bool = False) -> list[ColumnElement[bool]]:
    """Conditions selecting the rollup rows of `table` whose union is `period`. `tick_first`
    says as well that month and year rows have no tick id, for an index with the tick id
    before the bucket (`ix_event_rollups_sums`): without it, the index could not seek the rows."""
    if period.by_time:
        return _cut(period, table)
    if period.by_tick:
        if period.tick is None:
            return [false()]
        return [table.grain == DAY, table.tickid == period.tick.tickid]
    if period.start is None or period.end is None:
        rows = [table.grain == YEAR]
    else:
        grain = grain_of(period.start, period.end)
        rows = [table.grain == grain, table.bucket >= period.start, table.bucket < period.end]
        if grain == DAY:
            return rows
    return [*rows, table.tickid == NO_TICK] if tick_first else rows


def _cut(period: Period, table: Any) -> list[ColumnElement[bool]]:
    """A tick period an officer's tick cuts (`bgs.periods`): `ct` (no end) is the day rows of
    events stamped at or after it (flag `CUT`), `lt` the rest of the tick before. A tally
    belongs to its tick whole (no flags): `lt` holds the tick's, `ct` those of ticks from the
    officer's on (only forced ones: a tick the guild knows from then on ends the cut)."""
    flags = getattr(table, "flags", None)
    if period.end is None:
        if period.start is None:
            return [false()]
        if flags is None:
            later = select(Activity.tickid).where(Activity.ticktime >= period.start)
            return [table.grain == DAY, table.tickid.in_(later)]
        return [
            table.grain == DAY,
            table.bucket >= truncate(period.start, DAY),
            flags.op("&")(CUT) != 0,
        ]
    if period.tick is None:
        return [false()]
    tick = [table.grain == DAY, table.tickid == period.tick.tickid]
    return tick if flags is None else [*tick, flags.op("&")(CUT) == 0]


def since(instant: datetime, table: Any) -> list[ColumnElement[bool]]:
    """Conditions selecting the `sys` rows holding the events from `instant` on (with the
    newest one's time from `instant` on): the rows of the coarsest grain whose buckets
    `instant` starts, from its bucket on."""
    grain = next((g for g in (YEAR, MONTH) if truncate(instant, g) == instant), DAY)
    return [
        table.grain == grain,
        table.bucket >= truncate(instant, grain),
        table.newest >= instant,
    ]
