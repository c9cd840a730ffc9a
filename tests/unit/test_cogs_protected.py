"""The protected cog's pure rendering: totals of an alert and the marks other cogs append."""

from __future__ import annotations

from datetime import UTC, datetime

from bgs.protected import HarmAlert, HarmKind, HarmLine, HarmSummary, HarmTotal, KindTotal
from cogs._harm import harm_marks, total_text
from cogs.protected import alert_embed

TRADERS, PIRATES = "Alpha Traders", "Alpha Pirates"
ALPHA, BETA = "Test System Alpha", "Test System Beta"


def row(
    faction: str, system: str | None, cmdr: str | None, kind: HarmKind, count: int, amount: int
) -> HarmTotal:
    return HarmTotal(faction, system, cmdr, kind, count, amount)


SUMMARY = HarmSummary(
    [
        row(PIRATES, ALPHA, "Ann", HarmKind.OPPONENT_SPACE_CZ, 2, 3),
        row(PIRATES, ALPHA, "Ann", HarmKind.OPPONENT_COMBAT_BONDS, 1, 1_250_000),
        row(PIRATES, ALPHA, "Bob", HarmKind.OPPONENT_MISSION, 1, 2),
        row(TRADERS, ALPHA, "Ann", HarmKind.NEGATIVE_INFLUENCE, 2, -3),
        row(TRADERS, ALPHA, "Bob", HarmKind.MURDER, 1, 10_000),
        row(TRADERS, BETA, "Ann", HarmKind.MURDER, 2, 20_000),
        row(TRADERS, BETA, "Ann", HarmKind.MISSION_FAILED, 1, 0),
        row(TRADERS, None, None, HarmKind.KILL_BOND, 1, 5_000),
    ]
)


def test_marks_by_system() -> None:
    assert harm_marks(SUMMARY) == {
        ALPHA: [
            "⚠️ harmed Alpha Pirates (1 mission for its opponent, 3 space CZs for its opponent, "
            "1.2M CR of bonds for its opponent)",
            "⚠️ harmed Alpha Traders (−3 INF, 1 murder)",
        ],
        BETA: ["⚠️ harmed Alpha Traders (2 murders, 1 failed mission)"],
        None: ["⚠️ harmed Alpha Traders (1 ship killed)"],
    }


def test_marks_by_cmdr() -> None:
    assert harm_marks(SUMMARY, by="cmdr") == {
        "Ann": [
            "⚠️ harmed Alpha Pirates (3 space CZs for its opponent, 1.2M CR of bonds for its "
            "opponent)",
            "⚠️ harmed Alpha Traders (−3 INF, 2 murders, 1 failed mission)",
        ],
        "Bob": [
            "⚠️ harmed Alpha Pirates (1 mission for its opponent)",
            "⚠️ harmed Alpha Traders (1 murder)",
        ],
        None: ["⚠️ harmed Alpha Traders (1 ship killed)"],
    }


def test_no_harm_no_marks() -> None:
    assert harm_marks(HarmSummary([])) == {}


def test_totals_name_their_unit() -> None:
    assert total_text(HarmKind.NEGATIVE_INFLUENCE, KindTotal(2, -5)) == (
        "influence lost through missions: 2 (−5 INF)"
    )
    assert total_text(HarmKind.OPPONENT_MISSION, KindTotal(2, 0)) == "missions for the opponent: 2"
    assert total_text(HarmKind.MURDER, KindTotal(3, 1_500_000)) == "murders: 3 (1,500,000 CR)"
    assert total_text(HarmKind.MISSION_FAILED, KindTotal(1, 0)) == "failed missions: 1"
    assert total_text(HarmKind.OPPONENT_GROUND_CZ, KindTotal(2, 4)) == (
        "ground CZs for the opponent: 4"
    )
    assert total_text(HarmKind.OPPONENT_CZ_OBJECTIVE, KindTotal(1, 1)) == (
        "CZ objectives for the opponent: 1"
    )


def test_a_long_alert_stays_within_discords_limits() -> None:
    at = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
    harms = [
        HarmLine(n, at, "Test System Alpha", HarmKind.MURDER, 10_000, "murdered a ship " + "x" * 80)
        for n in range(100)
    ]
    alert = HarmAlert(
        1,
        TRADERS,
        "*our* ally",
        None,
        "Ann",
        "zoy-1",
        None,
        harms,
        {HarmKind.MURDER: KindTotal(100, 1)},
    )
    embed = alert_embed(alert)
    assert embed.title == "⚠️ CMDR Ann harmed Alpha Traders"
    assert embed.description is not None and len(embed.description) <= 4096
    assert len(embed) <= 6000
    lines = embed.description.splitlines()
    assert lines[:3] == ["*\\*our\\* ally*", "Tick `zoy-1`", ""]
    shown = len(lines) - 4
    assert lines[-1] == f"… and {100 - shown} more (counted in the totals)"
    assert 0 < shown < 100
    assert [field.value for field in embed.fields] == ["murders: 100 (1 CR)"]
