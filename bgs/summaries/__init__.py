"""What the squadron did in a period: per-cmdr metrics (leaderboard, top 5), influence by faction,
space and ground conflict zones, the plugin's activity tallies by system → faction and per cmdr,
systems worked with the age of their data, and objective systems nobody visited since the tick.

Every query is one statement on a tenant-scoped session, and reads rollups (`bgs.rollups`), not
raw events: counters per bucket kept as events and tallies are stored, so a summary reads as
many rows as the period has buckets and keys, whatever the number of its events. Summaries read
in a `reading` session, which brings the guild's rollups up to date first. A tick period
is the day rows of its tick id, a calendar period whole days, months or years
(`bgs.rollups.buckets`). Results are frozen dataclasses.

Metric definitions (reference.md §4, with its mistakes fixed):

* market: buy volume Σ MarketBuy.TotalCost and tonnage Σ Count; sell volume Σ
  MarketSell.TotalSale and tonnage Σ Count; trade profit Σ (TotalSale − AvgPricePaid × Count),
  the real profit of the goods sold (the reference used sell − buy volume);
* missions completed / failed: number of MissionCompleted / MissionFailed events;
* bounty vouchers / combat bonds: Σ RedeemVoucher.Amount of type `bounty` / `CombatBond`;
* exploration sales: Σ TotalEarnings of SellExplorationData and MultiSellExplorationData;
* influence: Σ of the signed influence of mission effects ('+++' with a Down trend is −3),
  for the guild's faction (exact name, passed in) or per faction; with a system filter, the
  effects that landed in that system (by address, or the hand-in system when the plugin sent no
  address), not the system where the mission was handed in;
* bounty fines: Σ (Fine + Bounty) of CommitCrime events, the cost of crimes committed;
* Thargoid kills, Thargoid-war rescue items and search-and-rescue items come from the plugin's
  tallies (PUT /activities, `bgs.tallies`): Σ of the systems' `twkills` and `twsandr` and of
  the factions' `sandr`, over each cmdr's tallies of the period (selected by their tick, as the
  activity summaries); the totals each tally stores, or with a system filter that system's
  counters.
"""

from bgs.summaries.activity import (
    ActivityCounts,
    CmdrActivity,
    FactionActivity,
    TickActivity,
    activity_per_cmdr,
    activity_summary,
    cmdr_activity,
    faction_activity_by_tick,
)
from bgs.summaries.common import reading
from bgs.summaries.counters import (
    SystemThargoidWar,
    ThargoidWar,
    thargoid_war,
    war_totals,
)
from bgs.summaries.czs import CZCount, CZTotal, SystemCZs, by_system, ground_czs, space_czs
from bgs.summaries.metrics import (
    DEFAULT_METRIC,
    METRIC_KEYS,
    METRICS,
    CmdrMetrics,
    FactionInfluence,
    Metric,
    UnknownMetricError,
    influence_by_faction,
    leaderboard,
    ranked,
)
from bgs.summaries.systems import (
    SystemData,
    UnvisitedSystem,
    objective_systems_not_visited,
    systems_worked,
)

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "METRIC_KEYS",
    "ActivityCounts",
    "CZCount",
    "CZTotal",
    "CmdrActivity",
    "CmdrMetrics",
    "FactionActivity",
    "FactionInfluence",
    "Metric",
    "SystemCZs",
    "SystemData",
    "SystemThargoidWar",
    "ThargoidWar",
    "TickActivity",
    "UnknownMetricError",
    "UnvisitedSystem",
    "activity_per_cmdr",
    "activity_summary",
    "by_system",
    "cmdr_activity",
    "faction_activity_by_tick",
    "ground_czs",
    "influence_by_faction",
    "leaderboard",
    "objective_systems_not_visited",
    "ranked",
    "reading",
    "space_czs",
    "systems_worked",
    "thargoid_war",
    "war_totals",
]
