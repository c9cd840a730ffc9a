"""Names from the plugin that look like Discord markup (a masked link, emphasis, spoilers,
code, mentions, matplotlib math) travel through the real listener into every public post and
embed kind and show there literally: each reaches Discord only in the escaped form of the one
helper (`cogs._ui.plain`, whose escaping a property test checks), never raw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bgs import objectives, protected
from cogs._ui import plain
from tests.helpers.plugin import PluginClient, sample
from tests.helpers.plugin_events import ALPHA_ADDRESS, ALPHA_POS, bounty, crime, jump, market_sell
from tests.helpers.squadron import Squadron, announcements, posts, settle, ticks_of

LINK_CMDR = "[click](https://example.com)"
PING_CMDR = "@everyone <@123> `x`"
SYSTEM = "*Sol* _x_ ~~y~~ ||z||"
FACTION = "$x^2$ [a](https://example.com) *F*"
OPPONENT = "<@&5> __Opp__ #1"
STATION = "> quote -# small"

ENDED = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # the tick of the plugin's data
TICK = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
SEEN = TICK + timedelta(minutes=2)
DAY = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def where(**envelope: Any) -> dict[str, Any]:
    """The hostile system and a hostile cmdr in an event's envelope."""
    return {"system": SYSTEM, "address": ALPHA_ADDRESS, "cmdr": LINK_CMDR} | envelope


def hostile_tally() -> dict[str, Any]:
    """The captured tally with the cmdr, its systems and factions renamed."""
    tally = sample("03-activities-put-last.json")["body_json"]
    systems = [
        system
        | {"name": SYSTEM if index == 0 else f"{SYSTEM} {index}"}
        | {
            "factions": [
                faction | {"name": FACTION if number == 0 else f"{OPPONENT} {number}"}
                for number, faction in enumerate(system["factions"])
            ]
        }
        for index, system in enumerate(tally["systems"])
    ]
    return tally | {"cmdr": LINK_CMDR, "systems": systems}


def conflict() -> dict[str, Any]:
    side = {"Stake": STATION, "WonDays": 0}
    return {
        "WarType": "war",
        "Status": "active",
        "Faction1": side | {"Name": FACTION},
        "Faction2": side | {"Name": OPPONENT, "Stake": ""},
    }


def shown(raw: str, *names: str) -> None:
    """Each name is in `raw` only as `plain` escapes it: Discord shows it as written."""
    for name in names:
        assert plain(name) in raw, (name, raw)
        assert name not in raw, (name, raw)


async def test_hostile_names_show_literally_in_every_post(
    squadron: Squadron, plugin_for: PluginClient
) -> None:
    monitor = ticks_of(squadron.bot).monitor
    assert (await monitor.set_manual(ENDED, now=ENDED + timedelta(minutes=1))).new
    async with squadron.bot.services.db.tenant_write(squadron.guild.id) as session:
        await protected.add_protected(session, FACTION, force=True, now=ENDED)
        objective_id = await objectives.create_objective(
            session,
            title="Boost",
            objective_type="boost",
            system=SYSTEM,
            faction=FACTION,
            starts_at=ENDED,
        )
        await objectives.add_target(
            session, objective_id, target_type="bv", target_overall=1_000_000
        )
    assert (await plugin_for.put_activity(hostile_tally())).status == 200
    at = ENDED + timedelta(hours=4)
    events = [
        bounty(at, FACTION, 250_000, **where()),
        crime(at, FACTION, **where()),
        market_sell(DAY, FACTION, count=2, sale=1000, paid=500, **where()),
        jump(
            at,
            SYSTEM,
            ALPHA_ADDRESS,
            ALPHA_POS,
            cmdr=PING_CMDR,
            Conflicts=[conflict()],
            Factions=[{"Name": FACTION, "Influence": 0.4}, {"Name": OPPONENT, "Influence": 0.4}],
        ),
    ]
    reply = await plugin_for.post_events(events)
    assert reply.status == 200, reply.body
    await settle(squadron.bot)
    assert (await monitor.set_manual(TICK, now=SEEN)).new
    job = announcements(squadron.bot)
    await job.post_tick_summaries(now=SEEN + timedelta(minutes=15))
    await job.daily_summaries(now=datetime(2026, 11, 27, 0, 0, 5, tzinfo=UTC))

    [summary, daily] = [message.text() for message in posts(squadron, "bgs-summary")]
    shown(summary, LINK_CMDR, SYSTEM, FACTION)  # activity, contributors, objectives, harm
    assert "Boost" in summary and "Work against protected factions" in summary
    shown(daily, LINK_CMDR)
    alerts = [message.text() for message in posts(squadron, "bgs-alerts")]
    [harm] = [text for text in alerts if "harmed" in text]
    shown(harm, LINK_CMDR, FACTION, SYSTEM)
    [change] = [text for text in alerts if "New war" in text]
    shown(change, PING_CMDR, FACTION, OPPONENT, SYSTEM, STATION)
    board = await squadron.member("leaderboard", {"period": "all"})
    shown(board.text(), LINK_CMDR)
    card = await squadron.member("objective show", {"objective": str(objective_id)})
    shown(card.text(), LINK_CMDR, SYSTEM, FACTION)  # the target and its top cmdrs
    for text in [summary, daily, *alerts, board.text(), card.text()]:
        assert "@everyone" not in text and "<@123>" not in text and "<@&5>" not in text
