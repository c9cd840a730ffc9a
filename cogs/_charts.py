"""PNG charts for command replies: leaderboard bars, a faction's activity over the last ticks,
influence lines from the galaxy's history.

Drawn with matplotlib's object API, a `Figure` on its own `FigureCanvasAgg`: no pyplot, no
display and no global backend, so nothing else in the process is affected. `chart_file` draws
in a worker thread (`asyncio.to_thread`) so the event loop never waits for matplotlib, and one
lock lets only one drawing run at a time (matplotlib does not promise thread safety).

Labels are names from members' data (cmdrs, factions): every text is drawn literally, never as
matplotlib math (`$x^2$`) nor TeX (`_literal_text`).
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Final, ParamSpec, TypeVar

import discord
import matplotlib
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bgs.galaxy.views import ChartSeries
from bgs.summaries import ActivityCounts, TickActivity
from cogs._ui import abbreviate, clip

log = logging.getLogger(__name__)

WIDTH: Final = 8.0  # inches
HEIGHT: Final = 4.5
TALL: Final = 6.0  # the two-panel tick chart
DPI: Final = 100
MAX_BARS: Final = 15
LABEL_LENGTH: Final = 24  # cmdr names on the bar chart's axis
BAR: Final = "#ff8000"  # the embeds' orange
NEGATIVE: Final = "#c0392b"
CREDIT_SERIES: Final[tuple[tuple[str, Callable[[ActivityCounts], int], str], ...]] = (
    ("Bounty vouchers", lambda c: c.bounty_vouchers, "#ff8000"),
    ("Combat bonds", lambda c: c.combat_bonds, "#c0392b"),
    ("Trade profit", lambda c: c.trade_sell_profit, "#2e86c1"),
    ("Black market", lambda c: c.black_market, "#6c3483"),
    ("Exploration", lambda c: c.exploration, "#17a589"),
    ("Exobiology", lambda c: c.exobiology, "#7f8c8d"),
)

_drawing = threading.Lock()
P = ParamSpec("P")
R = TypeVar("R")


def _literal_text(draw: Callable[P, R]) -> Callable[P, R]:
    """Run `draw` with matplotlib reading every text literally: a `$` in a cmdr's name shows
    as `$`. Texts take the setting when they are made, tick labels when the figure is drawn,
    so both building a figure and saving it run under it."""

    @functools.wraps(draw)
    def literally(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
            return draw(*args, **kwargs)

    return literally


def _abbreviated(axis: Axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _position: abbreviate(value)))


@_literal_text
def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)  # attaches itself: the figure renders with Agg, whatever pyplot uses
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def leaderboard_png(title: str, axis_label: str, bars: Sequence[tuple[str, float]]) -> bytes:
    """Horizontal bars, the first of `bars` on top (at most `MAX_BARS`), each labelled with its
    abbreviated value."""
    return _png(leaderboard_figure(title, axis_label, bars))


@_literal_text
def leaderboard_figure(title: str, axis_label: str, bars: Sequence[tuple[str, float]]) -> Figure:
    """The figure of `leaderboard_png`."""
    shown = list(bars)[:MAX_BARS]
    values = [value for _, value in shown]
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(shown)))
    drawn = axes.barh(
        positions, values, color=[BAR if value >= 0 else NEGATIVE for value in values]
    )
    axes.set_yticks(positions, labels=[clip(name, LABEL_LENGTH) for name, _ in shown])
    axes.invert_yaxis()
    axes.bar_label(drawn, labels=[abbreviate(value) for value in values], padding=3, fontsize=8)
    axes.margins(x=0.15)
    axes.axvline(0, color="#555555", linewidth=0.8)
    _abbreviated(axes.xaxis)
    axes.set_title(title)
    axes.set_xlabel(axis_label)
    axes.set_ylabel("Cmdr")
    axes.grid(axis="x", alpha=0.3)
    return figure


def faction_ticks_png(faction: str, ticks: Sequence[TickActivity]) -> bytes:
    """Two panels over the ticks, oldest left: the influence members gave the faction, and the
    credits they earned for it, stacked by kind."""
    return _png(faction_ticks_figure(faction, ticks))


@_literal_text
def faction_ticks_figure(faction: str, ticks: Sequence[TickActivity]) -> Figure:
    """The figure of `faction_ticks_png`."""
    figure = Figure(figsize=(WIDTH, TALL), dpi=DPI, layout="constrained")
    influence_axes, credit_axes = figure.subplots(2, 1, sharex=True)
    positions = list(range(len(ticks)))
    influence = [tick.counts.influence for tick in ticks]
    drawn = influence_axes.bar(
        positions, influence, color=[BAR if value >= 0 else NEGATIVE for value in influence]
    )
    influence_axes.bar_label(drawn, labels=[f"{value:+,}" for value in influence], fontsize=8)
    influence_axes.margins(y=0.2)
    influence_axes.set_ylabel("Influence (INF)")
    influence_axes.grid(axis="y", alpha=0.3)
    bottoms = [0.0] * len(ticks)
    for label, value_of, colour in CREDIT_SERIES:
        values = [float(value_of(tick.counts)) for tick in ticks]
        if any(values):
            credit_axes.bar(positions, values, bottom=bottoms, label=label, color=colour)
            bottoms = [bottom + value for bottom, value in zip(bottoms, values, strict=True)]
    if any(bottoms):
        credit_axes.legend(loc="upper left", fontsize=8, ncols=3)
    _abbreviated(credit_axes.yaxis)
    credit_axes.set_ylabel("Credits (Cr)")
    credit_axes.set_xlabel("Tick (UTC)")
    credit_axes.grid(axis="y", alpha=0.3)
    credit_axes.set_xticks(
        positions, labels=[f"{tick.ticktime:%d %b}\n{tick.ticktime:%H:%M}" for tick in ticks]
    )
    figure.suptitle(f"{faction}: members' activity over the last {len(ticks)} ticks")
    return figure


def _days(instant: datetime) -> float:
    """An instant as days since 1970 (the x axis of influence charts)."""
    return instant.timestamp() / 86400.0


def _day_label(days: float) -> str:
    return f"{datetime.fromtimestamp(days * 86400.0, UTC):%d %b}"


def influence_png(title: str, series: Sequence[ChartSeries], highlight: str | None) -> bytes:
    """One line per series (influence in points over the tick periods), the `highlight`ed
    one (the faction asked for) drawn thicker, with the 5 % retreat line."""
    return _png(influence_figure(title, series, highlight))


@_literal_text
def influence_figure(title: str, series: Sequence[ChartSeries], highlight: str | None) -> Figure:
    """The figure of `influence_png`."""
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    for line in series:
        times = [_days(instant) for instant, _ in line.points]
        values = [value for _, value in line.points]
        wide = line.label == highlight
        axes.plot(
            times,
            values,
            label=clip(line.label, LABEL_LENGTH),
            linewidth=3.0 if wide else 1.5,
            marker="o" if len(times) < 40 else None,
            markersize=3,
            zorder=3 if wide else 2,
        )
    axes.axhline(5, color=NEGATIVE, linewidth=0.8, linestyle="--", label="retreat (5 %)")
    axes.set_ylim(bottom=0)
    axes.set_ylabel("Influence (%)")
    axes.set_xlabel("Tick (UTC)")
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize=7, ncols=2)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: _day_label(value)))
    axes.set_title(title)
    return figure


def _draw_alone(draw: Callable[[], bytes]) -> bytes:
    with _drawing:
        return draw()


async def chart_file(draw: Callable[[], bytes], filename: str) -> discord.File:
    """Run `draw` (one of the functions above, arguments bound) in a worker thread; its PNG as
    an attachment."""
    png = await asyncio.to_thread(_draw_alone, draw)
    log.debug("chart %s drawn: %d bytes", filename, len(png))
    return discord.File(io.BytesIO(png), filename=filename)
