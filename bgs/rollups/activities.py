"""Activity rollups: the plugin's tallies summed per bucket, kept current as tallies are replaced.

A tally is one cmdr's snapshot of a whole tick, replaced by every PUT, so its rollups cannot
just be added to. They are kept in layers instead, each worked out from the one below:

1. the tally's own rows (day grain, its tick, its cmdr): replaced with the tally;
2. the squadron's rows of the tick (cmdr ''): the sum of the cmdrs' rows of step 1;
3. month and year rows, of the cmdr and of the squadron: the sums of the finer rows.

When a tally is replaced, steps 2 and 3 are worked out again for the systems and factions the
old or the new tally has: a few hundred rows read, whatever the squadron's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, delete, func, insert, literal, select, tuple_
from sqlalchemy.orm import Session

from bgs.rollups.buckets import DAY, MONTH, NO_TICK, YEAR, following, truncate
from bgs.tallies import RESCUE_ITEMS, TW_KILL_TYPES, TW_RESCUE_ITEMS, counted
from db import bulk, models
from db.types import UTCDateTime

SQUADRON: Final = ""  # the cmdr of the squadron's rows
NO_NAME: Final = ""

# ActivityCounts' counters -> the faction row's columns
FACTION_COLUMNS: Final = {
    "inf_primary": "infprimary",
    "inf_secondary": "infsecondary",
    "bounty_vouchers": "bvs",
    "combat_bonds": "cbs",
    "exploration": "exploration",
    "exobiology": "exobiology",
    "scenarios": "scenarios",
    "mission_fails": "missionfails",
    "murders_ground": "murdersground",
    "murders_space": "murdersspace",
    "black_market": "tradebm",
    "trade_buy_items": "trade_buy_items",
    "trade_buy_value": "trade_buy_value",
    "trade_sell_items": "trade_sell_items",
    "trade_sell_value": "trade_sell_value",
    "trade_sell_profit": "trade_sell_profit",
    "cz_space_low": "cz_space_low",
    "cz_space_medium": "cz_space_medium",
    "cz_space_high": "cz_space_high",
    "cz_ground_low": "cz_ground_low",
    "cz_ground_medium": "cz_ground_medium",
    "cz_ground_high": "cz_ground_high",
}
KILL_COLUMNS: Final = tuple("kills_" + kind.replace("-", "_") for kind in TW_KILL_TYPES)
TALLY_TOTALS: Final = ("tally_kills", "tally_tw_rescue", "tally_search_rescue")
SUMMED: Final = (
    *FACTION_COLUMNS,
    "search_rescue",
    "rescue_sent",
    *KILL_COLUMNS,
    "tw_rescue",
    "tw_reactivated",
    "tw_sent",
    *TALLY_TOTALS,
    "tallies",
)
LATEST: Final = ("state_from", "influence_from")
KEY: Final = ("grain", "bucket", "tickid", "cmdr", "system_name", "faction")

Pair = tuple[str, str]  # (system, faction)


def guild_of(session: Session) -> int:
    """The guild of a session's work (tenant sessions and the migration's plain ones)."""
    guild_id: int = session.info["guild_id"]
    return guild_id


def sent(document: Any) -> bool:
    """A JSON counters object holds something (see `bgs.summaries.counters`)."""
    return document is not None and document != {}


def tally_rows(activity: models.Activity) -> list[dict[str, Any]]:
    """The rows of layer 1 for a stored tally (its id known)."""
    day = None if activity.ticktime is None else truncate(activity.ticktime, DAY)
    base: dict[str, Any] = {
        "guild_id": activity.guild_id,
        "grain": DAY,
        "bucket": day,
        "tickid": activity.tickid,
        "cmdr": activity.cmdr,
    }
    base |= dict.fromkeys(SUMMED, 0) | dict.fromkeys(LATEST)
    rows = []
    for system in activity.systems:
        if sent(system.twkills) or sent(system.twsandr) or system.twreactivate:
            kills = system.twkills if sent(system.twkills) else {}
            row = base | {"system_name": system.name, "faction": NO_NAME, "tw_sent": 1}
            row |= {
                column: counted(kills, (kind,))
                for column, kind in zip(KILL_COLUMNS, TW_KILL_TYPES, strict=True)
            }
            row["tw_rescue"] = counted(system.twsandr, TW_RESCUE_ITEMS)
            row["tw_reactivated"] = system.twreactivate or 0
            rows.append(row)
        for faction in system.factions:
            counters = {
                name: getattr(faction, column) or 0 for name, column in FACTION_COLUMNS.items()
            }
            rescue = sent(faction.sandr)
            if not (rescue or any(counters.values())):
                continue  # idle: every faction of a visited system is reported
            row = base | counters | {"system_name": system.name, "faction": faction.name}
            row["search_rescue"] = counted(faction.sandr, RESCUE_ITEMS)
            row["rescue_sent"] = int(rescue)
            row["state_from"] = activity.id
            row["influence_from"] = activity.id if faction.influence is not None else None
            rows.append(row)
    totals = (activity.thargoid_kills, activity.tw_rescue, activity.search_rescue)
    if any(totals):
        row = base | {"system_name": NO_NAME, "faction": NO_NAME, "tallies": 1}
        rows.append(row | dict(zip(TALLY_TOTALS, totals, strict=True)))
    return rows


def _in_bucket(table: Any, grain: str, bucket: datetime | None) -> list[ColumnElement[bool]]:
    """The rows of the finer grain inside the `grain` bucket starting at `bucket`."""
    if bucket is None:
        return [table.c.bucket.is_(None)]
    return [table.c.bucket >= bucket, table.c.bucket < following(bucket, grain)]


def _recompute(
    session: Session,
    target: dict[str, Any],
    source: list[ColumnElement[bool]],
    pairs: Iterable[Pair] | None,
) -> None:
    """Replace the rows of `target` (grain, bucket, tickid and cmdr; without a cmdr: of every
    cmdr and the squadron, each from its own) with the sums of the `source` rows, for some
    (system, faction) pairs (None: all)."""
    table = bulk.table_of(models.ActivityRollup)
    only = [] if pairs is None else [tuple_(table.c.system_name, table.c.faction).in_(list(pairs))]
    mine = [table.c.guild_id == guild_of(session)]
    session.execute(
        delete(table).where(
            *mine, *(table.c[name] == value for name, value in target.items()), *only
        )
    )
    fixed = [
        literal(guild_of(session)).label("guild_id"),
        *(
            literal(value, UTCDateTime() if name == "bucket" else None).label(name)
            for name, value in target.items()
        ),
    ]
    sums = [func.sum(table.c[name]).label(name) for name in SUMMED]
    latest = [func.max(table.c[name]).label(name) for name in LATEST]
    keys = [table.c.system_name, table.c.faction]
    if "cmdr" not in target:
        keys.insert(0, table.c.cmdr)
    rows = select(*fixed, *keys, *sums, *latest).where(*mine, *source, *only).group_by(*keys)
    names = ["guild_id", *target, *(key.name for key in keys), *SUMMED, *LATEST]
    session.execute(insert(table).from_select(names, rows))


def roll_up_tick(
    session: Session, tickid: str, day: datetime | None, pairs: Iterable[Pair] | None
) -> None:
    """Layer 2: the squadron's rows of a tick."""
    table = bulk.table_of(models.ActivityRollup)
    target = {"grain": DAY, "bucket": day, "tickid": tickid, "cmdr": SQUADRON}
    source = [table.c.grain == DAY, table.c.tickid == tickid, table.c.cmdr != SQUADRON]
    _recompute(session, target, [*source, table.c.bucket == day], pairs)


