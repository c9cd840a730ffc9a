"""Reporting periods: the codes `ct lt cd ld cw lw cm lm 2m y all` (reference.md §3), resolved to
exact bounds.

* Calendar periods are half-open UTC intervals `[start, end)` of instants: `cd` today, `ld`
  yesterday, `cw` this ISO week (from Monday 00:00), `lw` last week, `cm` this month, `lm` last
  month, `2m` the two full months before this one, `y` this year. Summaries filter them on
  the rows' `timestamp`; activity tallies (one per cmdr and tick) by their tick time, so a tick
  belongs to the day, week or month in which it started.
* Tick periods filter by `tickid`. The guild's ticks are the distinct tick ids of its events
  and activity tallies, ordered by their **tick time** (never by which row came first): `ct`
  is the newest, `lt` the one before it. A late event sent under an old tick therefore cannot
  move the current tick. Ticks without a tick time (`unknown_tickid`) cannot be ordered and are
  skipped, and so are forced ticks (`frc-…`): one cmdr's private tick must not become the
  squadron's current tick. With no tick known, `ct` and `lt` are empty; with one tick known,
  `lt` is empty (no earlier tick is known), never "everything".
* An officer's tick (`/tick set`, `bgs.ticks`) that is the guild's tick and later than every
  tick its data knows (by `DUPLICATE_WINDOW`) cuts the tick periods **by time**: the plugin
  still stamps the tick it knows, so `ct` is everything stamped from the officer's tick on and
  `lt` the newest known tick's data stamped before it. An activity tally belongs to its tick
  whole, so a tally the plugin keeps for its tick stays in `lt`. A tick the data reports at or
  after the officer's (give or take the window) ends the cut: periods follow tick ids again.
* `all` has no bound.
* A period may also name one of the guild's ticks by its tick id (as the plugin sends it):
  that tick, selected by tick id like `ct`, from its tick time to the next tick's. Commands
  offer the guild's last `TICK_CHOICES` ticks with their times as the member types.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.errors import DomainError
from bgs.names import CHOICES_LIMIT
from bgs.ticks import DUPLICATE_WINDOW, OFFICER, guild_view, latest_guild_tick, latest_tick
from db.models import Activity, Event

log = logging.getLogger(__name__)

PERIOD_CODES = ("ct", "lt", "cd", "ld", "cw", "lw", "cm", "lm", "2m", "y", "all")
DEFAULT_PERIOD = "ct"
TICK_CODES = frozenset({"ct", "lt"})
NAMED_TICK = "tick"  # the code of a period that names one of the guild's ticks
FORCED_TICK_PREFIX = "frc-"
TICK_CHOICES = 20  # the guild's ticks offered as a member types a period

LABELS = {
    "ct": "Current tick",
    "lt": "Last tick",
    "cd": "Today",
    "ld": "Yesterday",
    "cw": "This week",
    "lw": "Last week",
    "cm": "This month",
    "lm": "Last month",
    "2m": "Previous two months",
    "y": "This year",
    "all": "All time",
}


class UnknownPeriodError(DomainError, ValueError):
    """A period that is neither one of `PERIOD_CODES` nor one of the guild's ticks."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"unknown period {code!r}: use one of {', '.join(PERIOD_CODES)}, or one of this "
            "server's ticks (offered as you type)"
        )
        self.code = code


@dataclass(frozen=True, slots=True)
class Tick:
    """One of the guild's ticks: its id as the plugin sends it and its tick time."""

    tickid: str
    ticktime: datetime


@dataclass(frozen=True, slots=True)
class Period:
    """A resolved period.

    Calendar periods have `start`/`end` (half-open, UTC). Tick periods have `tick` (None when no
    such tick is known: the period is empty) and, for display, `start` = that tick's time and
    `end` = the next tick's time (None for the current tick). `all` has neither. A tick period
    cut by an officer's tick (`by_time`) selects rows by `start`/`end` (`end` None: open).
    """

    code: str
    label: str
    start: datetime | None
    end: datetime | None
    tick: Tick | None
    description: str
    by_time: bool = False

    @property
    def by_tick(self) -> bool:
        """Rows are selected by tick id, not by time."""
        return (self.code in TICK_CODES or self.code == NAMED_TICK) and not self.by_time


def normalize_code(code: str | None) -> str:
    """The period code, lower-cased; `None` or blank means the default (`ct`)."""
    cleaned = (code or "").strip().lower() or DEFAULT_PERIOD
    if cleaned not in PERIOD_CODES:
        raise UnknownPeriodError(cleaned)
    return cleaned


