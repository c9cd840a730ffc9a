"""The galaxy commands over the fake Discord: `/system show` and `/faction show` across three
ticks of history, `/system find` filters and paging, `/faction chart`'s PNG, autocomplete and
the answers for names nobody has seen."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import matplotlib.image

from bgs.galaxy.snapshot import SystemSnapshot
from tests.helpers.galaxy import add_tick, conflict, faction, snapshot, store
from tests.helpers.squadron import FACTION, Squadron, every_page

T1 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
T2 = T1 + timedelta(days=1)
T3 = T2 + timedelta(days=1)
RIVAL, THIRD = "Rival League", "Third *Way*"
ALPHA, BETA, GAMMA = 1001, 1002, 1003
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def alpha(at: datetime, ours: float, rival: float, third: float) -> SystemSnapshot:
    return snapshot(
        ALPHA,
        "Alpha Centauri",
        at,
        [
            faction(FACTION, ours, active=["Boom"]),
            faction(RIVAL, rival, pending=["Expansion"]),
            faction(THIRD, third),
        ],
        controlling=FACTION,
        power="Aisling Duval",
        powers=["Aisling Duval", "Zachary Hudson"],
    )


def beta(at: datetime, ours: float) -> SystemSnapshot:
    return snapshot(
        BETA,
        "Beta Hydri",
        at,
        [faction(RIVAL, 1 - ours - 0.2), faction(THIRD, 0.2), faction(FACTION, ours)],
        [conflict(FACTION, THIRD, status="active", days=(2, 1))],
        population=5_000,
    )


def gamma(at: datetime) -> SystemSnapshot:
    return snapshot(
        GAMMA, "Gamma Ceti", at, [faction(FACTION, 0.7), faction(THIRD, 0.3)], population=0
    )


async def three_ticks(squadron: Squadron) -> None:
    """Alpha and Beta seen in each of three tick periods; Gamma only in the first."""
    db = squadron.bot.services.db
    for tick, (ours, rival, third), beta_ours in (
        (T1, (0.40, 0.35, 0.25), 0.12),
        (T2, (0.38, 0.36, 0.26), 0.10),
        (T3, (0.35, 0.33, 0.32), 0.11),
    ):
        await add_tick(db, tick)
        items = [alpha(tick + timedelta(hours=2), ours, rival, third)]
        items.append(beta(tick + timedelta(hours=3), beta_ours))
        if tick == T1:
            items.append(gamma(tick + timedelta(hours=1)))
        await store(db, items, tick)


def description(squadron_text: str) -> list[str]:
    return squadron_text.split("\n")


async def test_system_show_across_three_ticks(squadron: Squadron) -> None:
    await three_ticks(squadron)
    record = await squadron.member("system show", {"system": "alpha centauri"})
    assert record.reply is not None
    text = record.reply.text()
    lines = description(text)
    assert lines[0] == "🪐 Alpha Centauri"
    assert "Controlling faction: **Alpha Defence Force**" in lines
    assert (
        "Powerplay: **Aisling Duval** · Exploited · control 25 % · reinforcement 100 · "
        "undermining 50 · also Zachary Hudson" in lines
    )
    assert (
        "Population 1,000,000 · Medium security · Industrial economy · Democracy · Independent"
        in lines
    )
    factions = lines[lines.index("**Factions** (influence, change since the last tick)") + 1 :]
    assert factions[:3] == [
        "` 35.0 %` (−3.0) **Alpha Defence Force** 👑 — Boom",
        "` 33.0 %` (−3.0) **Rival League** — pending Expansion",
        "` 32.0 %` (+6.0) **Third \\*Way\\***",
    ]
    assert f"Data from <t:{int((T3 + timedelta(hours=2)).timestamp())}:R> (EDDN)" in lines


async def test_a_system_not_seen_since_an_older_tick(squadron: Squadron) -> None:
    """Gamma was seen in the first period only: no earlier row, so no change, and marked."""
    await three_ticks(squadron)
    record = await squadron.member("system show", {"system": "Gamma Ceti"})
    assert record.reply is not None
    lines = description(record.reply.text())
    assert "` 70.0 %` **Alpha Defence Force** 👑" in lines
    assert any(line.endswith("(EDDN) ⚠️ before the last tick") for line in lines)


async def test_faction_show_most_at_risk_first(squadron: Squadron) -> None:
    await three_ticks(squadron)
    record = await squadron.member("faction show")  # the guild's faction by default
    text = await every_page(squadron, record)
    lines = description(text)
    assert lines[0] == "🏛️ Alpha Defence Force"
    assert lines[1] == (
        "3 system(s), controls 2; most at risk first (smallest lead where it controls, lowest "
        "influence elsewhere)"
    )
    systems = [line for line in lines if line.startswith("**")]
    assert systems == [
        "**Alpha Centauri** `35.0 %` (−3.0) · 👑 lead 2.0 over Rival League · Boom",
        "**Beta Hydri** `11.0 %` (+1.0) · −58.0 vs Rival League",
        "**Gamma Ceti** `70.0 %` · 👑 lead 40.0 over Third \\*Way\\*",
    ]
    assert (
        "  ⚔️ war (active): **Alpha Defence Force** 2 – 1 Third \\*Way\\* · stakes none / none"
        in lines
    )


async def test_unknown_names_and_no_faction(squadron: Squadron) -> None:
    await three_ticks(squadron)
    record = await squadron.member("system show", {"system": "Nowhere"})
    assert record.reply is not None and record.reply.ephemeral
    assert record.reply.content == "The system **Nowhere** is not seen yet on EDDN or by members."
    record = await squadron.member("faction show", {"faction": "Nobody_Here"})
    assert record.reply is not None
    assert record.reply.content == (
        "The faction **Nobody\\_Here** is not seen yet on EDDN or by members."
    )


async def test_autocomplete_from_the_galaxy(squadron: Squadron) -> None:
    await three_ticks(squadron)
    choices = await squadron.fake.autocomplete(
        "system show", {"system": "BE"}, focused="system", guild_id=squadron.guild.id
    )
    assert [choice["value"] for choice in choices] == ["Beta Hydri"]
    choices = await squadron.fake.autocomplete(
        "faction show", {"faction": "t"}, focused="faction", guild_id=squadron.guild.id
    )
    assert [choice["value"] for choice in choices] == [THIRD]


async def many_systems(squadron: Squadron, count: int) -> None:
    at = T3 + timedelta(hours=1)
    await add_tick(squadron.bot.services.db, T3)
    items = [
        snapshot(
            5000 + index,
            f"Sys {index:03d}",
            at,
            [
                faction(FACTION if index % 2 else RIVAL, 0.6, active=["War"] if index % 3 else []),
                faction(THIRD, 0.4),
            ],
            population=index * 1000,
        )
        for index in range(count)
    ]
    await store(squadron.bot.services.db, items, T3)


async def test_system_find_filters(squadron: Squadron) -> None:
    await many_systems(squadron, 30)
    record = await squadron.member(
        "system find",
        {
            "faction": FACTION.lower(),
            "state": "War",
            "population_min": 3000,
            "population_max": 21000,
        },
    )
    text = await every_page(squadron, record)
    # ours in the odd ones, at war where not a multiple of 3, 3,000 to 21,000 people
    assert "6 system(s) match; 1–6 by name" in text
    names = [line.split("**")[1] for line in text.split("\n") if line.startswith("**Sys")]
    assert names == [f"Sys {index:03d}" for index in (5, 7, 11, 13, 17, 19)]


async def test_system_find_pages_of_25_with_the_count(squadron: Squadron) -> None:
    await many_systems(squadron, 60)
    record = await squadron.member("system find", {"controlling_faction": FACTION})
    assert record.reply is not None
    first = record.reply.text()
    assert "30 system(s) match; 1–25 by name" in first
    assert first.count("**Sys") == 25
    text = await every_page(squadron, record)
    assert "30 system(s) match; 26–30 by name" in text
    assert "page 2/2" in text
    record = await squadron.member("system find", {"state": "pending:Nothing"})
    assert record.reply is not None
    assert (
        record.reply.content == "No system seen on EDDN or by members matches every filter given."
    )


async def test_faction_chart_is_a_png(squadron: Squadron) -> None:
    db = squadron.bot.services.db
    now = datetime.now(UTC).replace(microsecond=0)
    for day in range(10, 0, -1):
        tick = now - timedelta(days=day)
        await add_tick(db, tick)
        share = 0.30 + day / 100
        await store(db, [alpha(tick + timedelta(hours=1), share, 0.9 - share - 0.1, 0.1)], tick)
    record = await squadron.member("faction chart", {"system": "Alpha Centauri", "days": 30})
    assert record.reply is not None
    [chart] = record.reply.files
    assert chart.filename == "influence.png"
    assert chart.data.startswith(PNG_SIGNATURE)
    pixels = matplotlib.image.imread(io.BytesIO(chart.data), format="png")
    assert pixels.shape[:2] == (450, 800)
    assert pixels[..., :3].std() > 0.05  # lines drawn, not a blank canvas
    record = await squadron.member("faction chart", {"days": 3})
    assert record.reply is not None and record.reply.files


async def test_faction_chart_without_history(squadron: Squadron) -> None:
    await three_ticks(squadron)
    record = await squadron.member("faction chart", {"days": 1})
    assert record.reply is not None
    assert record.reply.content.startswith("No influence history in the last 1 days")
