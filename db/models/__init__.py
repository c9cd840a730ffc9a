"""The data model: every entity of the product, SQLAlchemy 2 typed declarative.

Tenant-owned tables carry `guild_id` through `TenantMixin`; a tenant-scoped session filters and
stamps it automatically (see `db.database`). Global tables (galaxy ticks, bot state, the
galaxy's systems, factions and conflicts) do not.
Import models from here; the modules below only group them by subject.
"""

from db.models.activities import Activity, ActivityFaction, ActivitySystem
from db.models.base import NAME, Base, TenantMixin
from db.models.conflicts import ConflictState, ProtectedFaction, ProtectedHarm
from db.models.events import (
    AfterIngestWork,
    CommitCrime,
    Event,
    EventChild,
    ExplorationSale,
    FactionKillBond,
    MarketBuy,
    MarketSell,
    MissionCompleted,
    MissionFailed,
    MissionInfluence,
    RedeemVoucher,
    RedeemVoucherFaction,
    SyntheticCZ,
    SyntheticCZObjective,
    SyntheticGroundCZ,
    SyntheticScenario,
)
from db.models.galaxy import (
    GalaxyConflict,
    GalaxyFaction,
    GalaxyFeedCount,
    GalaxyInfluence,
    GalaxySystem,
)
from db.models.members import ApiKeyCmdr, CmdrLink, Member
from db.models.objectives import Objective, ObjectiveSettlement, ObjectiveTarget
from db.models.posting import BotState, GalaxyTick, GuildTick, OutboxEntry, PostLedger
from db.models.rollups import (
    EVENT_ROLLUP_KEY,
    ActivityRollup,
    EventRollup,
    RollupBacklog,
    RollupState,
)
from db.models.tenants import (
    ApiKey,
    Cmdr,
    KnownFaction,
    KnownSystem,
    OfficerRole,
    Tenant,
    TenantNotice,
)

__all__ = [
    "EVENT_ROLLUP_KEY",
    "NAME",
    "Activity",
    "ActivityFaction",
    "ActivityRollup",
    "ActivitySystem",
    "AfterIngestWork",
    "ApiKey",
    "ApiKeyCmdr",
    "Base",
    "BotState",
    "Cmdr",
    "CmdrLink",
    "CommitCrime",
    "ConflictState",
    "Event",
    "EventChild",
    "EventRollup",
    "ExplorationSale",
    "FactionKillBond",
    "GalaxyConflict",
    "GalaxyFaction",
    "GalaxyFeedCount",
    "GalaxyInfluence",
    "GalaxySystem",
    "GalaxyTick",
    "GuildTick",
    "KnownFaction",
    "KnownSystem",
    "MarketBuy",
    "MarketSell",
    "Member",
    "MissionCompleted",
    "MissionFailed",
    "MissionInfluence",
    "Objective",
    "ObjectiveSettlement",
    "ObjectiveTarget",
    "OfficerRole",
    "OutboxEntry",
    "PostLedger",
    "ProtectedFaction",
    "ProtectedHarm",
    "RedeemVoucher",
    "RedeemVoucherFaction",
    "RollupBacklog",
    "RollupState",
    "SyntheticCZ",
    "SyntheticCZObjective",
    "SyntheticGroundCZ",
    "SyntheticScenario",
    "Tenant",
    "TenantMixin",
    "TenantNotice",
]
