"""Period codes at their edges: midnight, Monday, month and year ends, leap day, ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bgs.periods import (
    DEFAULT_PERIOD,
    NAMED_TICK,
    PERIOD_CODES,
    Period,
    Tick,
    UnknownPeriodError,
    normalize_code,
    period_for,
    period_options,
)


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def bounds(code: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    period = period_for(code, now, [])
    return period.start, period.end


TICKS = [
    Tick("zoy-new", at(2026, 11, 26, 11, 5)),
    Tick("zoy-old", at(2026, 11, 25, 10, 58)),
    Tick("zoy-older", at(2026, 11, 24, 11, 0)),
]


@pytest.mark.parametrize(
    ("code", "now", "start", "end"),
    [
        # today / yesterday, at and just before midnight
        ("cd", at(2026, 11, 26), at(2026, 11, 26), at(2026, 11, 27)),
        ("cd", at(2026, 11, 26, 23, 59, 59, 999999), at(2026, 11, 26), at(2026, 11, 27)),
        ("ld", at(2026, 11, 26), at(2026, 11, 25), at(2026, 11, 26)),
        ("ld", at(2026, 12, 1, 0, 0, 1), at(2026, 11, 30), at(2026, 12, 1)),
        # weeks start on Monday 00:00 (2026-11-23 and 2026-11-30 are Mondays)
        ("cw", at(2026, 11, 30), at(2026, 11, 30), at(2026, 12, 7)),
        ("cw", at(2026, 11, 29, 23, 59), at(2026, 11, 23), at(2026, 11, 30)),
        ("lw", at(2026, 11, 30), at(2026, 11, 23), at(2026, 11, 30)),
        ("lw", at(2026, 11, 29, 23, 59), at(2026, 11, 16), at(2026, 11, 23)),
        ("cw", at(2026, 12, 31, 12), at(2026, 12, 28), at(2027, 1, 4)),  # week over new year
        # months: ends, January, December
        ("cm", at(2026, 1, 31, 23, 59), at(2026, 1, 1), at(2026, 2, 1)),
        ("cm", at(2026, 12, 1), at(2026, 12, 1), at(2027, 1, 1)),
        ("lm", at(2026, 1, 15), at(2025, 12, 1), at(2026, 1, 1)),
        ("lm", at(2026, 3, 1), at(2026, 2, 1), at(2026, 3, 1)),
        ("2m", at(2026, 1, 1), at(2025, 11, 1), at(2026, 1, 1)),
        ("2m", at(2026, 2, 28), at(2025, 12, 1), at(2026, 2, 1)),
        ("2m", at(2026, 11, 26), at(2026, 9, 1), at(2026, 11, 1)),
        # year end
        ("y", at(2026, 12, 31, 23, 59, 59), at(2026, 1, 1), at(2027, 1, 1)),
        ("y", at(2027, 1, 1), at(2027, 1, 1), at(2028, 1, 1)),
        # leap year
        ("cd", at(2028, 2, 29, 12), at(2028, 2, 29), at(2028, 3, 1)),
        ("ld", at(2028, 3, 1), at(2028, 2, 29), at(2028, 3, 1)),
        ("cm", at(2028, 2, 29), at(2028, 2, 1), at(2028, 3, 1)),
        ("lm", at(2028, 3, 31), at(2028, 2, 1), at(2028, 3, 1)),
    ],
)
def test_calendar_bounds(code: str, now: datetime, start: datetime, end: datetime) -> None:
    period = period_for(code, now, TICKS)
    assert (period.start, period.end) == (start, end)
    assert period.tick is None
    assert not period.by_tick
    assert not (period.by_tick and period.tick is None)
    assert period.start is not None
    assert period.start.tzinfo is not None
    assert period.start.strftime("%Y-%m-%d %H:%M UTC") in period.description


def test_calendar_bounds_are_utc_whatever_the_caller_zone() -> None:
    # 01:30 on the 26th at UTC+2 is 23:30 on the 25th in UTC.
    now = datetime(2026, 11, 26, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert bounds("cd", now) == (at(2026, 11, 25), at(2026, 11, 26))


def test_consecutive_periods_meet_without_gap_or_overlap() -> None:
    now = at(2026, 11, 26, 15)
    assert bounds("ld", now)[1] == bounds("cd", now)[0]
    assert bounds("lw", now)[1] == bounds("cw", now)[0]
    assert bounds("lm", now)[1] == bounds("cm", now)[0]
    assert bounds("2m", now)[1] == bounds("cm", now)[0]


def test_all_has_no_bounds() -> None:
    period = period_for("all", at(2026, 11, 26), TICKS)
    assert (period.start, period.end, period.tick) == (None, None, None)
    assert not period.by_tick
    assert not (period.by_tick and period.tick is None)


def test_current_and_last_tick() -> None:
    now = at(2026, 11, 26, 18)
    current = period_for("ct", now, TICKS)
    assert current.tick == TICKS[0]
    assert (current.start, current.end) == (TICKS[0].ticktime, None)
    assert current.by_tick
    assert not (current.by_tick and current.tick is None)
    assert "zoy-new" in current.description
    assert "2026-11-26 11:05 UTC" in current.description

    last = period_for("lt", now, TICKS)
    assert last.tick == TICKS[1]
    assert (last.start, last.end) == (TICKS[1].ticktime, TICKS[0].ticktime)
    assert "2026-11-25 10:58 UTC to 2026-11-26 11:05 UTC" in last.description


def test_only_one_tick_known() -> None:
    ticks = TICKS[:1]
    assert period_for("ct", at(2026, 11, 26), ticks).tick == ticks[0]
    last = period_for("lt", at(2026, 11, 26), ticks)
    assert last.tick is None
    assert last.by_tick and last.tick is None
    assert "no tick before the current one" in last.description


def test_no_tick_known() -> None:
    for code in ("ct", "lt"):
        period = period_for(code, at(2026, 11, 26), [])
        assert period.by_tick and period.tick is None
        assert (period.start, period.end, period.tick) == (None, None, None)
        assert "no tick is known" in period.description


def test_an_officers_tick_cuts_the_tick_periods_by_time() -> None:
    now = at(2026, 11, 27, 18)
    officer = at(2026, 11, 27, 11, 20)  # the sources missed the tick; the plugin still has zoy-new
    current = period_for("ct", now, TICKS, officer)
    assert not current.by_tick and current.by_time
    assert (current.start, current.end, current.tick) == (officer, None, None)
    assert "From 2026-11-27 11:20 UTC (set by an officer of this server)" in current.description
    last = period_for("lt", now, TICKS, officer)
    assert not last.by_tick
    assert (last.start, last.end, last.tick) == (TICKS[0].ticktime, officer, TICKS[0])
    assert "to 2026-11-27 11:20 UTC (the tick an officer of this server set)" in last.description
    assert "no earlier tick" in period_for("lt", now, [], officer).description

    # The data's own tick within the window of the officer's, or later, ends the cut; so does
    # no officer's tick, and a named tick is always its tick id.
    for seen in (officer - timedelta(minutes=29), officer, officer + timedelta(hours=1)):
        ticks = [Tick("zoy-caught-up", seen), *TICKS]
        assert period_for("ct", now, ticks, officer).tick == ticks[0]
        assert period_for("ct", now, ticks, officer).by_tick
    assert period_for("ct", now, TICKS, None).tick == TICKS[0]
    assert period_for("zoy-new", now, TICKS).by_tick


def test_default_and_normalisation() -> None:
    assert DEFAULT_PERIOD == "ct"
    assert normalize_code(None) == "ct"
    assert normalize_code("  ") == "ct"
    assert normalize_code(" LW ") == "lw"
    assert period_for(None, at(2026, 11, 26), TICKS).code == "ct"
    assert set(PERIOD_CODES) == {"ct", "lt", "cd", "ld", "cw", "lw", "cm", "lm", "2m", "y", "all"}


def test_unknown_code_names_the_allowed_ones() -> None:
    with pytest.raises(UnknownPeriodError) as raised:
        period_for("week", at(2026, 11, 26), TICKS)
    assert isinstance(raised.value, ValueError)
    assert raised.value.code == "week"
    for code in PERIOD_CODES:
        assert code in str(raised.value)


def test_periods_are_frozen_values() -> None:
    period = period_for("cd", at(2026, 11, 26), [])
    assert period == period_for("cd", at(2026, 11, 26, 23), [])
    with pytest.raises(AttributeError):
        period.code = "ld"  # type: ignore[misc]
    assert isinstance(period, Period)


def test_a_period_naming_a_tick() -> None:
    now = at(2026, 11, 26, 18)
    old = period_for(" zoy-old ", now, TICKS)
    assert (old.code, old.tick, old.by_tick) == (NAMED_TICK, TICKS[1], True)
    assert (old.start, old.end) == (TICKS[1].ticktime, TICKS[0].ticktime)
    assert old.label == "Tick of 2026-11-25 10:58 UTC"
    assert old.description == "Tick of 2026-11-25 10:58 UTC (zoy-old) to 2026-11-26 11:05 UTC"
    newest = period_for("zoy-new", now, TICKS)
    assert newest.description == "Tick of 2026-11-26 11:05 UTC (zoy-new) (ongoing)"
    assert newest.end is None
    for unknown in ("zoy-gone", "ZOY-OLD", "frc-0123"):  # tick ids are exact
        with pytest.raises(UnknownPeriodError) as raised:
            period_for(unknown, now, TICKS)
        assert raised.value.code == unknown
        assert "or one of this server's ticks" in str(raised.value)


def test_periods_offered_as_a_member_types() -> None:
    everything = period_options(TICKS, "", 25)
    assert [value for _, value in everything] == [*PERIOD_CODES, "zoy-new", "zoy-old", "zoy-older"]
    assert everything[0] == ("Current tick (ct)", "ct")
    assert everything[-1] == ("Tick of 2026-11-24 11:00 UTC · zoy-older", "zoy-older")
    typed_tick = [value for _, value in period_options(TICKS, "TICK", 25)]
    assert typed_tick == ["ct", "lt", "zoy-new", "zoy-old", "zoy-older"]
    assert period_options(TICKS, "11-25", 25) == [
        ("Tick of 2026-11-25 10:58 UTC · zoy-old", "zoy-old")
    ]
    assert [value for _, value in period_options(TICKS, "", 4)] == ["ct", "lt", "cd", "ld"]
    assert period_options([], "zoy", 25) == []
