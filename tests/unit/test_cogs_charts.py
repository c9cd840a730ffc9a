"""cogs._charts: PNGs of the promised size that decode, drawn off the event loop's thread."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import matplotlib.image
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from bgs.summaries import ActivityCounts, TickActivity
from cogs._charts import (
    MAX_BARS,
    chart_file,
    faction_ticks_figure,
    faction_ticks_png,
    leaderboard_figure,
    leaderboard_png,
)

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


HOSTILE = "$x^2$ *Ann*"


def drawn(figure: Figure) -> RendererAgg:
    FigureCanvasAgg(figure)
    figure.canvas.draw()
    renderer: RendererAgg = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    return renderer


def test_chart_labels_are_drawn_literally(tmp_path: Path) -> None:
    """A `$…$` in a cmdr's or faction's name is drawn as written, not as matplotlib math: the
    text artists keep the text, do not parse math, and are as wide as the literal text."""
    board = leaderboard_figure(f"Bounty vouchers · {HOSTILE}", "Cr", [(HOSTILE, 5.0)])
    axes = board.axes[0]
    renderer = drawn(board)
    [label] = [text for text in axes.get_yticklabels() if text.get_text()]
    start = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    ticks = faction_ticks_figure(HOSTILE, [TickActivity("zoy-1", start, ActivityCounts())])
    drawn(ticks)
    assert ticks._suptitle is not None
    for text, shown in [
        (label, HOSTILE),
        (axes.title, f"Bounty vouchers · {HOSTILE}"),
        (ticks._suptitle, f"{HOSTILE}: members' activity over the last 1 ticks"),
    ]:
        assert text.get_text() == shown
        assert text.get_parse_math() is False
    as_math = Text(0, 0, HOSTILE, figure=board, fontproperties=label.get_fontproperties())
    as_math.set_parse_math(True)
    literal_width = label.get_window_extent(renderer).width
    assert literal_width > as_math.get_window_extent(renderer).width  # the `$`s and `^` drawn
    (tmp_path / "literal.png").write_bytes(_png_of(board))


def _png_of(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