def roll_up_period(
    session: Session,
    cmdr: str | None,
    grain: str,
    instant: datetime | None,
    pairs: Iterable[Pair] | None,
) -> None:
    """Layer 3: a cmdr's (or the squadron's; None: everyone's) month or year rows holding
    `instant`, from the day or month rows."""
    table = bulk.table_of(models.ActivityRollup)
    bucket = None if instant is None else truncate(instant, grain)
    finer = DAY if grain == MONTH else MONTH
    target: dict[str, Any] = {"grain": grain, "bucket": bucket, "tickid": NO_TICK}
    source = [table.c.grain == finer, *_in_bucket(table, grain, bucket)]
    if cmdr is not None:
        target["cmdr"] = cmdr
        source.append(table.c.cmdr == cmdr)
    _recompute(session, target, source, pairs)


def roll_up_above(
    session: Session, cmdr: str, day: datetime | None, pairs: Iterable[Pair] | None
) -> None:
    """Layer 3 for the buckets holding `day`, of the cmdr and of the squadron."""
    for who in (cmdr, SQUADRON):
        for grain in (MONTH, YEAR):
            roll_up_period(session, who, grain, day, pairs)


def replace_tally(session: Session, activity: models.Activity) -> None:
    """Replace the rollups of the tally stored before `activity` (same cmdr and tick) with
    `activity`'s, in the session's transaction; call after `activity` is flushed."""
    table = bulk.table_of(models.ActivityRollup)
    mine = [
        table.c.guild_id == guild_of(session),
        table.c.grain == DAY,
        table.c.tickid == activity.tickid,
        table.c.cmdr == activity.cmdr,
    ]
    columns = (table.c.bucket, table.c.system_name, table.c.faction)
    old = session.execute(select(*columns).where(*mine)).all()
    session.execute(delete(table).where(*mine))
    rows = tally_rows(activity)
    if rows:
        bulk.insert_rows(session, table, rows)
    pairs = {(row.system_name, row.faction) for row in old}
    pairs |= {(row["system_name"], row["faction"]) for row in rows}
    if not pairs:
        return
    days = {row.bucket for row in old} | {row["bucket"] for row in rows}
    for day in days:
        roll_up_tick(session, activity.tickid, day, pairs)
        roll_up_above(session, activity.cmdr, day, pairs)