def is_code(period: str | None) -> bool:
    """Whether `period` is a period code (or blank: the default), not a tick id."""
    cleaned = (period or "").strip().lower()
    return not cleaned or cleaned in PERIOD_CODES


def format_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _month_start(year: int, month: int) -> datetime:
    """1st of a month at 00:00 UTC; `month` may run outside 1..12."""
    year += (month - 1) // 12
    return datetime(year, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def calendar_bounds(code: str, now: datetime) -> tuple[datetime, datetime]:
    """`[start, end)` of a calendar period code at instant `now`."""
    today = _midnight(now)
    monday = today - timedelta(days=today.weekday())
    month = today.year, today.month
    bounds = {
        "cd": (today, today + timedelta(days=1)),
        "ld": (today - timedelta(days=1), today),
        "cw": (monday, monday + timedelta(days=7)),
        "lw": (monday - timedelta(days=7), monday),
        "cm": (_month_start(*month), _month_start(month[0], month[1] + 1)),
        "lm": (_month_start(month[0], month[1] - 1), _month_start(*month)),
        "2m": (_month_start(month[0], month[1] - 2), _month_start(*month)),
        "y": (_month_start(today.year, 1), _month_start(today.year + 1, 1)),
    }
    if code not in bounds:
        raise UnknownPeriodError(code)
    return bounds[code]


def tick_label(tick: Tick) -> str:
    """'Tick of 2026-11-26 11:00 UTC'."""
    return f"Tick of {format_instant(tick.ticktime)}"


def _until(ticks: list[Tick], index: int) -> tuple[datetime | None, str]:
    """The end of the `index`-th newest tick (the next one's time) and how it reads."""
    next_tick = ticks[index - 1].ticktime if index else None
    return next_tick, f" to {format_instant(next_tick)}" if next_tick else " (ongoing)"


def named_tick(tickid: str, ticks: list[Tick]) -> Period:
    """The period of the tick `tickid` among the guild's ticks newest first (pure)."""
    cleaned = tickid.strip()
    for index, tick in enumerate(ticks):
        if tick.tickid == cleaned:
            end, until = _until(ticks, index)
            label = tick_label(tick)
            described = f"{label} ({tick.tickid}){until}"
            return Period(NAMED_TICK, label, tick.ticktime, end, tick, described)
    raise UnknownPeriodError(cleaned)


def _officer_cut(officer: datetime | None, ticks: list[Tick]) -> datetime | None:
    """The officer's tick when it cuts the tick periods (module doc): later than every tick
    the guild's data knows by at least `DUPLICATE_WINDOW`."""
    if officer is None or (ticks and officer - ticks[0].ticktime < DUPLICATE_WINDOW):
        return None
    return officer


def _cut_by_officer(code: str, officer: datetime, ticks: list[Tick]) -> Period:
    label = LABELS[code]
    if code == "ct":
        described = f"From {format_instant(officer)} (set by an officer of this server), ongoing"
        return Period(code, label, officer, None, None, described, by_time=True)
    if not ticks:
        return Period(code, label, None, None, None, f"{label}: no earlier tick is known")
    tick = ticks[0]
    described = (
        f"Tick {tick.tickid} from {format_instant(tick.ticktime)} to {format_instant(officer)}"
        " (the tick an officer of this server set)"
    )
    return Period(code, label, tick.ticktime, officer, tick, described, by_time=True)


def period_for(
    code: str | None, now: datetime, ticks: list[Tick], officer: datetime | None = None
) -> Period:
    """The period of `code` (or of a tick id) at `now`, given the guild's ticks newest first
    and the officer's tick when it is the guild's tick (pure)."""
    if not is_code(code):
        assert code is not None
        return named_tick(code, ticks)
    code = normalize_code(code)
    label = LABELS[code]
    if code == "all":
        return Period(code, label, None, None, None, "All time: no bounds")
    if code not in TICK_CODES:
        start, end = calendar_bounds(code, now)
        bounds = f"{format_instant(start)} to {format_instant(end)} (end excluded)"
        return Period(code, label, start, end, None, bounds)
    cut = _officer_cut(officer, ticks)
    if cut is not None:
        return _cut_by_officer(code, cut, ticks)
    index = 0 if code == "ct" else 1
    if len(ticks) <= index:
        reason = "no tick is known yet" if not ticks else "no tick before the current one is known"
        return Period(code, label, None, None, None, f"{label}: {reason}")
    tick = ticks[index]
    next_tick, until = _until(ticks, index)
    described = f"Tick {tick.tickid} from {format_instant(tick.ticktime)}{until}"
    return Period(code, label, tick.ticktime, next_tick, tick, described)


def _tick_walk(model: type[Event] | type[Activity], name: str) -> Select[str, datetime | None]:
    """(tickid, ticktime) of every distinct tick id of a table.

    A recursive skip scan over the table's (guild_id, tickid) index: one index seek per
    distinct tick instead of reading every row. Each tick's time is read from its first row (a
    tick id always comes with the same tick time); filtering that lookup on `ticktime IS NOT
    NULL` would steer SQLite to the (guild_id, ticktime) index and a scan.
    """
    walk = select(func.min(model.tickid).label("tickid")).cte(name, recursive=True)
    following = select(func.min(model.tickid)).where(model.tickid > walk.c.tickid)
    walk = walk.union_all(select(following.scalar_subquery()).where(walk.c.tickid.is_not(None)))
    tick_time = (
        select(model.ticktime).where(model.tickid == walk.c.tickid).limit(1).scalar_subquery()
    )
    return select(walk.c.tickid.label("tickid"), tick_time.label("ticktime")).where(
        walk.c.tickid.is_not(None)
    )


def ticks_query(limit: int | None) -> Select[str, datetime]:
    """The guild's newest `limit` ticks as (tickid, ticktime), newest first (see module doc),
    from its events and its activity tallies."""
    candidates = union_all(
        _tick_walk(Event, "event_ticks"), _tick_walk(Activity, "activity_ticks")
    ).subquery("tick_candidates")
    ticktime = func.max(candidates.c.ticktime).label("ticktime")
    return (
        select(candidates.c.tickid, ticktime)
        .where(
            candidates.c.ticktime.is_not(None),
            ~candidates.c.tickid.startswith(FORCED_TICK_PREFIX, autoescape=True),
        )
        .group_by(candidates.c.tickid)
        .order_by(ticktime.desc(), candidates.c.tickid.desc())
        .limit(limit)
    )


async def latest_ticks(session: AsyncSession, limit: int | None) -> list[Tick]:
    """The guild's newest `limit` ticks (None: all), newest first (one round trip)."""
    rows = (await session.execute(ticks_query(limit))).all()
    return [Tick(tickid, ticktime) for tickid, ticktime in rows]


async def officers_tick(session: AsyncSession) -> datetime | None:
    """The time of the tick an officer of the session's guild set, while it is the guild's
    tick (`bgs.ticks.guild_view`: no galaxy tick at least the window later)."""
    view = guild_view(await latest_tick(session), await latest_guild_tick(session))
    return view.tick_time if view is not None and view.source == OFFICER else None


async def resolve_period(
    session: AsyncSession, code: str | None = DEFAULT_PERIOD, now: datetime | None = None
) -> Period:
    """Resolve a period code, or a tick id, for the session's guild; tick codes cost three
    queries (the guild's ticks, the galaxy tick, its officers' tick), tick ids one, other codes
    none.

    Raises UnknownPeriodError for a code outside `PERIOD_CODES` that is not one of the guild's
    tick ids.
    """
    now = now or datetime.now(UTC)
    ticks: list[Tick] = []
    officer = None
    if not is_code(code):
        ticks = await latest_ticks(session, None)
    elif normalize_code(code) in TICK_CODES:
        ticks = await latest_ticks(session, 2)
        officer = await officers_tick(session)
    period = period_for(code, now, ticks, officer)
    log.debug("period %s resolved: %s", code, period.description)
    return period


def period_options(ticks: list[Tick], typed: str, limit: int) -> list[tuple[str, str]]:
    """(name, value) of the periods to offer while a member types `typed`: the codes, then
    the guild's `ticks` (newest first) with their times, those whose name contains what is
    typed, at most `limit`."""
    options = [(f"{LABELS[code]} ({code})", code) for code in PERIOD_CODES]
    options += [(f"{tick_label(tick)} · {tick.tickid}", tick.tickid) for tick in ticks]
    wanted = typed.strip().lower()
    return [option for option in options if wanted in option[0].lower()][:limit]


async def period_choices(session: AsyncSession, typed: str) -> list[tuple[str, str]]:
    """The periods to offer while a member types `typed` (`period_options` of the guild's last
    `TICK_CHOICES` ticks), at most `CHOICES_LIMIT`."""
    return period_options(await latest_ticks(session, TICK_CHOICES), typed, CHOICES_LIMIT)
