"""The objectives cog's pure parts: option parsing and the progress layout shared with the
post-tick summary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bgs.objectives import Contribution, ObjectiveProgress, SettlementProgress, TargetProgress
from cogs._errors import UserError
from cogs._objective_views import overall_bar, progress_lines, stars, target_block, target_line
from cogs._options import parse_id, parse_instant

ADF, UNION = "Alpha Defence Force", "Beta Union"
ALPHA, BETA = "Test System Alpha", "Test System Beta"
START = datetime(2026, 11, 20, tzinfo=UTC)


def target(target_type: str, progress: int, overall: int = 0, **fields: Any) -> TargetProgress:
    values: dict[str, Any] = {
        "id": 1,
        "type": target_type,
        "system": None,
        "faction": None,
        "station": None,
        "effective_system": ALPHA,
        "effective_faction": ADF,
        "target_individual": 0,
        "target_overall": overall,
        "progress": progress,
        "contributors": (),
        "settlements": (),
    } | fields
    return TargetProgress(**values)


def objective(*targets: TargetProgress, priority: int = 3) -> ObjectiveProgress:
    return ObjectiveProgress(
        id=7,
        title="Win *the* war",
        type="win_war",
        priority=priority,
        system=ALPHA,
        faction=ADF,
        description=None,
        starts_at=START,
        ends_at=None,
        created_by=None,
        targets=targets,
    )


@pytest.mark.parametrize(
    ("priority", "shown"), [(0, "[☆☆☆☆☆]"), (3, "[★★★☆☆]"), (5, "[★★★★★]"), (9, "[★★★★★]")]
)
def test_stars(priority: int, shown: str) -> None:
    assert stars(priority) == shown


@pytest.mark.parametrize(
    ("item", "line"),
    [
        (target("cb", 1_250_000, 50_000_000), f"[1.2M / 50M CR] Combat bonds · {ADF} · {ALPHA}"),
        (target("cb", 2_000_000, 1_000_000), f"[✓ 2M / 1M CR] Combat bonds · {ADF} · {ALPHA}"),
        (target("expl", 0), f"[0 / ∞ CR] Exploration data · {ADF} · {ALPHA}"),
        (target("murder", 1, 5), f"[1 / 5 kills] Murders · {ADF} · {ALPHA}"),
        (
            target("inf", -2, -10, effective_faction=UNION, effective_system=BETA),
            f"[-2 / -10 INF] Influence · {UNION} · {BETA} (undermine)",
        ),
        (
            target("inf", -12, -10, effective_faction=UNION, effective_system=BETA),
            f"[✓ -12 / -10 INF] Influence · {UNION} · {BETA} (undermine)",
        ),
        (target("visit", 0, effective_system=BETA), f"[•] Visit {BETA}"),
        (target("visit", 1, station="Alpha Port"), f"[✓] Visit Alpha Port in {ALPHA}"),
    ],
)
def test_target_line(item: TargetProgress, line: str) -> None:
    assert target_line(item) == line


def test_overall_bar() -> None:
    assert overall_bar(objective()) == "no targets yet"
    assert overall_bar(objective(target("bv", 5))) == "open-ended"
    halves = objective(target("bv", 5, 10), target("visit", 0), target("bv", 9))
    assert overall_bar(halves) == "▰▰▱▱▱▱▱▱▱▱ 25%"


def test_progress_lines_escape_the_title() -> None:
    assert progress_lines([objective(target("cb", 500, 1000))]) == [
        "[★★★☆☆] **Win \\*the\\* war** ▰▰▰▰▰▱▱▱▱▱ 50%",
        f"• [500 / 1K CR] Combat bonds · {ADF} · {ALPHA}",
    ]


def test_target_block_marks_cmdrs_at_their_goal() -> None:
    contributors = tuple(Contribution(f"Cmdr {n}", 700 - 100 * n) for n in range(7))
    settlement = SettlementProgress(3, "Barnes Enterprise", 0, 2, 2, ())
    ground = target(
        "ground_cz",
        2_100,
        10_000,
        target_individual=500,
        contributors=contributors,
        settlements=(settlement,),
    )
    assert target_block(ground) == [
        "",
        f"**[2.1K / 10K wins] Ground CZs · {ADF} · {ALPHA}**",
        "▰▰▱▱▱▱▱▱▱▱ 21% · per cmdr 500 wins",
        "› [✓ 2 / 2 wins] Barnes Enterprise ▰▰▰▰▰▰▰▰▰▰ 100%",
        "1. Cmdr 0 — 700 wins ✓",
        "2. Cmdr 1 — 600 wins ✓",
        "3. Cmdr 2 — 500 wins ✓",
        "4. Cmdr 3 — 400 wins",
        "5. Cmdr 4 — 300 wins",
    ]
    assert target_block(target("bv", 0)) == [
        "",
        f"**[0 / ∞ CR] Bounty vouchers · {ADF} · {ALPHA}**",
        "No contributions yet.",
    ]


@pytest.mark.parametrize(
    ("text", "end_of_day", "instant"),
    [
        ("2026-11-20", False, START),
        ("2026-11-20", True, datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC)),
        (" 2026-11-20 18:30 ", True, datetime(2026, 11, 20, 18, 30, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, end_of_day: bool, instant: datetime) -> None:
    assert parse_instant(text, "end", end_of_day=end_of_day) == instant


@pytest.mark.parametrize("text", ["20/11/2026", "2026-11-20T18:30Z", "2026-02-30", "tomorrow"])
def test_parse_instant_refuses(text: str) -> None:
    with pytest.raises(UserError, match="use YYYY-MM-DD or YYYY-MM-DD HH:MM \\(UTC\\)"):
        parse_instant(text, "start")


def test_parse_id() -> None:
    assert parse_id("12", "objective") == 12
    assert parse_id(" #12 ", "objective") == 12
    for text in ("Win the war", "١٢", "1" * 19, "-3", ""):
        with pytest.raises(UserError, match="Pick the objective from the list"):
            parse_id(text, "objective")
