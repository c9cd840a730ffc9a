"""cogs._charts: PNGs of the promised size that decode, drawn off the event loop's thread."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import matplotlib.image

from bgs.summaries import ActivityCounts, TickActivity
from cogs._charts import MAX_BARS, chart_file, faction_ticks_png, leaderboard_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def size_of(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    height, width = matplotlib.image.imread(io.BytesIO(png), format="png").shape[:2]
    return width, height


def test_leaderboard_chart() -> None:
    bars = [(f"Cmdr {n:02d} with a name far too long for the axis", 1000.0 * n) for n in range(40)]
    assert len(bars) > MAX_BARS
    assert size_of(leaderboard_png("Bounty vouchers · Current tick", "Cr", bars)) == (800, 450)
    signed = [("Ann", 3.0), ("Bob", -2.0)]
    assert size_of(leaderboard_png("Influence", "INF", signed)) == (800, 450)


def test_faction_chart() -> None:
    start = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    ticks = [
        TickActivity(
            f"zoy-{n}",
            start + timedelta(days=n),
            ActivityCounts(inf_primary=n - 2, bounty_vouchers=n * 100_000, exploration=50_000),
        )
        for n in range(10)
    ]
    assert size_of(faction_ticks_png("Alpha Defence Force", ticks)) == (800, 600)
    idle = [TickActivity("zoy-0", start, ActivityCounts())]
    assert size_of(faction_ticks_png("Alpha Defence Force", idle)) == (800, 600)


async def test_chart_file_draws_in_a_worker_thread() -> None:
    loop_thread = threading.get_ident()
    drawn_in: list[int] = []

    def draw() -> bytes:
        drawn_in.append(threading.get_ident())
        return leaderboard_png("Trade volume", "Cr", [("Ann", 1.0)])

    file = await chart_file(draw, "leaderboard.png")

    assert drawn_in and drawn_in[0] != loop_thread
    assert file.filename == "leaderboard.png"
    assert size_of(file.fp.read()) == (800, 450)
