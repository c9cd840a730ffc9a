"""Rollups: the counters every summary reads, kept per bucket so that a summary of any period
reads a few thousand rows instead of every event of it (`bgs.rollups` says how they are kept).

A row covers one bucket of one grain: a UTC day (`d`, with the tick id, so a tick period is
the day rows of its tick), a UTC month (`m`) or a UTC year (`y`); every period code is a union
of whole buckets of one grain. Names that may be missing are stored as '' (and an unknown
system address as -1), so that the key columns are never NULL and a row can be found again to
be added to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NAME, Base, TenantMixin
from db.types import BigIntPK

EVENT_ROLLUP_KEY = (
    "guild_id",
    "kind",
    "grain",
    "bucket",
    "tickid",
    "cmdr",
    "system_name",
    "faction",
    "settlement",
    "address",
    "flags",
)


def _count() -> Mapped[int]:
    return mapped_column(BigInteger)


class EventRollup(TenantMixin, Base):
    """Sums of the typed events per bucket and key. `kind` tells which key and sums a row has:

    * `cmdr`: a cmdr in a hand-in system: the leaderboard's event metrics;
    * `inf`: a cmdr's influence for a faction, by the system it landed in (address) and the
      hand-in system;
    * `scz` / `gcz`: a cmdr's space / ground conflict zones in a system for a faction (and
      settlement);
    * `sys`: the events of a system (any cmdr): how many, and the newest one's time; `flags`
      bit 1 marks visits (arrivals and dockings), bit 2 (day rows only) events stamped before
      their own tick.
    """

    __tablename__ = "event_rollups"
    __table_args__ = (
        UniqueConstraint(*EVENT_ROLLUP_KEY, name="uq_event_rollups_key"),
        Index(None, "guild_id", "kind", "tickid"),
        # Covers the CZ totals and the influence by faction (`bgs.summaries`): a period's rows
        # are sought and read in the index alone (month and year rows: by their empty tick id,
        # then the bucket).
        Index(
            "ix_event_rollups_sums",
            "guild_id",
            "kind",
            "grain",
            "tickid",
            "bucket",
            "system_name",
            "faction",
            "settlement",
            "cmdr",
            "flags",
            "low",
            "medium",
            "high",
            "influence",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))
    grain: Mapped[str] = mapped_column(String(1))
    bucket: Mapped[datetime]
    tickid: Mapped[str] = mapped_column(String(64))
    cmdr: Mapped[str] = mapped_column(String(NAME))
    system_name: Mapped[str] = mapped_column(String(NAME))
    faction: Mapped[str] = mapped_column(String(NAME))
    settlement: Mapped[str] = mapped_column(String(NAME))
    address: Mapped[int] = mapped_column(BigInteger)
    flags: Mapped[int] = mapped_column(Integer)
    buy_volume: Mapped[int] = _count()
    buy_tonnage: Mapped[int] = _count()
    sell_volume: Mapped[int] = _count()
    sell_tonnage: Mapped[int] = _count()
    trade_profit: Mapped[int] = _count()
    missions_completed: Mapped[int] = _count()
    missions_failed: Mapped[int] = _count()
    bounty_vouchers: Mapped[int] = _count()
    combat_bonds: Mapped[int] = _count()
    exploration_sales: Mapped[int] = _count()
    bounty_fines: Mapped[int] = _count()
    influence: Mapped[int] = _count()
    low: Mapped[int] = _count()
    medium: Mapped[int] = _count()
    high: Mapped[int] = _count()
    events: Mapped[int] = _count()
    newest: Mapped[datetime | None]


class ActivityRollup(TenantMixin, Base):
    """Sums of the plugin's tallies per bucket (of the tally's tick time; NULL when it has
    none), cmdr ('' for the whole squadron), system and faction.

    Rows with a faction hold that faction's counters (factions with any activity only);
    rows with a system but no faction hold the system's Thargoid-war counters (systems that
    sent any); the row with neither holds the totals each tally stores (tallies with any).
    `state_from` / `influence_from` name the newest tally (highest id) that reported the
    faction's state / influence with activity, where the summary reads them.
    """

    __tablename__ = "activity_rollups"
    __table_args__ = (
        Index(
            "ix_activity_rollups_bucket",
            "guild_id",
            "grain",
            "bucket",
            "cmdr",
            "system_name",
            "faction",
        ),
        Index(None, "guild_id", "tickid", "cmdr"),
        Index("ix_activity_rollups_cmdr", "guild_id", "grain", "cmdr", "bucket"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    grain: Mapped[str] = mapped_column(String(1))
    bucket: Mapped[datetime | None]
    tickid: Mapped[str] = mapped_column(String(64))
    cmdr: Mapped[str] = mapped_column(String(NAME))
    system_name: Mapped[str] = mapped_column(String(NAME))
    faction: Mapped[str] = mapped_column(String(NAME))
    inf_primary: Mapped[int] = _count()
    inf_secondary: Mapped[int] = _count()
    bounty_vouchers: Mapped[int] = _count()
    combat_bonds: Mapped[int] = _count()
    exploration: Mapped[int] = _count()
    exobiology: Mapped[int] = _count()
    scenarios: Mapped[int] = _count()
    mission_fails: Mapped[int] = _count()
    murders_ground: Mapped[int] = _count()
    murders_space: Mapped[int] = _count()
    black_market: Mapped[int] = _count()
    trade_buy_items: Mapped[int] = _count()
    trade_buy_value: Mapped[int] = _count()
    trade_sell_items: Mapped[int] = _count()
    trade_sell_value: Mapped[int] = _count()
    trade_sell_profit: Mapped[int] = _count()
    cz_space_low: Mapped[int] = _count()
    cz_space_medium: Mapped[int] = _count()
    cz_space_high: Mapped[int] = _count()
    cz_ground_low: Mapped[int] = _count()
    cz_ground_medium: Mapped[int] = _count()
    cz_ground_high: Mapped[int] = _count()
    search_rescue: Mapped[int] = _count()
    rescue_sent: Mapped[int] = _count()
    kills_banshee: Mapped[int] = _count()
    kills_basilisk: Mapped[int] = _count()
    kills_cyclops: Mapped[int] = _count()
    kills_hydra: Mapped[int] = _count()
    kills_medusa: Mapped[int] = _count()
    kills_orthrus: Mapped[int] = _count()
    kills_revenant: Mapped[int] = _count()
    kills_scout: Mapped[int] = _count()
    kills_scythe_glaive: Mapped[int] = _count()
    tw_rescue: Mapped[int] = _count()
    tw_reactivated: Mapped[int] = _count()
    tw_sent: Mapped[int] = _count()
    tally_kills: Mapped[int] = _count()
    tally_tw_rescue: Mapped[int] = _count()
    tally_search_rescue: Mapped[int] = _count()
    tallies: Mapped[int] = _count()
    state_from: Mapped[int | None] = mapped_column(BigInteger)
    influence_from: Mapped[int | None] = mapped_column(BigInteger)


class RollupBacklog(TenantMixin, Base):
    """Stored events not yet added to the event rollups: ids `first_event_id` to
    `last_event_id`, all of this guild's and new in one transaction (`bgs.rollups.backlog`)."""

    __tablename__ = "rollup_backlog"
    __table_args__ = (Index(None, "guild_id", "first_event_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    first_event_id: Mapped[int] = mapped_column(BigInteger)
    last_event_id: Mapped[int] = mapped_column(BigInteger)


class RollupState(TenantMixin, Base):
    """How a guild's event rollups were counted: `cut` is the officer tick their day rows'
    `CUT` flag follows (None: none). No row: no event was counted yet."""

    __tablename__ = "rollup_state"
    __table_args__ = (UniqueConstraint("guild_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cut: Mapped[datetime | None]
